//! The server's HTTP/1.1: a thread per connection, one request per
//! connection (`Connection: close`), and a read timeout, so an idle socket
//! (a browser's preconnect) holds only its own thread for a while.
//!
//! Why not tiny_http: its connection pool (0.12) could queue a new
//! connection's task while every pool thread sat on an idle socket, and a
//! browser's request then got no answer until another socket closed (about
//! one page load in sixty in the demo hung for 30 s). Request heads are
//! parsed by `httparse`.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The largest request head taken; a bigger one gets 431.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long a socket may stay silent before it is closed.
const IDLE: Duration = Duration::from_secs(15);
/// Connections handled at once; more get 503 at once.
const MAX_CONNECTIONS: usize = 512;

/// A request as the handler sees it.
pub struct Incoming {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, or `None` when it is larger than the handler's limit.
    pub body: Option<Vec<u8>>,
    /// The client's address.
    pub peer: SocketAddr,
}

impl Incoming {
    /// The first header of that name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response.
pub struct Outgoing {
    /// The status code.
    pub status: u16,
    /// Headers beside `Content-Length` and `Connection`.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Outgoing {
    /// A response with a body of `content_type`.
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Outgoing {
        Outgoing {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body,
        }
    }
}

/// Accepts connections on `listener` for ever, each on a thread of its own;
/// `max_body` bytes of body at most are read for the handler.
pub fn serve<H>(listener: TcpListener, max_body: usize, handler: H)
where
    H: Fn(Incoming) -> Outgoing + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            let _ = write(&stream, &plain(503, "too many connections"));
            continue;
        }
        let (handler, done) = (Arc::clone(&handler), Arc::clone(&open));
        let spawned = std::thread::Builder::new().spawn(move || {
            connection(stream, max_body, &*handler);
            done.fetch_sub(1, Ordering::AcqRel);
        });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

fn plain(status: u16, text: &str) -> Outgoing {
    Outgoing::new(status, "text/plain; charset=utf-8", text.as_bytes().to_vec())
}

fn connection(stream: TcpStream, max_body: usize, handler: &dyn Fn(Incoming) -> Outgoing) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_write_timeout(Some(IDLE));
    let _ = stream.set_nodelay(true);
    let Ok(peer) = stream.peer_addr() else { return };
    let response = match read_request(&stream, peer, max_body) {
        Ok(Some(request)) => handler(request),
        // Closed or silent before a whole request: nothing to answer.
        Ok(None) => return,
        Err(response) => response,
    };
    let _ = write(&stream, &response);
    // Close gently: stop writing, then read what the client still sends (a
    // body not read), so the close does not reset the answer away.
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut sink = [0u8; 8192];
    let mut drained = 0;
    while let Ok(n @ 1..) = (&stream).read(&mut sink) {
        drained += n;
        if drained > 1 << 20 {
            break;
        }
    }
}

/// Reads one request: `Ok(None)` when the client sent none, `Err` with the
/// answer to a malformed one.
fn read_request(mut stream: &TcpStream, peer: SocketAddr, max_body: usize) -> Result<Option<Incoming>, Outgoing> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Ok(None),
        };
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut head = httparse::Request::new(&mut headers);
        match head.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let method = head.method.unwrap_or("GET").to_string();
                let target = head.path.unwrap_or("/").to_string();
                let headers: Vec<(String, String)> = head
                    .headers
                    .iter()
                    .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
                    .collect();
                let mut request = Incoming {
                    method,
                    target,
                    headers,
                    body: None,
                    peer,
                };
                if request.header("Transfer-Encoding").is_some() {
                    return Err(plain(411, "send the body with a Content-Length"));
                }
                let length = match request.header("Content-Length").map(|v| v.trim().parse::<usize>()) {
                    None => 0,
                    Some(Ok(n)) => n,
                    Some(Err(_)) => return Err(plain(400, "Content-Length is not a number")),
                };
                if length <= max_body {
                    let mut body = buf.split_off(len);
                    body.truncate(length);
                    if body.len() < length {
                        let start = body.len();
                        body.resize(length, 0);
                        if stream.read_exact(body.get_mut(start..).unwrap_or_default()).is_err() {
                            return Ok(None);
                        }
                    }
                    request.body = Some(body);
                }
                return Ok(Some(request));
            }
            Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD_BYTES => continue,
            Ok(httparse::Status::Partial) => return Err(plain(431, "the request head is too large")),
            Err(_) => return Err(plain(400, "not an HTTP/1.1 request")),
        }
    }
}

fn write(mut stream: &TcpStream, response: &Outgoing) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, reason(response.status));
    for (name, value) in &response.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(&response.body)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}
