#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, docs, unit/integration/property tests and
# test vectors, the store suite on PostgreSQL and a Redis Cluster (started and stopped here), a
# small walkthrough and the live one over HTTP on each store, the load and fault run, the
# packages for Python, Kotlin and Swift tested from fresh projects, a fuzz smoke run, the no_std
# build check, the declared rust-version and `cargo publish --dry-run`.
# README.md names this as the test command.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step with the time it starts, so a slow step shows in the log.
step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }

# A clean CI tree gains nothing from incremental compilation (no later rebuild reuses its
# cache) and pays for writing it. Only under CI: a developer's own target keeps its setting,
# which is part of every workspace crate's fingerprint.
if [ "${CI:-}" = true ]; then
    export CARGO_INCREMENTAL=0
    # Line tables are all a failing test's backtrace needs; full debug info makes every crate's
    # code generation and every link of the ~40 test and example binaries slower.
    export CARGO_PROFILE_DEV_DEBUG=line-tables-only
fi
TARGET="${CARGO_TARGET_DIR:-target}"

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "docs: every public item documented, every intra-doc link resolves"
# With the examples among the documented targets, cargo resolves features with the
# dev-dependencies as clippy --all-targets did, so the dependencies clippy checked are reused
# instead of checked again with other features.
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --lib --bins --examples

step "engines: PostgreSQL and a Redis Cluster on loopback for the store suite (ci/engines.sh)"
# Stopped on every exit, a failed test included.
trap 'bash ci/engines.sh stop' EXIT
bash ci/engines.sh start
set -a
# shellcheck source=/dev/null
. target/engines/env
set +a

step "tests (the store suite runs on the embedded store, PostgreSQL and Redis Cluster)"
cargo test --workspace
# The blst backend (SPEC.md 2.6): every unit and integration test of the core again (vectors
# byte-identical).
cargo test -p blindpost --features blst --tests

step "walkthrough (small population)"
# `cargo test --workspace` built the examples with the whole workspace's features; `cargo run
# --example` would resolve the root package's alone and rebuild half the dependency tree.
cargo build --workspace --lib --bins --examples
"$TARGET/debug/examples/walkthrough" --population 8 --quiet

step "walkthrough, live: over HTTP against a blindpost-server on each store"
# A server started in the process on 127.0.0.1; PostgreSQL and Redis Cluster from the engines'
# environment above.
for store in embedded postgres redis-cluster; do
    "$TARGET/debug/examples/walkthrough" --store "$store" --quiet
done

step "load and fault run: two servers, 200 clients, a server killed and the store failed over"
# The binaries the build above made (the dev profile is optimised); the cluster run finds the
# server binary next to its own. Each run exits non-zero unless its four checks are 0.
for store in redis-cluster postgres; do
    "$TARGET/debug/blindpost-cluster" --store "$store" --clients 200 --seconds 20
done

step "bindings: the Python wheel, Kotlin jar and Swift package, each tested from a fresh project"
bash bindings/run-tests.sh

step "fuzz smoke: every fuzz target briefly (ci/fuzz-smoke.sh)"
bash ci/fuzz-smoke.sh

step "no_std: the core links without std"
cargo build --manifest-path ci/nostd-check/Cargo.toml --target-dir target/nostd-check

step "packages: the core's declared rust-version, and cargo publish --dry-run"
# The minimum Rust version Cargo.toml declares, on both backends. rustup fetches it if missing.
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
if ! cargo "+$msrv" --version >/dev/null 2>&1; then
    rustup toolchain install "$msrv" --profile minimal ||
        { echo "Rust $msrv (the declared rust-version) could not be installed" >&2; exit 1; }
fi
cargo "+$msrv" check -p blindpost --lib --target-dir target/msrv
cargo "+$msrv" check -p blindpost --lib --features blst --target-dir target/msrv
# The core with the one workspace crate it names (the simulation's optional blindpost-e2e),
# packaged and each built from its package alone.
cargo publish --dry-run --allow-dirty -p blindpost-e2e -p blindpost

printf '\nall tests passed (%s)\n' "$(date +%T)"
