//! Placeholder: filled by the issue-14 work on this limit.
