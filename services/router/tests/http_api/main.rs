//! The router over real HTTP: statuses, exact bodies and headers, and what landed in the log.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod auth;
mod body;
#[path = "../support/mod.rs"]
mod common;
mod concurrency;
mod stubs;
mod system;
mod table;
mod v1_errors;
mod v1_mappings;
mod v2_errors;
mod v3_errors;
mod write_lp;
mod writes;
