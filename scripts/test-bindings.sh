#!/usr/bin/env bash
# Builds scanpay-ffi, generates the Kotlin and Python bindings from the
# unstripped host library, and runs both binding suites the way apps use them
# (including the end-to-end payments against the sandbox over TLS).
# Installs what is missing: the Kotlin compiler (npm package kotlin-compiler,
# which also ships kotlinx-coroutines-core-jvm.jar), JNA (Debian libjna-java),
# pytest (PyPI, in a venv under target/).
#
# Usage: scripts/test-bindings.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
step() { printf '\n==> %s\n' "$*"; }

# kotlinc (npm), JNA (Debian) and a JRE, installed when missing: shared with
# scripts/test-android-jvm.sh. Sets KC (the compiler's folder) and KOTLIN_CP.
. scripts/lib-kotlin.sh
kotlin_tools
venv=target/bindings-venv
if [[ ! -x "$venv/bin/pytest" ]]; then
  step "installing pytest (venv $venv)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pytest
fi

step "generate bindings (unstripped dev library)"
lib=$(scripts/bindings.sh)
cargo build --locked -q -p scanpay-ffi --examples
cargo run --locked -q -p scanpay-ffi --example fixtures -- target/bindings/fixtures
export SCANPAY_ROOT="$root" SCANPAY_FIXTURES="$root/target/bindings/fixtures"
cargo_target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
export SCANPAY_SANDBOX_BIN="$cargo_target/debug/examples/sandbox"

step "Python suite (pytest)"
cp "$lib" target/bindings/python/
(cd target/bindings/python && "$root/$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/bindings/tests/test_bindings.py")

step "Kotlin suite (kotlinc, JVM, JNA)"
mkdir -p target/bindings/kotlin-build
"$KC/bin/kotlinc" -nowarn -cp "$KOTLIN_CP" \
  target/bindings/kotlin/app/scanpay/ffi/scanpay.kt bindings/tests/kotlin/BindingsTest.kt \
  -d target/bindings/kotlin-build/tests.jar
java -Djna.library.path="$(dirname "$lib")" \
  -cp "target/bindings/kotlin-build/tests.jar:$KOTLIN_CP:$KC/lib/kotlin-stdlib.jar" \
  app.scanpay.test.BindingsTestKt
