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
# The static library for the Swift package, from the workspace build.
STATIC_LIB=$PROFILE_DIR/libblindpost_ffi.a
PACKAGES=$TARGET/packages
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
# The packages (into $PACKAGES): the wheel, the jar and the SwiftPM package all carry the one
# native library maturin built, and bindings generated from it.
MATURIN_VERSION=1.16.0
ensure_maturin() {
  local venv=$TOOLS/maturin-$MATURIN_VERSION
  if [ ! -x "$venv/bin/maturin" ]; then
    say "install maturin $MATURIN_VERSION (pip, in its own venv)"
    rm -rf "$venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q "maturin==$MATURIN_VERSION" || return 1
  fi
  MATURIN=$venv/bin/maturin
}

build_and_generate() {
  say "build blindpost-ffi's dependencies and blindpost-bindgen"
  # The whole workspace with its examples: cargo then resolves features as `cargo test
  # --workspace` does, so after the tests only what maturin builds is new. `-p` alone would
  # resolve fewer features (serde, syn, libc, ...) and rebuild almost every dependency.
  cargo build --workspace --lib --bins --examples
  [ -f "$STATIC_LIB" ] || die "$STATIC_LIB was not built"
  ensure_maturin || die "maturin $MATURIN_VERSION could not be installed (pip)"

  say "python package: the wheel (maturin, uniffi bindings, dev profile)"
  # maturin makes the wheel's Python module with the `uniffi-bindgen` on PATH: blindpost-bindgen.
  mkdir -p "$TOOLS/bin"
  ln -sf "$PROFILE_DIR/blindpost-bindgen" "$TOOLS/bin/uniffi-bindgen"
  rm -rf "$PACKAGES"
  mkdir -p "$PACKAGES/python"
  PATH="$TOOLS/bin:$PATH" "$MATURIN" build --quiet -m "$REPO/bindings/ffi/Cargo.toml" \
    --profile dev --out "$PACKAGES/python"
  WHEEL=$(ls "$PACKAGES"/python/blindpost-*.whl)

  say "generate Kotlin and Swift from the wheel's library"
  rm -rf "$OUT/gen"
  mkdir -p "$OUT/gen"
  python3 -m zipfile -e "$WHEEL" "$OUT/gen/wheel"
  LIB=$OUT/gen/wheel/blindpost/libblindpost_ffi.so
  "$PROFILE_DIR/blindpost-bindgen" generate --no-format --library "$LIB" \
    --language kotlin --language swift --out-dir "$OUT/gen"

  say "swift package: $PACKAGES/swift/blindpost"
  local pkg=$PACKAGES/swift/blindpost
  mkdir -p "$pkg/Sources/blindpostFFI/include" "$pkg/Sources/blindpost" "$pkg/lib"
  cp "$REPO/bindings/swift/package/Package.swift" "$pkg/"
  cp "$OUT/gen/blindpostFFI.h" "$pkg/Sources/blindpostFFI/include/"
  cp "$OUT/gen/blindpostFFI.modulemap" "$pkg/Sources/blindpostFFI/include/module.modulemap"
  # A C target needs one source file; the library itself is linked from lib/.
  printf '// The C interface of libblindpost_ffi: header and module map in include/.\n' \
    >"$pkg/Sources/blindpostFFI/blindpostFFI.c"
  cp "$OUT/gen/blindpost.swift" "$pkg/Sources/blindpost/"
  cp "$STATIC_LIB" "$pkg/lib/"
}

# The README's example in `lang`: the code block after the line `<!-- example: lang -->`.
readme_example() {
  awk -v mark="<!-- example: $1 -->" '
    $0 == mark { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }
    END { if (found != 2) exit 1 }
  ' "$REPO/README.md" || die "README.md has no example marked <!-- example: $1 -->"
}

