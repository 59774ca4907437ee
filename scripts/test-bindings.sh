#!/usr/bin/env bash
# Builds scanpay-ffi, generates the Kotlin and Python bindings from the
# unstripped host library, and runs both binding suites the way apps use them
# (including the end-to-end payments against the sandbox over TLS). Then the
# "first payment" examples of docs/bindings.md (docs/examples/): checks that
# the doc shows each file verbatim, and runs the Python and Kotlin ones against
# `scanpay sandbox serve` with codes from `scanpay qr make`, as a newcomer would.
# Installs what is missing: the Kotlin compiler (npm package kotlin-compiler,
# which also ships kotlinx-coroutines-core-jvm.jar), JNA (Debian libjna-java),
# pytest (PyPI, in a venv). Everything it writes goes under
# ${CARGO_TARGET_DIR:-target}.
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
cargo_target=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
venv="$cargo_target/bindings-venv"
if [[ ! -x "$venv/bin/pytest" ]]; then
  step "installing pytest (venv $venv)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pytest
fi

step "generate bindings (unstripped dev library)"
lib=$(scripts/bindings.sh)
out="$cargo_target/bindings"
# --workspace, --features scanpay-ffi/testing: the test build's features, so nothing is compiled again (scripts/bindings.sh).
cargo build --locked -q --workspace --lib --bins --examples --features scanpay-ffi/testing
"$cargo_target/debug/examples/fixtures" "$out/fixtures"
export SCANPAY_ROOT="$root" SCANPAY_FIXTURES="$out/fixtures"
export SCANPAY_SANDBOX_BIN="$cargo_target/debug/examples/sandbox"

step "Python suite (pytest)"
# The generated scanpay.py loads libscanpay_ffi.so from its own folder only.
cp "$lib" "$out/python/"
(cd "$out/python" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/bindings/tests/test_bindings.py")

step "Kotlin suite (kotlinc, JVM, JNA), with the first-payment example"
# docs/examples/FirstPayment.kt is compiled into the same jar (its own
# FirstPaymentKt class, default package): one kotlinc run of the generated file.
mkdir -p "$out/kotlin-build"
"$KC/bin/kotlinc" -nowarn -cp "$KOTLIN_CP" \
  "$out/kotlin/app/scanpay/ffi/scanpay.kt" bindings/tests/kotlin/BindingsTest.kt docs/examples/FirstPayment.kt \
  -d "$out/kotlin-build/tests.jar"
run_kotlin() {
  java -Djna.library.path="$(dirname "$lib")" \
    -cp "$out/kotlin-build/tests.jar:$KOTLIN_CP:$KC/lib/kotlin-stdlib.jar" "$@"
}
run_kotlin app.scanpay.test.BindingsTestKt

step "first payment in 30 lines: docs/examples as docs/bindings.md shows them, against 'scanpay sandbox serve'"
# 1. The doc shows each example file verbatim: the fenced block after the
#    line '<!-- include: docs/examples/NAME -->' must equal the file.
for f in docs/examples/first_payment.py docs/examples/FirstPayment.kt docs/examples/FirstPayment.swift; do
  awk -v marker="<!-- include: $f -->" '
    $0 == marker { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```$/ { exit }
    found == 2 { print }' docs/bindings.md >"$out/doc-copy.txt"
  if ! diff -u "$f" "$out/doc-copy.txt"; then
    echo "docs/bindings.md's copy of $f differs from the file (above): paste the file into the doc" >&2
    exit 1
  fi
done
echo "docs/bindings.md shows the three example files verbatim"
# 2. The Swift one: scripts/check-swift.sh parses it with the rest of the
#    Swift (it runs after this script in the test command).
# 3. Python and Kotlin pay the sandbox a newcomer runs: `scanpay sandbox serve`
#    and codes from `scanpay qr make`, inputs from its link.json.
cargo build --locked -q --workspace --lib --bins --examples --features scanpay-ffi/testing
scanpay="$cargo_target/debug/scanpay"
fp="$out/first-payment"
rm -rf "$fp"
mkdir -p "$fp"
"$scanpay" sandbox serve --data "$fp/sandbox" --listen 127.0.0.1:0 >"$fp/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true' EXIT
link="$fp/sandbox/link.json"
for _ in $(seq 1 150); do
  [[ -s "$link" ]] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$fp/serve.log" >&2; echo "scanpay sandbox serve stopped" >&2; exit 1; }
  sleep 0.2
done
[[ -s "$link" ]] || { cat "$fp/serve.log" >&2; echo "no $link after 30 s" >&2; exit 1; }
# A dynamic code: qr make creates the order in the running sandbox.
dynamic=$("$scanpay" qr make --merchant M-0001 --amount 4.50 --dynamic --sandbox "$fp/sandbox" --out "$fp/order.png")
PYTHONPATH="$out/python" "$venv/bin/python" docs/examples/first_payment.py "$link" "$dynamic" "$fp/wallet-python"
# A static code: the payer types the amount.
static=$("$scanpay" qr make --merchant M-0001 --sandbox "$fp/sandbox" --out "$fp/static.png")
mapfile -t fields < <("$venv/bin/python" -c 'import json, sys
l = json.load(open(sys.argv[1]))
print("\n".join([l["base_url"], l["ca_pem_path"], l["spki_pin"], l["roots_json_path"]]))' "$link")
run_kotlin FirstPaymentKt "${fields[@]}" "$static" "$fp/wallet-kotlin"
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true
trap - EXIT
echo "first-payment: 2 passed, 0 failed"
