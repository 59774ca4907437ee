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

KOTLIN_VERSION=2.4.20
tools=target/tools
kc="$tools/node_modules/kotlin-compiler"
if [[ ! -x "$kc/bin/kotlinc" ]]; then
  step "installing kotlin-compiler $KOTLIN_VERSION (npm)"
  npm install --silent --prefix "$tools" "kotlin-compiler@$KOTLIN_VERSION"
fi
JNA=/usr/share/java/jna.jar
if [[ ! -f "$JNA" ]]; then
  step "installing JNA (libjna-java)"
  apt-get update -qq && apt-get install -y -qq libjna-java
fi
command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq default-jre-headless; }
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
cp_jars="$kc/lib/kotlinx-coroutines-core-jvm.jar:$JNA"
mkdir -p target/bindings/kotlin-build
"$kc/bin/kotlinc" -nowarn -cp "$cp_jars" \
  target/bindings/kotlin/app/scanpay/ffi/scanpay.kt bindings/tests/kotlin/BindingsTest.kt \
  -d target/bindings/kotlin-build/tests.jar
java -Djna.library.path="$(dirname "$lib")" \
  -cp "target/bindings/kotlin-build/tests.jar:$cp_jars:$kc/lib/kotlin-stdlib.jar" \
  app.scanpay.test.BindingsTestKt
