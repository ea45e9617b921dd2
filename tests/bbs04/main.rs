//! BBS04 group signatures through the public API: the flow of every operation and its errors,
//! and property tests.

mod flow;
mod properties;
