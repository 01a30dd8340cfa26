//! tsbs (placeholder: being written).
