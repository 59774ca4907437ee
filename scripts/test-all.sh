#!/usr/bin/env bash
# Runs every ScanPay test: formatting, lints, and the Rust test suites of the
# whole workspace (unit, integration, property, dataset regression, vectors).
# Later stages (Kotlin on the JVM, Python) install what they need when missing.
#
# Usage: scripts/test-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

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

step "benchmarks compile"
cargo bench --workspace --locked --no-run

echo
echo "All ScanPay test suites passed."
