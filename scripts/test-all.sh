#!/usr/bin/env bash
# Runs every ScanPay test: formatting, lints, rustdoc, the Rust test suites of
# the whole workspace (unit, integration, property, dataset regression, vectors,
# the sandbox and system suites over TLS), and the Kotlin (JVM) and Python
# binding suites, which install what they need when missing (kotlinc from npm,
# JNA from Debian, pytest from PyPI).
#
# Usage: scripts/test-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step also prints the free space where the build goes: a CI run that
# ran out of disk (2026-11-26) is then read off the log, not guessed (ADR 0010).
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
mkdir -p "$target_dir"
step() {
  local free
  free=$(df -Pk "$target_dir" 2>/dev/null | awk 'NR==2 { printf "%.1f GB", $4 / 1048576 }')
  printf '\n==> %s   [free disk: %s]\n' "$*" "${free:-?}"
}

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust stable (https://rustup.rs) and re-run." >&2
  exit 1
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (rustdoc warnings, broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "cargo test (workspace)"
cargo test --workspace --locked

step "bindings: Kotlin on the JVM and Python, against the host library"
scripts/test-bindings.sh

step "android: the sample's view-models and the library's Kotlin, on the JVM against the real core"
scripts/test-android-jvm.sh

step "Swift: syntax of the Swift layer, the sample app and the generated bindings"
scripts/check-swift.sh

step "supply chain: cargo deny (licences, bans incl. aws-lc-rs, sources)"
scripts/deny.sh

step "fuzz smoke: every cargo-fuzz target, 10 s each"
scripts/fuzz-smoke.sh 10

step "phone library: size budget and 16 KB alignment (x86_64 proxy and arm64, ADR 0009)"
scripts/size-report.sh

step "benchmarks compile"
cargo bench --workspace --locked --no-run

step "done"
echo "All ScanPay test suites passed."
