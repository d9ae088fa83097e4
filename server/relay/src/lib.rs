//! The relay in front of Braze, as a library: the binary (`main.rs`) serves
//! it and runs the ledger's tools; the sandbox (`server/sandbox`) runs it in
//! front of itself for the demo. It depends on nothing of the sandbox.

pub mod allow_list;
pub mod backoff;
pub mod braze;
pub mod checkpoint;
pub mod config;
pub mod error;
pub mod http;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod relay;
pub mod routes;
pub mod store;
pub mod user_token;
