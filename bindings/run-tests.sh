#!/usr/bin/env bash
# Builds blindpost-ffi, generates its Kotlin, Swift and Python bindings with uniffi (library
# mode) into target/bindings/, installs any missing toolchain, and runs each language's tests.
#
#   bash bindings/run-tests.sh                 # every language
#   bash bindings/run-tests.sh python kotlin   # a subset
#
# Toolchains (see /work/shared/DESIGN.md, "Toolchains for the bindings"):
#   Python  python3 (3.11 on the machine).
#   Kotlin  java 17, kotlinc from the npm package kotlin-compiler (unpacked into
#           target/toolchains/kotlin-<version>), JNA from Debian's libjna-java.
#   Swift   swiftlang 6 from Debian 13 (trixie), in a root made with debootstrap at
#           target/toolchains/swift-trixie and reused on later runs; the generated files are
#           bind-mounted into it and the tests run under chroot.
# With CI=true a toolchain that cannot be installed is a failure; otherwise that language is
# skipped with a message. Any test failure fails the script.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
OUT=$TARGET/bindings
TOOLS=$TARGET/toolchains
# The dev profile (opt-level 2) is what `cargo test` already built, so a debug build of the
# cdylib costs only its own crate on a warm tree; a release build would recompile everything.
PROFILE_DIR=$TARGET/debug
LIB=$PROFILE_DIR/libblindpost_ffi.so
KOTLIN_VERSION=2.4.20
SWIFT_ROOT=$TOOLS/swift-trixie
SWIFT_MNT=/blindpost
CI=${CI:-false}
# The vector files the tests check (another folder only to see the tests fail on altered files).
VECTORS=$(cd "${BLINDPOST_VECTORS:-$REPO/test-vectors}" && pwd)

