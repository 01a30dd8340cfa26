//! observability (placeholder: being written).
