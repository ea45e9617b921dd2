#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, docs, unit/integration/property tests and
# test vectors, the store suite on PostgreSQL and a Redis Cluster (started and stopped here), a
# small walkthrough, the uniffi bindings in Kotlin, Swift and Python, a fuzz smoke run, and the
# no_std build check.
# README.md names this as the test command.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "docs: every public item documented, every intra-doc link resolves"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace

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

step "walkthrough (small population)"
cargo run --example walkthrough -- --population 8 --quiet

step "bindings: Kotlin, Swift and Python through uniffi (installs missing toolchains)"
bash bindings/run-tests.sh

step "fuzz smoke: every fuzz target briefly (ci/fuzz-smoke.sh)"
bash ci/fuzz-smoke.sh

step "no_std: the core links without std"
cargo build --manifest-path ci/nostd-check/Cargo.toml --target-dir target/nostd-check

printf '\nall tests passed\n'
