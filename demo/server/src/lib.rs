//! The sandbox subscription service as a library: the binary (`main.rs`)
//! serves it over HTTP; the fuzz targets (`fuzz/`) feed it request bodies.

pub mod api;
pub mod config;
pub mod http;
pub mod limits;
pub mod service;
pub mod static_files;
