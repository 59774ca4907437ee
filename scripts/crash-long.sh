#!/usr/bin/env bash
# The crash suite's long mode: the wallet SIGKILLed at N random points of a
# payment (default 1,000), the sandbox SIGKILLed N/2 times mid-payment, each
# followed by recovery and the journal/ledger audit (tests/system/tests/crash.rs).
#
# Usage: scripts/crash-long.sh [RUNS] [SEED]
#   RUNS  number of wallet kills (default 1000); sandbox kills are RUNS/2
#   SEED  RNG seed (default: the suite's fixed seed); a failure prints the
#         seed to replay it with
set -euo pipefail
cd "$(dirname "$0")/.."
export SCANPAY_CRASH_RUNS="${1:-1000}"
if [ -n "${2:-}" ]; then export SCANPAY_CRASH_SEED="$2"; fi
echo "crash long mode: ${SCANPAY_CRASH_RUNS} wallet kills, $(( (SCANPAY_CRASH_RUNS + 1) / 2 )) sandbox kills"
cargo test -p scanpay-system-tests --locked --test crash -- --nocapture --test-threads 1
# The pay code: a till killed mid-charge and a phone killed mid-sync or
# mid-confirmation, RUNS times each (tests/system/tests/crash_paycode.rs).
cargo test -p scanpay-system-tests --locked --test crash_paycode -- --nocapture --test-threads 1
