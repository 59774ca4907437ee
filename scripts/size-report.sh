#!/usr/bin/env bash
# Size of the phone library, measured on this machine's host triple as a
# proxy for arm64 Android (no NDK here): `scanpay-ffi`, profile release-small
# (opt-level z, fat LTO, one codegen unit, panic = unwind), linked with the
# Android link flags of android/rustflags.txt (16 KB pages, packed
# relocations), C built with the flags of .cargo/config.toml, then stripped.
#
# Prints the stripped size, its sections and the largest contributors (from
# the unstripped file's symbols), checks the 16 KB alignment of every LOAD
# segment, and fails when the stripped file exceeds the budget.
#
# Usage: scripts/size-report.sh [--budget BYTES] [--top N]
#   --budget: default 4000000, the regression gate (ADR 0009). The product goal
#             is 3 MB; ADR 0009 says what stands between the two.
# Builds into target/phone-proxy (its own dir: other flags than the shared one).
set -euo pipefail
cd "$(dirname "$0")/.."

budget=4000000
top=12
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) budget="${2:?--budget needs a value}"; shift 2 ;;
    --top) top="${2:?--top needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "size-report: unknown argument $1" >&2; exit 2 ;;
  esac
done

host=$(rustc -vV | sed -n 's/^host: //p')
proxy="$PWD/target/phone-proxy"
# --target: RUSTFLAGS then apply to the library only, not to build scripts and
# proc macros (which must load on this machine; packed Android relocations do
# not load under glibc).
RUSTFLAGS="$(cat android/rustflags.txt)" CARGO_TARGET_DIR="$proxy" \
  cargo build --locked -q -p scanpay-ffi --profile release-small --target "$host"
lib="$proxy/$host/release-small/libscanpay_ffi.so"
stripped="$proxy/libscanpay_ffi.stripped.so"
strip -o "$stripped" "$lib"

# An omitted SQLite feature that the Rust side still calls would link (a
# shared library may have undefined symbols) and fail only when loaded.
undefined=$(nm -D --undefined-only "$stripped" | awk '{print $NF}' | grep -E '^sqlite3' || true)
if [[ -n "$undefined" ]]; then
  echo "size-report: undefined SQLite symbols (check LIBSQLITE3_FLAGS in .cargo/config.toml):" >&2
  echo "$undefined" >&2
  exit 1
fi

size=$(stat -c %s "$stripped")
echo "phone-library proxy: $host, release-small, android/rustflags.txt, stripped"
printf '%-22s %10s\n' section bytes
size -A "$stripped" | awk 'NR > 2 && $2 > 8192 { printf "%-22s %10d\n", $1, $2 }' | sort -k2 -nr
echo
echo "largest contributors (symbol sizes in the unstripped file; unwind tables and relocations not attributed):"
nm -S --size-sort -C "$lib" | python3 -c '
import re, sys, collections
top = int(sys.argv[1])
tot = collections.Counter()
for line in sys.stdin:
    p = line.split(None, 3)
    if len(p) < 4:
        continue
    name = re.sub(r"^(dyn |impl |mut )", "", p[3].strip().lstrip("<&*( "))
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", name)
    if m:
        key = m.group(1)
    elif name.startswith("ring_core") or "nistz" in name:
        key = "ring (C and assembly)"
    elif name.startswith(("UNIFFI_", "uniffi_", "ffi_scanpay")):
        key = "uniffi scaffolding"
    else:
        key = "C (SQLite)"
    tot[key] += int(p[1], 16)
for k, v in tot.most_common(top):
    print(f"  {v:9d}  {k}")
' "$top"
echo
scripts_dir=$(dirname "$0")
"$scripts_dir/../android/check-16k.sh" "$stripped"
printf '\nstripped size: %d bytes (budget %d, goal 3000000)\n' "$size" "$budget"
if (( size > budget )); then
  echo "size-report: over the budget by $((size - budget)) bytes" >&2
  exit 1
fi
