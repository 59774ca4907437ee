#!/usr/bin/env bash
# Supply-chain gate: licences (allow-list), bans (aws-lc-rs, aws-lc-sys,
# OpenSSL) and sources (crates.io only), configured in deny.toml.
# Installs cargo-deny when missing (compiles for several minutes once).
#
# Usage: scripts/deny.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deny --version >/dev/null 2>&1; then
  echo "cargo-deny not found: installing it (cargo install --locked cargo-deny)…" >&2
  cargo install --locked cargo-deny
fi
cargo deny --log-level warn check licenses bans sources
