//! PLACEHOLDER: the redis store (issue 15).
