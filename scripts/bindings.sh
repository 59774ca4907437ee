#!/usr/bin/env bash
# Generates the Kotlin and Python bindings of scanpay-ffi from the UNSTRIPPED
# host library (UniFFI reads the interface from the library's metadata; a
# stripped library silently yields empty bindings). Output goes to
# ${CARGO_TARGET_DIR:-target}/bindings/{kotlin,python}: generated, never
# committed, never edited.
#
# Usage: scripts/bindings.sh [--profile dev|release|release-small]
# Prints the path of the library the bindings were generated from.
#
# dev (the default) is the binding suites' library: built with scanpay-ffi's
# `testing` feature (InsecureSoftwareBiometricKey, TestClock), as every test
# build is. Other profiles build the phone's interface, without it (ADR 0025).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=dev
if [[ "${1:-}" == "--profile" ]]; then profile="${2:?--profile needs a value}"; fi
case "$profile" in
  dev) dir=debug ;;
  *) dir="$profile" ;;
esac

# dev: the whole workspace's libraries, binaries (uniffi-bindgen among them)
# and examples, not `-p scanpay-ffi`: Cargo enables a dependency's features per
# selection of packages (examples bring the dev-dependencies' features), and a
# narrower selection compiled 107 units of the test build a second time with
# other features (serde, getrandom, uniffi, the core...). This one adds one
# unit, the uniffi-bindgen binary (ADR 0010 addendum, 2026-12-03). Every dev
# build in the binding scripts uses this same selection, and the same
# --features scanpay-ffi/testing as the test command's builds (a build without
# it compiles scanpay-ffi and its dependants again). Other profiles: the
# library only, without the test-only objects.
if [[ "$profile" == dev ]]; then
  cargo build --locked --workspace --lib --bins --examples --features scanpay-ffi/testing >&2
else
  cargo build --locked -p scanpay-ffi --profile "$profile" >&2
  cargo build --locked -p uniffi-bindgen >&2
fi
# Cargo builds into $CARGO_TARGET_DIR when it is set, and the generated
# sources go there too.
cargo_target="${CARGO_TARGET_DIR:-target}"
lib="$cargo_target/$dir/libscanpay_ffi.so"
[[ -f "$lib" ]] || { echo "missing $lib" >&2; exit 1; }

out="$cargo_target/bindings"
rm -rf "$out/kotlin" "$out/python"
mkdir -p "$out/kotlin" "$out/python"
# Plain JVM Kotlin (no `android = true`: that adds androidx imports).
"$cargo_target/debug/uniffi-bindgen" generate --library "$lib" --language kotlin --out-dir "$out/kotlin" --no-format >&2
"$cargo_target/debug/uniffi-bindgen" generate --library "$lib" --language python --out-dir "$out/python" --no-format >&2
for f in "$out/kotlin/app/scanpay/ffi/scanpay.kt" "$out/python/scanpay.py"; do
  [[ -s "$f" ]] || { echo "bindings generation produced no $f" >&2; exit 1; }
done
echo "$lib"
