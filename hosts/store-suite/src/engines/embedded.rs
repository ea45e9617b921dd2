//! PLACEHOLDER: the embedded engine (issue 15).
