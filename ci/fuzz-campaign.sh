#!/usr/bin/env bash
# A fuzzing campaign that keeps what it found: runs the given targets (default: all) for
# FUZZ_SECONDS each, FUZZ_JOBS at a time, through ci/fuzz-smoke.sh (same build, checks and
# exec/s + coverage table), then merges each target's corpus into the minimised corpus kept in
# the repository, fuzz/corpus-min/<target>/ (libFuzzer -merge=1: only inputs that add
# coverage survive), from which the next smoke run or campaign starts.
#
#   FUZZ_SECONDS=600 FUZZ_JOBS=1 ci/fuzz-campaign.sh server_sequence client_sequence
set -euo pipefail
cd "$(dirname "$0")/.."

export FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
export FUZZ_JOBS="${FUZZ_JOBS:-1}"
ci/fuzz-smoke.sh "$@"

TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="fuzz/target/$TRIPLE/release"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
    if [ -z "${FUZZ_FEATURES-differential}" ]; then
        # Built only with feature differential (ci/fuzz-smoke.sh).
        mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -vx differential_curve)
    fi
fi
for t in "${targets[@]}"; do
    min="fuzz/corpus-min/$t"
    merged="fuzz/corpus-min/.$t.new"
    rm -rf "$merged"
    mkdir -p "$min" "$merged"
    "$bin_dir/$t" -merge=1 "$merged" "$min" "fuzz/corpus/$t" >/dev/null 2>&1
    rm -rf "$min"
    mv "$merged" "$min"
    echo "fuzz-campaign: $t: $(find "$min" -type f | wc -l) inputs, $(du -sk "$min" | cut -f1) KiB kept"
done
echo "fuzz-campaign: fuzz/corpus-min/ holds $(du -sk fuzz/corpus-min | cut -f1) KiB"
