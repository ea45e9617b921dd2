//! `cargo run --release --example perf`: one figure a line, `name value`.
//!
//! Times are medians in microseconds over repetitions that interleave the operations compared
//! with each other, so a ratio is taken from one run on the same machine state. Ratios compare an
//! operation with its floor (the cheapest primitive it cannot avoid; see DESIGN.md and SPEC.md,
//! "Performance").

mod anonymous;
mod bbs04;
#[cfg(feature = "blst")]
mod blst_floor;
mod certs;
mod client_load;
mod harness;
mod protocol;
mod tokens;

fn main() {
    let mut report = harness::Report::default();
    bbs04::run(&mut report);
    tokens::run(&mut report);
    certs::run(&mut report);
    protocol::run(&mut report);
    client_load::run(&mut report);
}
