//! The sandbox subscription service as a library: the binary (`main.rs`)
//! serves it over HTTP; the fuzz targets (`fuzz/`) feed it request bodies.
//! Its rules (the double-opt-in workflow, keywords, segment counting) live
//! here, with the only program that uses them, so no regex or workflow
//! code can reach the browser's wasm.

pub mod api;
pub mod config;
pub mod double_opt_in;
pub mod error;
pub mod keywords;
pub mod members;
pub mod messages;
pub mod quota;
pub mod routes;
pub mod segments;
pub mod service;
pub mod signup;
pub mod static_files;
pub mod verify;
