//! schema (placeholder: being written).
