#!/usr/bin/env bash
# Short libFuzzer run of every cargo-fuzz target in fuzz/ (the EMV parser,
# signed-QR verification, the registry document, API response decoding, the
# scanner on small frames), seeded from fuzz/seeds/ (real payloads, the test
# vectors and the attack corpus). Installs cargo-fuzz when missing; runs on
# the stable toolchain with RUSTC_BOOTSTRAP=1 (libFuzzer needs -Z flags).
#
# Usage: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]   (default 20; env FUZZ_SECS)
#        FUZZ_TARGETS="emv_parse scan_frame" scripts/fuzz-smoke.sh 60
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the script:
# turn it into a regression test (core/tests/props_*.rs or attacks.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-${FUZZ_SECS:-20}}"
read -r -a TARGETS <<< "${FUZZ_TARGETS:-emv_parse signed_qr_verify registry_apply api_decode scan_frame}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz not found: installing it (cargo install --locked cargo-fuzz)…" >&2
  cargo install --locked cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
# Outside the source tree: the sanitizer build and the grown corpus.
export CARGO_TARGET_DIR="${SCANPAY_FUZZ_TARGET_DIR:-$PWD/target/fuzz}"
cd fuzz
echo "==> cargo fuzz build -O (${#TARGETS[@]} targets)"
cargo fuzz build -O
summary=()
for t in "${TARGETS[@]}"; do
  corpus="$CARGO_TARGET_DIR/corpus/$t"
  mkdir -p "$corpus"
  log="$CARGO_TARGET_DIR/$t.log"
  echo "==> $t: ${SECS}s"
  # First corpus dir is writable (grown inputs go there); seeds stay read-only.
  if ! cargo fuzz run -O "$t" "$corpus" "seeds/$t" -- \
      -max_total_time="$SECS" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "FUZZ FAILURE in $t: input saved under fuzz/artifacts/$t/" >&2
    exit 1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  summary+=("$t: ${execs:-?} executions in ${SECS}s, coverage ${cov:-?}, 0 crashes")
done
echo
echo "fuzz smoke:"
printf '  %s\n' "${summary[@]}"
