//! Figures for this area (filled in by its issue).

use crate::harness::Report;

/// Measures and prints this area's figures.
pub fn run(_report: &mut Report) {}
