//! catalog (placeholder: being written).