# ---------------------------------------------------------------------------------------------
run_python() {
  say "python: a fresh venv, the wheel installed, the README's example and the tests"
  local venv=$OUT/python-venv
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --no-index "$WHEEL"
  # From a folder without the module: `import blindpost` finds the installed wheel only.
  readme_example python >"$OUT/readme_example.py"
  (cd "$OUT" && "$venv/bin/python" readme_example.py)
  (cd "$OUT" && BLINDPOST_VECTORS="$VECTORS" PYTHONDONTWRITEBYTECODE=1 \
    "$venv/bin/python" -m unittest discover -s "$REPO/bindings/python" -p 'test_*.py' -v)
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
  say "kotlin: the jar (bindings + linux-x86-64 library), the README's script and the tests"
  if ! ensure_kotlin; then
    missing "kotlinc $KOTLIN_VERSION, java or JNA could not be installed" kotlin
    return 0
  fi
  local cache=$OUT/kotlin-cache
  mkdir -p "$cache" "$PACKAGES/kotlin"
  # Two jars, each compiled only when its sources changed (kotlinc takes most of a minute over
  # the generated bindings): the generated bindings, and the tests with their support library
  # (entry point blindpost.tests.MainKt), so that the JVM starts once for all of them.
  local bindings_kt=$OUT/gen/uniffi/blindpost/blindpost.kt tests_kt classes_jar tests_jar
  tests_kt=$(ls "$REPO"/bindings/kotlin/support/*.kt "$REPO"/bindings/kotlin/tests/*.kt)
  classes_jar=$cache/bindings-$(sha256sum "$bindings_kt" | cut -c1-16).jar
  if [ ! -f "$classes_jar" ]; then
    rm -f "$cache"/bindings-*.jar "$cache"/tests-*.jar
    bash "$KOTLINC" -nowarn -d "$classes_jar.tmp.jar" -classpath "$JNA_JAR" "$bindings_kt"
    mv "$classes_jar.tmp.jar" "$classes_jar"
  fi
  # The package: the classes, and the library where JNA looks for it on the classpath
  # (<os>-<arch>/), so an app needs only this jar and JNA.
  local jar=$PACKAGES/kotlin/blindpost.jar
  cp "$classes_jar" "$jar"
  python3 - "$jar" "$LIB" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "a", zipfile.ZIP_DEFLATED) as jar:
    jar.write(sys.argv[2], "linux-x86-64/libblindpost_ffi.so")
PY
  # shellcheck disable=SC2086
  tests_jar=$cache/tests-$(cat "$classes_jar" $tests_kt | sha256sum | cut -c1-16).jar
  if [ ! -f "$tests_jar" ]; then
    rm -f "$cache"/tests-*.jar
    # shellcheck disable=SC2086
    bash "$KOTLINC" -nowarn -d "$tests_jar.tmp.jar" -classpath "$classes_jar:$JNA_JAR" $tests_kt
    mv "$tests_jar.tmp.jar" "$tests_jar"
  fi
  local stdlib
  stdlib=$(dirname "$KOTLINC")/../lib/kotlin-stdlib.jar
  # No -Djna.library.path, no library beside: JNA takes it from the jar.
  readme_example kotlin >"$OUT/readme_example.kts"
  (cd "$OUT" && bash "$KOTLINC" -nowarn -classpath "$jar:$JNA_JAR" -script readme_example.kts)
  (cd "$OUT" && BLINDPOST_VECTORS="$VECTORS" java \
    -classpath "$tests_jar:$jar:$JNA_JAR:$stdlib" blindpost.tests.MainKt)
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
  say "swift: a fresh app package over the blindpost package (swift build, run, test)"
  if [ "$(id -u)" != 0 ]; then
    missing "the Swift tests run under chroot in a Debian trixie root, which needs root" swift
    return 0
  fi
  if ! ensure_swift_root; then
    missing "the Swift root (Debian trixie + swiftlang) could not be made" swift
    return 0
  fi
  # Under the mount: the package (linked, not copied: the static library is large), and the
  # app, whose Package.swift depends on it by path.
  local dir=$OUT/swift app=$OUT/swift/app
  rm -rf "$dir"
  mkdir -p "$dir/vectors" "$app/Sources/readme-example" "$app/Tests/blindpostTests"
  cp -rl "$PACKAGES/swift/blindpost" "$dir/blindpost"
  cp "$REPO/bindings/swift/app/Package.swift" "$app/"
  readme_example swift >"$app/Sources/readme-example/main.swift"
  cp "$REPO"/bindings/swift/*.swift "$REPO/bindings/swift/app/XCTestMain.swift" "$app/Tests/blindpostTests/"
  cp "$VECTORS"/*.json "$dir/vectors/"
  mount_proc
  mkdir -p "$SWIFT_ROOT$SWIFT_MNT"
  SWIFT_MOUNTS+=(build)
  mount --bind "$dir" "$SWIFT_ROOT$SWIFT_MNT"
  chroot "$SWIFT_ROOT" /usr/bin/env -i PATH=/usr/libexec/swift/bin:/usr/bin:/bin HOME=/root \
    BLINDPOST_VECTORS=$SWIFT_MNT/vectors sh -c "cd $SWIFT_MNT/app \
      && swift build --build-tests \
      && swift run --skip-build readme-example \
      && swift test --skip-build"
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
