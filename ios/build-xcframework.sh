#!/usr/bin/env bash
# Builds the ScanPay XCFramework and the generated Swift bindings (macOS + Xcode).
#
#   ios/build-xcframework.sh [--profile release-small|release|dev]
#
# 1. `cargo build` of scanpay-ffi (staticlib) for aarch64-apple-ios (devices),
#    aarch64-apple-ios-sim and x86_64-apple-ios (simulators).
# 2. `uniffi-bindgen generate --language swift` from the UNSTRIPPED device
#    library (UniFFI reads the interface from the library's metadata; a stripped
#    library silently yields empty bindings) -> scanpay.swift, scanpayFFI.h,
#    the module map.
# 3. lipo of the two simulator slices into one fat simulator library.
# 4. xcodebuild -create-xcframework with the header and module map.
# 5. A zip of the XCFramework and its `swift package compute-checksum`, for a
#    remote binary target.
#
# Outputs (all ignored by git, never committed):
#   ios/build/scanpayFFI.xcframework, ios/build/scanpayFFI.xcframework.zip
#   ios/Sources/ScanPay/Generated/scanpay.swift
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

profile=release-small
while [[ $# -gt 0 ]]; do
  case "$1" in
    --profile) profile="${2:?--profile needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-xcframework: unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$profile" in
  dev) profile_dir=debug ;;
  *) profile_dir="$profile" ;;
esac

die() { echo "build-xcframework: $*" >&2; exit 1; }
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"
}

[[ "$(uname -s)" == "Darwin" ]] || die "needs macOS with Xcode (this is $(uname -s)); on Linux, scripts/check-swift.sh checks the Swift syntax"
need cargo "install Rust from https://rustup.rs"
need rustup "install Rust from https://rustup.rs"
need xcodebuild "install Xcode and run: sudo xcode-select -s /Applications/Xcode.app"
need xcrun "install the Xcode command line tools: xcode-select --install"
need lipo "install the Xcode command line tools: xcode-select --install"
need swift "install Xcode (swift computes the binary target checksum)"
xcrun --sdk iphoneos --show-sdk-path >/dev/null 2>&1 \
  || die "no iOS SDK: install Xcode (not only the command line tools) and select it with xcode-select -s"

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || die "Rust target $t missing: rustup target add ${targets[*]}"
done

# The C parts (ring, bundled SQLite) and rustc's link step target the same
# minimum iOS as Package.swift.
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-16.0}"

cargo_target="${CARGO_TARGET_DIR:-$root/target}"
lib=libscanpay_ffi.a
for t in "${targets[@]}"; do
  echo "== cargo build --profile $profile --target $t" >&2
  cargo build --locked -p scanpay-ffi --lib --profile "$profile" --target "$t"
  [[ -f "$cargo_target/$t/$profile_dir/$lib" ]] || die "missing $cargo_target/$t/$profile_dir/$lib"
done

out="$here/build"
rm -rf "$out"
mkdir -p "$out/generated" "$out/headers/scanpayFFI" "$out/ios-simulator"

echo "== uniffi-bindgen generate --language swift" >&2
cargo build --locked -p uniffi-bindgen
# Host build of the workspace's uniffi-bindgen (same UniFFI version as the library).
"$cargo_target/debug/uniffi-bindgen" generate \
  --library "$cargo_target/aarch64-apple-ios/$profile_dir/$lib" \
  --language swift --out-dir "$out/generated" --no-format
for f in scanpay.swift scanpayFFI.h scanpayFFI.modulemap; do
  [[ -s "$out/generated/$f" ]] || die "bindings generation produced no $f"
done
grep -q "class Wallet" "$out/generated/scanpay.swift" \
  || die "generated scanpay.swift has no Wallet: was the library stripped?"

# The header and module map go in a subdirectory named after the module:
# clang finds Headers/scanpayFFI/module.modulemap when importing scanpayFFI,
# and two XCFrameworks in one app cannot collide on Headers/module.modulemap.
cp "$out/generated/scanpayFFI.h" "$out/headers/scanpayFFI/"
cp "$out/generated/scanpayFFI.modulemap" "$out/headers/scanpayFFI/module.modulemap"

mkdir -p "$here/Sources/ScanPay/Generated"
cp "$out/generated/scanpay.swift" "$here/Sources/ScanPay/Generated/scanpay.swift"

echo "== lipo simulator slices" >&2
lipo -create \
  "$cargo_target/aarch64-apple-ios-sim/$profile_dir/$lib" \
  "$cargo_target/x86_64-apple-ios/$profile_dir/$lib" \
  -output "$out/ios-simulator/$lib"
lipo -info "$out/ios-simulator/$lib" >&2

echo "== xcodebuild -create-xcframework" >&2
xcodebuild -create-xcframework \
  -library "$cargo_target/aarch64-apple-ios/$profile_dir/$lib" -headers "$out/headers" \
  -library "$out/ios-simulator/$lib" -headers "$out/headers" \
  -output "$out/scanpayFFI.xcframework" >&2

echo "== zip and checksum" >&2
(cd "$out" && ditto -c -k --sequesterRsrc --keepParent scanpayFFI.xcframework scanpayFFI.xcframework.zip)
# compute-checksum runs inside a package directory.
checksum="$(cd "$here" && swift package compute-checksum "$out/scanpayFFI.xcframework.zip")"
[[ "$checksum" =~ ^[0-9a-f]{64}$ ]] || die "unexpected checksum output: $checksum"

for t in "${targets[@]}"; do
  printf '%s %s bytes\n' "$t" "$(stat -f %z "$cargo_target/$t/$profile_dir/$lib")" >&2
done
cat <<EOF
XCFramework: $out/scanpayFFI.xcframework
Zip:         $out/scanpayFFI.xcframework.zip
Checksum:    $checksum

For a remote binary target, upload the zip and set in ios/Package.swift:
let releasedFramework: (url: String, checksum: String)? = (
    url: "https://<host>/<release>/scanpayFFI.xcframework.zip",
    checksum: "$checksum"
)
EOF
