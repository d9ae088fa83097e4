//! The sandbox subscription service as a library: the binary (`main.rs`)
//! serves it over HTTP; the fuzz targets (`fuzz/`) feed it request bodies.
//! Its rules (the double-opt-in workflow, keywords, segment counting) live
//! here, with the only program that uses them, so no regex or workflow
//! code can reach the browser's wasm.

pub mod allow_list;
pub mod api;
pub mod backoff;
pub mod braze;
pub mod checkpoint;
pub mod config;
pub mod double_opt_in;
pub mod http;
pub mod keywords;
pub mod ledger;
pub mod ledger_pg;
pub mod limits;
pub mod members;
pub mod messages;
pub mod relay;
pub mod segments;
pub mod service;
pub mod static_files;
pub mod store;
pub mod user_token;
pub mod verify;
