#!/usr/bin/env bash
# Smoke run of every cargo-fuzz target in fuzz/ (part of ci/test-all.sh).
#
# Builds all targets once (nightly, optimised, with debug assertions and overflow checks, no
# sanitizer: the core forbids unsafe code), writes the seed corpora from test-vectors/ and the
# fixture's recorded protocol run, then runs every target (from its seeds and the minimised
# corpus in fuzz/corpus-min/<target>/) for FUZZ_SECONDS seconds, FUZZ_JOBS at a time. Any crash, panic, failed assertion, timeout (FUZZ_TIMEOUT seconds for
# one input) or out-of-memory fails the script; the reproducer is kept in fuzz/artifacts/.
#
#   FUZZ_SECONDS=600 FUZZ_JOBS=1 ci/fuzz-smoke.sh bbs04_signature   # a longer campaign
#
# cargo-fuzz is installed when missing. Outside CI a missing nightly toolchain skips the run
# with a warning; with CI=true every missing tool is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-6}"
FUZZ_JOBS="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"
FUZZ_TIMEOUT="${FUZZ_TIMEOUT:-30}"
CARGO_FUZZ_VERSION=0.13.2
# Feature `differential`: the curve runs on both backends in every target and a difference
# panics (SPEC.md 2.6), so this one build fuzzes bls12_381 and blst, and checks one against the
# other. FUZZ_FEATURES= (empty) builds on bls12_381 alone, without `differential_curve`.
FUZZ_FEATURES="${FUZZ_FEATURES-differential}"
BUILD_FLAGS=(--sanitizer none --debug-assertions)
if [ -n "$FUZZ_FEATURES" ]; then
    BUILD_FLAGS+=(--features "$FUZZ_FEATURES")
fi
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"

missing() {
    if [ "${CI:-}" = true ]; then
        echo "fuzz-smoke: $1 (CI=true: failing)" >&2
        exit 1
    fi
    echo "fuzz-smoke: $1; skipping the fuzz smoke run" >&2
    exit 0
}

cargo +nightly --version >/dev/null 2>&1 || missing "no nightly toolchain (rustup toolchain install nightly)"
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "fuzz-smoke: installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" ||
        missing "cargo-fuzz could not be installed"
fi

echo "fuzz-smoke: format and unit tests of the fuzz crates"
cargo fmt --manifest-path fuzz/Cargo.toml --all -- --check
cargo test --manifest-path fuzz/Cargo.toml -p blindpost-fuzz-common --release --quiet

echo "fuzz-smoke: building every target"
cargo +nightly fuzz build "${BUILD_FLAGS[@]}"
bin_dir="fuzz/target/$TRIPLE/release"

echo "fuzz-smoke: writing seed corpora"
cargo run --manifest-path fuzz/Cargo.toml -p blindpost-fuzz-common --release --quiet \
    --bin seed-corpus -- .

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
    if [ -z "$FUZZ_FEATURES" ]; then
        # It needs both backends.
        mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -vx differential_curve)
    fi
fi

logs="fuzz/artifacts/smoke-logs"
mkdir -p "$logs"

run_target() {
    local t="$1"
    mkdir -p "fuzz/artifacts/$t"
    # New inputs go to fuzz/corpus/<t>; the minimised corpus kept in the repository
    # (ci/fuzz-campaign.sh) is read as well, so the run starts where the last campaign ended.
    local seeds=()
    [ -d "fuzz/corpus-min/$t" ] && seeds=("fuzz/corpus-min/$t")
    if "$bin_dir/$t" "fuzz/corpus/$t" "${seeds[@]}" \
        -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" \
        >"$logs/$t.log" 2>&1; then
        echo ok >"$logs/$t.status"
    else
        echo failed >"$logs/$t.status"
    fi
}

start=$(date +%s)
echo "fuzz-smoke: ${#targets[@]} targets, ${FUZZ_SECONDS}s each, $FUZZ_JOBS at a time"
running=0
for t in "${targets[@]}"; do
    rm -f "$logs/$t.status"
    run_target "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$FUZZ_JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

failed=()
printf '\n%-26s %10s %8s %6s %s\n' target executions exec/s cov status
for t in "${targets[@]}"; do
    log="$logs/$t.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    status=$(cat "$logs/$t.status" 2>/dev/null || echo failed)
    printf '%-26s %10s %8s %6s %s\n' "$t" "${runs:--}" "${speed:--}" "${cov:--}" "$status"
    if [ "$status" != ok ]; then
        failed+=("$t")
    fi
done
echo "fuzz-smoke: fuzzing took $(($(date +%s) - start))s"

if [ "${#failed[@]}" -gt 0 ]; then
    for t in "${failed[@]}"; do
        echo
        echo "== $t failed; the end of its log ($logs/$t.log):"
        tail -40 "$logs/$t.log"
    done
    echo "fuzz-smoke: FAILED: ${failed[*]} (reproducers in fuzz/artifacts/<target>/)" >&2
    exit 1
fi
echo "fuzz-smoke: all ${#targets[@]} targets ran without a failure"
