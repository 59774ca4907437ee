#!/usr/bin/env bash
# Builds the ScanPay core for Android and generates the Android Kotlin bindings.
#
#  1. `cargo ndk` builds `scanpay-ffi` (profile release-small: opt-level z,
#     LTO, panic = "unwind") for arm64-v8a, armeabi-v7a and x86_64 and copies
#     each libscanpay_ffi.so to scanpay/src/main/jniLibs/<abi>/ (generated,
#     git-ignored). Every target links with 16 KB page alignment
#     (-Wl,-z,max-page-size=16384) so the library loads on Android 15+ devices
#     that run 16 KB pages.
#     The library exports only what the generated Kotlin calls: a version
#     script makes UniFFI's UNIFFI_META_* statics local, so the linker drops
#     them (~86 KB on arm64; ADR 0025). Their names come from a host build of
#     scanpay-ffi (dev profile) made first; scripts/size-report.sh checks the
#     same link against the Kotlin and Swift. No `testing` feature: the
#     test-only objects (InsecureSoftwareBiometricKey, TestClock) are not in it.
#  2. uniffi-bindgen generates the Kotlin from the arm64 STATIC library of the
#     same build (UniFFI reads the interface from the metadata, which the
#     shared library no longer carries) with the Android option (`android = true`:
#     androidx annotations, the Android system cleaner) into
#     scanpay/build/generated/source/uniffi/kotlin (never committed, never
#     edited by hand).
#  3. check-16k.sh fails the build if any LOAD segment is aligned below 16 KB.
#
# Needs: rustup targets aarch64-linux-android armv7-linux-androideabi
# x86_64-linux-android, `cargo install cargo-ndk`, and an NDK (ANDROID_NDK_HOME,
# or ANDROID_HOME/ndk/<version>; Android Studio's SDK Manager installs it).
#
# Usage: android/build-rust.sh [--abi arm64-v8a] [--profile release-small] [--skip-bindings]
#   --abi may be repeated (default: all three). The Gradle task `buildRust`
#   of the scanpay module runs this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

profile=release-small
abis=()
bindings=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --abi) abis+=("${2:?--abi needs a value}"); shift 2 ;;
    --profile) profile="${2:?--profile needs a value}"; shift 2 ;;
    --skip-bindings) bindings=0; shift ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "build-rust.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ ${#abis[@]} -gt 0 ]] || abis=(arm64-v8a armeabi-v7a x86_64)

command -v cargo-ndk >/dev/null || { echo "cargo-ndk missing: cargo install cargo-ndk" >&2; exit 1; }

# cargo's output directory of a profile: `dev` writes to debug/ (and `test`
# too, `bench` to release/); every other profile to its own name.
profile_dir() {
  case "$1" in
    dev|test) echo debug ;;
    bench) echo release ;;
    *) echo "$1" ;;
  esac
}

# Rust targets of the ABIs (for rustup and for the per-target rustflags).
triple_of() {
  case "$1" in
    arm64-v8a) echo aarch64-linux-android ;;
    armeabi-v7a) echo armv7-linux-androideabi ;;
    x86_64) echo x86_64-linux-android ;;
    x86) echo i686-linux-android ;;
    *) echo "build-rust.sh: unsupported ABI $1" >&2; exit 2 ;;
  esac
}

# 16 KB pages. cargo-ndk already adds max-page-size for 64-bit targets with
# NDK r27 or older (r28+ defaults to it); we set it for every target anyway so
# the result does not depend on the NDK version. The per-target variables are
# cargo's `target.<triple>.rustflags`; a global RUSTFLAGS would override them,
# so refuse to run with one set.
if [[ -n "${RUSTFLAGS:-}" || -n "${CARGO_ENCODED_RUSTFLAGS:-}" ]]; then
  echo "build-rust.sh: unset RUSTFLAGS / CARGO_ENCODED_RUSTFLAGS (they would drop the 16 KB link flags)" >&2
  exit 1
fi
# The flags live in rustflags.txt, shared with `check-16k.sh --host-proxy`.
page_flags=$(cat "$here/rustflags.txt")
cargo_target="${CARGO_TARGET_DIR:-$root/target}"

