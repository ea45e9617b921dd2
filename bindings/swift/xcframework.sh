#!/usr/bin/env bash
# Makes blindpost.xcframework for Apple platforms: the static library for each target, the C
# header and module map, and the generated Swift file to add beside it.
#
#   bash bindings/swift/xcframework.sh [OUT]      # default target/packages/apple
#
# What runs where:
#   - Building the static libraries needs only rustup's targets (installed here if missing):
#     aarch64-apple-ios (devices), aarch64-apple-ios-sim and x86_64-apple-ios (simulators),
#     aarch64-apple-darwin and x86_64-apple-darwin (macOS). No Apple linker is needed for a
#     static library, so this part runs on Linux too; a target rustup cannot fetch is reported
#     and left out.
#   - Joining the simulator and macOS slices (lipo) and making the XCFramework (xcodebuild
#     -create-xcframework) need Xcode: on macOS the script does both; elsewhere it stops after
#     the libraries and headers and says so.
# The app then adds blindpost.xcframework and blindpost.swift to its target (or wraps both in a
# SwiftPM binaryTarget), as bindings/README.md describes.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
OUT=${1:-$TARGET/packages/apple}
TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)

mkdir -p "$OUT/headers" "$OUT/libs"
built=()
for t in "${TARGETS[@]}"; do
  if ! rustup target list --installed | grep -qx "$t"; then
    rustup target add "$t" >/dev/null 2>&1 || { echo "xcframework: rustup has no $t here; left out" >&2; continue; }
  fi
  echo "xcframework: building the static library for $t"
  cargo rustc -p blindpost-ffi --lib --release --target "$t" --crate-type staticlib
  mkdir -p "$OUT/libs/$t"
  cp "$TARGET/$t/release/libblindpost_ffi.a" "$OUT/libs/$t/"
  built+=("$t")
done
[ ${#built[@]} -gt 0 ] || { echo "xcframework: no Apple target could be built" >&2; exit 1; }

echo "xcframework: the Swift bindings, header and module map (from the host's library)"
cargo build -p blindpost-ffi --release --lib
cargo build -p blindpost-bindgen --release
host_lib=$(ls "$TARGET"/release/libblindpost_ffi.{so,dylib} 2>/dev/null | head -n1)
"$TARGET/release/blindpost-bindgen" generate --no-format --library "$host_lib" --language swift \
  --out-dir "$OUT/generated"
cp "$OUT/generated/blindpostFFI.h" "$OUT/headers/"
cp "$OUT/generated/blindpostFFI.modulemap" "$OUT/headers/module.modulemap"
cp "$OUT/generated/blindpost.swift" "$OUT/"

if ! command -v xcodebuild >/dev/null || ! command -v lipo >/dev/null; then
  echo "xcframework: built ${built[*]} into $OUT/libs; lipo and xcodebuild (Xcode) are needed"
  echo "xcframework: for the rest, so run this script on macOS to make blindpost.xcframework"
  exit 0
fi

# One library per platform: the simulator slices together, the macOS slices together.
fat() {
  local name=$1 inputs=() t
  shift
  for t in "$@"; do [ -f "$OUT/libs/$t/libblindpost_ffi.a" ] && inputs+=("$OUT/libs/$t/libblindpost_ffi.a"); done
  [ ${#inputs[@]} -gt 0 ] || return 0
  mkdir -p "$OUT/libs/$name"
  lipo -create "${inputs[@]}" -output "$OUT/libs/$name/libblindpost_ffi.a"
  echo "$OUT/libs/$name/libblindpost_ffi.a"
}
args=()
[ -f "$OUT/libs/aarch64-apple-ios/libblindpost_ffi.a" ] &&
  args+=(-library "$OUT/libs/aarch64-apple-ios/libblindpost_ffi.a" -headers "$OUT/headers")
sim=$(fat ios-sim aarch64-apple-ios-sim x86_64-apple-ios)
[ -n "$sim" ] && args+=(-library "$sim" -headers "$OUT/headers")
mac=$(fat macos aarch64-apple-darwin x86_64-apple-darwin)
[ -n "$mac" ] && args+=(-library "$mac" -headers "$OUT/headers")
rm -rf "$OUT/blindpost.xcframework"
xcodebuild -create-xcframework "${args[@]}" -output "$OUT/blindpost.xcframework"
echo "xcframework: $OUT/blindpost.xcframework and $OUT/blindpost.swift"
