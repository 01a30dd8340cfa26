//! Command-line configuration: clap blocks, one per concern, flattened into one struct per
//! service. Every flag can also be set with a `QUIVER_<FLAG_NAME>` environment variable
//! (flags win over the environment).
//!
//! ```text
//! quiver router ──► RouterConfig { bind (0.0.0.0:8080), auto_create_databases (false), common }
//! quiver serve  ──► ServeConfig  { bind (0.0.0.0:8181), auto_create_databases (true),  common }
//!                   common = CommonArgs { StorageArgs, AuthArgs, WriteApiArgs, WriteLogArgs,
//!                                         LoggingArgs }
//! ```
//!
//! Flag names are a contract (scripts, Helm charts and the test harness use them).

mod blocks;
mod services;

pub use blocks::{
    AuthArgs, CommonArgs, LogFormat, LoggingArgs, StorageArgs, WriteApiArgs, WriteLogArgs,
};
pub use services::{RouterConfig, ServeConfig};
