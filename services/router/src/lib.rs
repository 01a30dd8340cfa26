//! router (placeholder: being written).
