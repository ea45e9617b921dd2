//! PLACEHOLDER: the postgres store (issue 15).
