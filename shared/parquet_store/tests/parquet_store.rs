//! Integration tests of `parquet_store` against real stores: local files under a temp
//! `--data-dir`, and a real moto S3 server. One test binary, one module per concern.

mod parquet_store {
    pub mod common;
    mod config;
    mod local;
    mod s3;
}
