//! PLACEHOLDER: the redb store (issue 15).
