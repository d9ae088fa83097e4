//! Why the relay refuses a request or cannot start. The request functions
//! return these; [`crate::routes`] turns each into its answer in one place.

use crate::relay::MAX_BODY_BYTES;

/// The relay's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not JSON.
    #[error("invalid JSON body")]
    NotJson,
    /// The body could not be read: too large, or cut off.
    #[error("the body was refused: {text} (at most {MAX_BODY_BYTES} bytes of JSON)")]
    Body {
        /// The HTTP status it is answered with (413, 400).
        status: u16,
        /// What went wrong.
        text: String,
    },
    /// The request breaks the allow-list or a rule: one entry per problem,
    /// each naming the field, its value and what was expected.
    #[error("invalid request: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The `Idempotency-Key` was first used for another body.
    #[error("Idempotency-Key {0:?} was used for another request: a new submission needs a new key")]
    KeyReused(String),
    /// A rate limit is reached; the client may try again after this many seconds.
    #[error("too many requests: rate limit reached")]
    RateLimited(u64),
    /// A page from an origin the relay does not serve.
    #[error("origin {0} is not allowed: add it to the relay's origins")]
    Origin(String),
    /// The ledger's database failed.
    #[error("{0}")]
    Store(String),
    /// The configuration, the signing key or a secret is wrong: the relay
    /// does not start.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Error::NotJson | Error::Invalid(_) => 400,
            Error::Body { status, .. } => *status,
            Error::KeyReused(_) => 409,
            Error::RateLimited(_) => 429,
            Error::Origin(_) => 403,
            Error::Store(_) | Error::Config(_) => 500,
        }
    }
}