# The export list (ADR 0025): every UNIFFI_META_* name under `local:`. lld
# gives an exact `local:` name precedence over rustc's own version script,
# which names every #[no_mangle] symbol under `global:` (a wildcard would
# lose). The names are read from a host build of this checkout (grep -a: the
# symbol names are plain text in any object format, Mach-O or ELF, with or
# without the leading underscore); a name the phone build lacks is allowed
# by --undefined-version.
(cd "$root" && cargo build --locked -q --package scanpay-ffi --lib)
host_lib=""
for f in "$cargo_target/debug/libscanpay_ffi.dylib" "$cargo_target/debug/libscanpay_ffi.so"; do
  if [[ -f "$f" ]]; then host_lib=$f; break; fi
done
[[ -n "$host_lib" ]] || { echo "build-rust.sh: no host libscanpay_ffi in $cargo_target/debug" >&2; exit 1; }
exports_map="$cargo_target/phone-exports.map"
meta=$(grep -aoE 'UNIFFI_META_[A-Z0-9_]+' "$host_lib" | sort -u || true)
[[ -n "$meta" ]] || { echo "build-rust.sh: no UNIFFI_META_* name in $host_lib" >&2; exit 1; }
exports=$(printf '{\n  local:\n%s\n};' "$(sed 's/.*/    &;/' <<<"$meta")")
# Rewritten only when it changes (cargo does not track the file's contents);
# bash and cat only: Android Studio's PATH may lack cmp.
if [[ ! -f "$exports_map" || "$(cat "$exports_map")" != "$exports" ]]; then
  printf '%s\n' "$exports" >"$exports_map"
fi
page_flags="$page_flags -C link-arg=-Wl,--version-script=$exports_map -C link-arg=-Wl,--undefined-version"
ndk_args=()
for abi in "${abis[@]}"; do
  t=$(triple_of "$abi")
  var="CARGO_TARGET_$(echo "$t" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
  export "$var=$page_flags"
  ndk_args+=(-t "$abi")
  rustup target list --installed 2>/dev/null | grep -qx "$t" || rustup target add "$t"
done

jni="$here/scanpay/src/main/jniLibs"
mkdir -p "$jni"
cd "$root"
# --platform 24: the module's minSdk (libc symbols newer than that are refused at link time).
# `--package`, never `-p`: cargo-ndk 4.x takes `-p` as its own `--platform`.
cargo ndk "${ndk_args[@]}" --platform 24 -o "$jni" build --locked --profile "$profile" --package scanpay-ffi
# The export list took effect: a cut library has no UNIFFI_META_* name left,
# not even a local one (the statics are gone, not hidden).
for abi in "${abis[@]}"; do
  if grep -aq 'UNIFFI_META_' "$jni/$abi/libscanpay_ffi.so"; then
    echo "build-rust.sh: $jni/$abi/libscanpay_ffi.so still has UNIFFI_META_* statics: the linker ignored $exports_map (ADR 0025; lld needed)" >&2
    exit 1
  fi
done

if (( bindings )); then
  cargo build --locked -q -p uniffi-bindgen
  # Any ABI's static library carries the same interface metadata; take the
  # first ABI's (the shared library no longer has it).
  src_lib="$cargo_target/$(triple_of "${abis[0]}")/$(profile_dir "$profile")/libscanpay_ffi.a"
  [[ -f "$src_lib" ]] || { echo "missing $src_lib" >&2; exit 1; }
  out="$here/scanpay/build/generated/source/uniffi/kotlin"
  rm -rf "$out"; mkdir -p "$out"
  "$cargo_target/debug/uniffi-bindgen" generate --library "$src_lib" --language kotlin \
    --config "$here/uniffi-android.toml" --out-dir "$out" --no-format
  gen="$out/app/scanpay/ffi/scanpay.kt"
  [[ -s "$gen" ]] || { echo "bindings generation produced no $gen" >&2; exit 1; }
  grep -q 'androidx.annotation' "$gen" || { echo "$gen lacks the Android option (androidx imports)" >&2; exit 1; }
  echo "generated $gen"
fi

"$here/check-16k.sh" "$jni"