LANGS=("$@")
[ ${#LANGS[@]} -gt 0 ] || LANGS=(python kotlin swift)

say() { printf '\n== bindings: %s\n' "$*"; }
die() { printf 'bindings: error: %s\n' "$*" >&2; exit 1; }

# A missing toolchain: fatal in CI, a loud skip elsewhere.
SKIPPED=()
missing() {
  if [ "$CI" = true ]; then
    die "$1 (CI=true: a toolchain that cannot be had is a failure)"
  fi
  printf 'bindings: SKIPPING %s: %s\n' "$2" "$1" >&2
  SKIPPED+=("$2")
}

APT_UPDATED=false
apt_install() {
  command -v apt-get >/dev/null || return 1
  if [ "$APT_UPDATED" = false ]; then
    apt-get update -qq >/dev/null || return 1
    APT_UPDATED=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Swift root mounts: always undone on exit, and stale ones from an interrupted run first.
SWIFT_MOUNTS=()
unmount_all() {
  local m
  for m in "$SWIFT_ROOT$SWIFT_MNT" "$SWIFT_ROOT/proc"; do
    while mountpoint -q "$m" 2>/dev/null; do umount "$m" 2>/dev/null || umount -l "$m" || break; done
  done
}
cleanup() { [ ${#SWIFT_MOUNTS[@]} -eq 0 ] || unmount_all; }
trap cleanup EXIT
trap 'exit 130' INT TERM
[ -d "$SWIFT_ROOT" ] && unmount_all

declare -A SECONDS_TAKEN
timed() {
  local name=$1 start end
  shift
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  SECONDS_TAKEN[$name]=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  printf 'bindings: %s took %s s\n' "$name" "${SECONDS_TAKEN[$name]}"
}

# ---------------------------------------------------------------------------------------------
build_and_generate() {
  say "build blindpost-ffi and uniffi-bindgen"
  # The whole workspace with its examples: cargo then resolves features as `cargo test
  # --workspace` does, so after the tests only the bindgen binary is new. `-p blindpost-ffi -p
  # uniffi-bindgen` alone would resolve fewer features (serde, syn, libc, ...) and rebuild
  # almost every dependency, the core included (about 5 minutes on 2 cores).
  cargo build --workspace --lib --bins --examples
  [ -f "$LIB" ] || die "$LIB was not built"
  say "generate Kotlin, Swift and Python"
  rm -rf "$OUT/gen"
  mkdir -p "$OUT/gen"
  "$PROFILE_DIR/uniffi-bindgen" generate --no-format --library "$LIB" \
    --language kotlin --language swift --language python --out-dir "$OUT/gen"
}

# ---------------------------------------------------------------------------------------------
run_python() {
  say "python"
  if ! command -v python3 >/dev/null; then
    apt_install python3 || { missing "python3 is not installed and could not be installed" python; return 0; }
  fi
  local dir=$OUT/python
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$OUT/gen/blindpost.py" "$LIB" "$dir/"
  BLINDPOST_VECTORS="$VECTORS" PYTHONPATH="$dir" PYTHONDONTWRITEBYTECODE=1 \
    python3 -m unittest discover -s "$REPO/bindings/python" -p 'test_*.py' -v
}

# ---------------------------------------------------------------------------------------------
KOTLINC=""
JNA_JAR=""
ensure_kotlin() {
  if ! command -v java >/dev/null; then
    apt_install default-jdk-headless || return 1
  fi
  local home=$TOOLS/kotlin-$KOTLIN_VERSION
  if [ ! -x "$home/package/bin/kotlinc" ] && [ ! -f "$home/package/bin/kotlinc" ]; then
    command -v npm >/dev/null || apt_install npm || return 1
    rm -rf "$home"
    mkdir -p "$home"
    say "install kotlinc $KOTLIN_VERSION (npm pack kotlin-compiler)"
    (cd "$home" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null && tar -xzf kotlin-compiler-*.tgz && rm -f kotlin-compiler-*.tgz) || return 1
  fi
  [ -f "$home/package/bin/kotlinc" ] || return 1
  KOTLINC=$home/package/bin/kotlinc
  JNA_JAR=/usr/share/java/jna.jar
  if [ ! -f "$JNA_JAR" ]; then
    say "install JNA (libjna-java)"
    apt_install libjna-java || return 1
  fi
  [ -f "$JNA_JAR" ]
}

run_kotlin() {
  say "kotlin"
  if ! ensure_kotlin; then
    missing "kotlinc $KOTLIN_VERSION, java or JNA could not be installed" kotlin
    return 0
  fi
  local dir=$OUT/kotlin cache=$OUT/kotlin-cache
  rm -rf "$dir"
  mkdir -p "$dir" "$cache"
  cp "$LIB" "$dir/"
  # Two jars, each compiled only when its sources changed (kotlinc takes most of a minute over
  # the generated bindings): the generated bindings, and the tests with their support library
  # (entry point blindpost.tests.MainKt), so that the JVM starts once for all of them.
  local bindings_kt=$OUT/gen/uniffi/blindpost/blindpost.kt tests_kt bindings_jar tests_jar
  tests_kt=$(ls "$REPO"/bindings/kotlin/support/*.kt "$REPO"/bindings/kotlin/tests/*.kt)
  bindings_jar=$cache/bindings-$(sha256sum "$bindings_kt" | cut -c1-16).jar
  if [ ! -f "$bindings_jar" ]; then
    rm -f "$cache"/bindings-*.jar "$cache"/tests-*.jar
    bash "$KOTLINC" -nowarn -d "$bindings_jar.tmp.jar" -classpath "$JNA_JAR" "$bindings_kt"
    mv "$bindings_jar.tmp.jar" "$bindings_jar"
  fi
  # shellcheck disable=SC2086
  tests_jar=$cache/tests-$(cat "$bindings_jar" $tests_kt | sha256sum | cut -c1-16).jar
  if [ ! -f "$tests_jar" ]; then
    rm -f "$cache"/tests-*.jar
    # shellcheck disable=SC2086
    bash "$KOTLINC" -nowarn -d "$tests_jar.tmp.jar" -classpath "$bindings_jar:$JNA_JAR" $tests_kt
    mv "$tests_jar.tmp.jar" "$tests_jar"
  fi
  local stdlib
  stdlib=$(dirname "$KOTLINC")/../lib/kotlin-stdlib.jar
  BLINDPOST_VECTORS="$VECTORS" java -Djna.library.path="$dir" \
    -classpath "$tests_jar:$bindings_jar:$JNA_JAR:$stdlib" blindpost.tests.MainKt
}

# ---------------------------------------------------------------------------------------------
# The Debian mirror apt uses on this machine (so the root comes from the same place).
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f"
  done | head -n1 | grep . && return 0
  awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null | grep .
}

ensure_swift_root() {
  if [ -f "$SWIFT_ROOT/.blindpost-ready" ]; then
    return 0
  fi
  command -v debootstrap >/dev/null || apt_install debootstrap || return 1
  say "create the Swift root (debootstrap trixie into $SWIFT_ROOT; about a minute and 3 GB)"
  unmount_all
  rm -rf --one-file-system "$SWIFT_ROOT"
  mkdir -p "$SWIFT_ROOT"
  local mirror
  mirror=$(debian_mirror || true)
  # shellcheck disable=SC2086
  debootstrap --variant=minbase trixie "$SWIFT_ROOT" $mirror >"$TOOLS/swift-debootstrap.log" 2>&1 \
    || { tail -n 20 "$TOOLS/swift-debootstrap.log" >&2; return 1; }
  # The host's apt network settings (proxy, validity checks) and name servers apply inside too.
  apt-config dump | grep '^Acquire::' >"$SWIFT_ROOT/etc/apt/apt.conf.d/99host-acquire" || true
  cp -L /etc/resolv.conf "$SWIFT_ROOT/etc/resolv.conf" 2>/dev/null || true
  mount_proc
  chroot "$SWIFT_ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends swiftlang libc6-dev libstdc++-14-dev' \
    >"$TOOLS/swift-apt.log" 2>&1 || { tail -n 20 "$TOOLS/swift-apt.log" >&2; return 1; }
  chroot "$SWIFT_ROOT" /usr/libexec/swift/bin/swiftc --version >/dev/null 2>&1 || return 1
  chroot "$SWIFT_ROOT" apt-get clean >/dev/null 2>&1 || true
  touch "$SWIFT_ROOT/.blindpost-ready"
}

mount_proc() {
  mountpoint -q "$SWIFT_ROOT/proc" && return 0
  mkdir -p "$SWIFT_ROOT/proc"
  SWIFT_MOUNTS+=(proc)
  mount -t proc proc "$SWIFT_ROOT/proc"
}

run_swift() {
  say "swift"
  if [ "$(id -u)" != 0 ]; then
    missing "the Swift tests run under chroot in a Debian trixie root, which needs root" swift
    return 0
  fi
  if ! ensure_swift_root; then
    missing "the Swift root (Debian trixie + swiftlang) could not be made" swift
    return 0
  fi
  local dir=$OUT/swift
  rm -rf "$dir"
  mkdir -p "$dir/vectors"
  cp "$OUT/gen/blindpost.swift" "$OUT/gen/blindpostFFI.h" "$OUT/gen/blindpostFFI.modulemap" "$LIB" "$dir/"
  cp "$REPO"/bindings/swift/*.swift "$dir/"
  cp "$VECTORS"/*.json "$dir/vectors/"
  mount_proc
  mkdir -p "$SWIFT_ROOT$SWIFT_MNT"
  SWIFT_MOUNTS+=(build)
  mount --bind "$dir" "$SWIFT_ROOT$SWIFT_MNT"
  local sources
  sources=$(cd "$dir" && ls ./*.swift | grep -v -e '^./main.swift$' -e '^./blindpost.swift$' | tr '\n' ' ')
  chroot "$SWIFT_ROOT" /usr/bin/env -i PATH=/usr/libexec/swift/bin:/usr/bin:/bin HOME=/root \
    sh -c "cd $SWIFT_MNT && swiftc -module-name blindpost \
      -Xcc -fmodule-map-file=$SWIFT_MNT/blindpostFFI.modulemap -I $SWIFT_MNT -L $SWIFT_MNT \
      -lblindpost_ffi blindpost.swift $sources main.swift -o $SWIFT_MNT/blindpost-tests"
  chroot "$SWIFT_ROOT" /usr/bin/env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH=$SWIFT_MNT \
    BLINDPOST_VECTORS=$SWIFT_MNT/vectors $SWIFT_MNT/blindpost-tests
  umount "$SWIFT_ROOT$SWIFT_MNT"
}

# ---------------------------------------------------------------------------------------------
mkdir -p "$OUT" "$TOOLS"
timed build build_and_generate
for lang in "${LANGS[@]}"; do
  case $lang in
    python | kotlin | swift) timed "$lang" "run_$lang" ;;
    *) die "unknown language $lang (python, kotlin, swift)" ;;
  esac
done

say "summary"
for name in build "${LANGS[@]}"; do
  printf '  %-7s %6s s\n' "$name" "${SECONDS_TAKEN[$name]:-?}"
done
if [ ${#SKIPPED[@]} -gt 0 ]; then
  printf 'bindings: passed, but SKIPPED (toolchain missing): %s\n' "${SKIPPED[*]}"
else
  printf 'bindings: all languages passed\n'
fi
