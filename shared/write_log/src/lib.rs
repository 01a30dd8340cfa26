//! write_log (placeholder: being written).
