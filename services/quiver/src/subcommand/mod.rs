//! One module per subcommand: each takes its configuration block and runs one process mode.

pub(crate) mod admin;
pub(crate) mod compactor;
pub(crate) mod ingester;
pub(crate) mod querier;
pub(crate) mod router;
pub(crate) mod serve;
