//! auth (placeholder: being written).
