//! The sandbox's answers and refusals. Endpoints return a [`Reply`] (a
//! status and Braze's JSON shape) or an [`Error`]; [`crate::routes`] turns
//! both into HTTP responses in one place.

use serde_json::Value;

/// An answer: its HTTP status and JSON body. Refusals that carry their own
/// fields (a verification's `error` code, `checks_left`) are answers too.
pub type Reply = (u16, Value);

/// Why a request is refused before or instead of its answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is wrong: one entry per problem, each naming the field,
    /// its value and what was expected (400).
    #[error("{message}: {}", errors.join("; "))]
    Invalid {
        /// What kind of input: `invalid request`, `invalid CSV`, ...
        message: &'static str,
        /// Each problem.
        errors: Vec<String>,
    },
    /// No or the wrong shared secret (401).
    #[error("missing or wrong Authorization: Bearer <shared secret>")]
    Unauthorized,
    /// A foreign `Host` or `Origin` (403).
    #[error("{0}")]
    Forbidden(String),
    /// A method the path does not take (405).
    #[error("{0}")]
    NotAllowed(String),
    /// The sandbox is not in a state to do it (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the sandbox reads (413).
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// A body that is not JSON (or CSV where taken) (415).
    #[error("{0}")]
    Unsupported(String),
    /// A rate limit is reached; the client may try again after this many
    /// seconds (429, with `Retry-After`).
    #[error("too many requests: rate limit reached")]
    RateLimited(u64),
    /// The database failed (500).
    #[error("{0}")]
    Store(String),
}

/// The database's errors are text (see `consentry_relay::store`).
impl From<String> for Error {
    fn from(e: String) -> Error {
        Error::Store(e)
    }
}

impl Error {
    /// A 400 for one kind of input.
    pub fn invalid(message: &'static str, errors: Vec<String>) -> Error {
        Error::Invalid { message, errors }
    }

    /// The HTTP status it is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Error::Invalid { .. } => 400,
            Error::Unauthorized => 401,
            Error::Forbidden(_) => 403,
            Error::NotAllowed(_) => 405,
            Error::Conflict(_) => 409,
            Error::TooLarge(_) => 413,
            Error::Unsupported(_) => 415,
            Error::RateLimited(_) => 429,
            Error::Store(_) => 500,
        }
    }
}
