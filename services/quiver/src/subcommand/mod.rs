//! One module per subcommand: each takes its configuration block and runs one process mode.

pub mod admin;
pub mod ingester;
pub mod querier;
pub mod router;
pub mod serve;
