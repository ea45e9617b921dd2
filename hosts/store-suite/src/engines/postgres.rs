//! PLACEHOLDER: the postgres engine (issue 15).
