//! Integration tests of `parquet_store` against real stores: local files under a temp
//! `--data-dir`, and a real moto S3 server. One test binary, one module per concern.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod parquet_store {
    pub(crate) mod common;
    mod config;
    mod local;
    mod s3;
}
