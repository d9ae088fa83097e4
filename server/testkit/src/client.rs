//! One HTTP/1.1 client for the servers' tests and `npm run load`: a
//! keep-alive connection to 127.0.0.1 that sends a request and reads its
//! answer (status, headers, a `Content-Length` body).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The head as sent: status line and headers.
    pub head: String,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the server keeps the connection open.
    pub keep: bool,
}

impl Answer {
    /// The whole response as text, head and body.
    pub fn text(&self) -> String {
        format!("{}\r\n{}", self.head, String::from_utf8_lossy(&self.body))
    }
}

/// One connection.
pub struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    /// Connects to `127.0.0.1:port`; a read waits at most 10 s.
    pub fn open(port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Conn {
            stream: BufReader::new(s),
        })
    }

    /// Sends one request with `headers` (a `Host` of 127.0.0.1 unless
    /// given) and reads the answer.
    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<Answer> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nContent-Length: {}\r\n", body.len());
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            head.push_str("Host: 127.0.0.1\r\n");
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let s = self.stream.get_mut();
        s.write_all(head.as_bytes())?;
        s.write_all(body)?;
        let mut head = String::new();
        self.stream.read_line(&mut head)?;
        let status = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {head:?}")))?;
        let (mut length, mut keep) = (0usize, true);
        loop {
            let mut line = String::new();
            if self.stream.read_line(&mut line)? == 0 {
                return Err(std::io::Error::other("connection closed"));
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if k.eq_ignore_ascii_case("connection") && v.trim().eq_ignore_ascii_case("close") {
                    keep = false;
                }
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body)?;
        Ok(Answer {
            status,
            head,
            body,
            keep,
        })
    }
}
