#!/usr/bin/env bash
# Size of the phone library, built twice:
#  - host: this machine's triple (x86_64), the proxy the figures have always
#    been quoted for, linked by the host toolchain's lld;
#  - arm64: aarch64-unknown-linux-gnu, the phones' instruction set, with
#    Debian's Rust 1.96 (rustc-web, cargo-web) and aarch64-linux-gnu-gcc for C
#    (scripts/arm64-toolchain.sh installs them when missing), linked by lld
#    (rustup's rust-lld, or ld.lld on PATH) so that the Android flags apply as
#    they are; GNU ld when no lld exists (16 KB pages, but unpacked
#    relocations: binutils 2.40 ignores -z pack-relative-relocs on aarch64).
# Both: `scanpay-ffi`, profile release-small (opt-level z, fat LTO, one codegen
# unit, panic = unwind), the Android link flags of android/rustflags.txt (16 KB
# pages, packed relocations), C built with the flags of .cargo/config.toml,
# then stripped.
#
# Both are phone builds (ADR 0025): without scanpay-ffi's `testing` feature,
# and linked with a version script that makes UniFFI's `UNIFFI_META_*`
# statics local, so the linker drops them (only binding generation reads
# them; the phone's bindings come from the static library of the same build,
# which keeps them). The script's names come from the host dev library of the
# binding suites (built here with their selection, a no-op in the test
# command), a superset of the phone's: `--undefined-version` lets the
# test-only names go unmatched.
#
# For each it prints the stripped size, its sections and the largest
# contributors (from the unstripped file's symbols), checks the 16 KB alignment
# of every LOAD segment (android/check-16k.sh, which reads any ELF) and that no
# SQLite symbol is left undefined, and fails when the stripped file exceeds
# its budget. For arm64 it also checks the exports (ADR 0023, 0025): Kotlin
# (Android flavour) and Swift generated from the phone build's static library
# reference a set of `uniffi_*` / `ffi_*` functions, and every one must be in
# the library's .dynsym (a missing one fails only when the app loads the
# library, on a device); no `UNIFFI_META_*` may be left there, and no
# test-only object (InsecureSoftwareBiometricKey, TestClock) may be in the
# phone's interface. When the arm64 toolchain cannot be had (not Debian, not root, no
# network), the arm64 part is skipped with a message naming what is missing;
# a failed arm64 build, a budget or an alignment violation fail the script.
#
# Usage: scripts/size-report.sh [--budget BYTES] [--proxy-budget BYTES] [--top N]
#                               [--host-only | --arm64-only | --proxy-fallback]
#   --budget:       default 4070000 (ADR 0027: every caption in the catalogue; 4050000 by
#                   ADR 0026, 4000000 by ADR 0025, after ADR 0023's 4100000), the regression gate
#                   (ADR 0009) for the arm64 library, the instruction set phones run (ADR 0017).
#                   The product goal is 3 MB; ADR 0009 says what stands between.
#   --proxy-budget: default 4472000 (ADR 0027), the gate for the x86_64 proxy: the same
#                   budget scaled by the proxy/arm64 ratio (1.086, 1.091 before
#                   the cuts; 1.097 with them at 26398e7; 1.0988 at 6f8ce12), so that a machine without the arm64
#                   toolchain still catches a regression (ADR 0017).
#   --proxy-fallback: build the x86_64 proxy only when the arm64 part is
#                   skipped (no toolchain here). The test command uses it: where
#                   the arm64 gate runs, the proxy gate adds no check and costs a
#                   full fat-LTO build (ADR 0010 addendum, 2026-12-03).
# Builds into target/phone-proxy (host) and target/phone-arm64 (arm64), each
# its own dir: other flags, and for arm64 another compiler, than the shared one.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=4070000
proxy_budget=4472000
top=12
want_host=1
want_arm64=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) budget="${2:?--budget needs a value}"; shift 2 ;;
    --proxy-budget) proxy_budget="${2:?--proxy-budget needs a value}"; shift 2 ;;
    --top) top="${2:?--top needs a value}"; shift 2 ;;
    --host-only) want_arm64=0; shift ;;
    --arm64-only) want_host=0; shift ;;
    --proxy-fallback) want_host=2; shift ;;
    -h|--help) sed -n '2,58p' "$0"; exit 0 ;;
    *) echo "size-report: unknown argument $1" >&2; exit 2 ;;
  esac
done

android_flags=$(cat android/rustflags.txt)
failed=0
summary=()

# The version script that drops the UNIFFI_META_* statics (ADR 0025). lld
# gives a name listed exactly under `local:` precedence over rustc's own
# script, which lists every #[no_mangle] symbol exactly under `global:`; a
# wildcard would lose to those exact names, hence the list. Names from the
# binding suites' host library (the same selection and features as
# scripts/bindings.sh, so nothing is compiled again in the test command).
cargo_target=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
exports_map="$PWD/target/size-report-exports.map"
echo "== exports: UNIFFI_META_* names from the host dev library (scripts/bindings.sh's build)"
cargo build --locked -q --workspace --lib --bins --examples --features scanpay-ffi/testing
host_dev_lib="$cargo_target/debug/libscanpay_ffi.so"
mkdir -p "$(dirname "$exports_map")"
{
  echo "/* Generated by scripts/size-report.sh from $host_dev_lib: UniFFI's metadata"
  echo "   statics, local in the phone library (ADR 0025). */"
  echo "{"
  echo "  local:"
  nm -D --defined-only "$host_dev_lib" | awk '$NF ~ /^UNIFFI_META_/ { print "    " $NF ";" }' | sort -u
  echo "};"
} >"$exports_map.tmp"
meta_names=$(grep -c 'UNIFFI_META_' "$exports_map.tmp" || true)
if (( meta_names == 0 )); then
  echo "size-report: no UNIFFI_META_* symbol in $host_dev_lib: cannot build the export list" >&2
  exit 1
fi
# Rewritten only when it changes: cargo does not track the file's contents,
# and an unchanged file keeps the phone builds' link fresh.
if ! cmp -s "$exports_map.tmp" "$exports_map"; then mv "$exports_map.tmp" "$exports_map"; else rm -f "$exports_map.tmp"; fi
echo "$meta_names names in $exports_map"
exports_args=(-C "link-arg=-Wl,--version-script=$exports_map" -C "link-arg=-Wl,--undefined-version")

# report LABEL LIB STRIPPED TOOL_PREFIX BUDGET: everything but the build, for one library.
report() {
  local label="$1" lib="$2" stripped="$3" p="$4" limit="$5" size undefined
  # An omitted SQLite feature that the Rust side still calls would link (a
  # shared library may have undefined symbols) and fail only when loaded.
  undefined=$("${p}nm" -D --undefined-only "$stripped" | awk '{print $NF}' | grep -E '^sqlite3' || true)
  if [[ -n "$undefined" ]]; then
    echo "size-report: $label: undefined SQLite symbols (check LIBSQLITE3_FLAGS in .cargo/config.toml):" >&2
    echo "$undefined" >&2
    failed=1
  fi

  size=$(stat -c %s "$stripped")
  printf '%-22s %10s\n' section bytes
  "${p}size" -A "$stripped" | awk 'NR > 2 && $2 > 8192 { printf "%-22s %10d\n", $1, $2 }' | sort -k2 -nr
  echo
  echo "largest contributors (symbol sizes in the unstripped file; unwind tables and relocations not attributed):"
  "${p}nm" -S --size-sort -C "$lib" | python3 -c '
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
  android/check-16k.sh "$stripped" || failed=1
  printf '\n%s stripped size: %d bytes (budget %d, goal 3000000)\n' "$label" "$size" "$limit"
  if (( size > limit )); then
    echo "size-report: $label: over the budget by $((size - limit)) bytes" >&2
    failed=1
  fi
  summary+=("$(printf '%-7s %10d bytes  %s' "$label" "$size" "$stripped")")
}

# check_exports STATICLIB STRIPPED TOOL_PREFIX OUT META_CUT: the guard of ADR
# 0023/0025. The bindings a phone app ships are generated from the static
# library of the phone build (same features, same code; it keeps the metadata
# the shared library drops): every function the Kotlin declares (JNA binds
# them all when the library loads) and the Swift calls or declares must be
# exported by the shared library. META_CUT=1: no UNIFFI_META_* may be left.
check_exports() {
  local staticlib="$1" stripped="$2" p="$3" out="$4" meta_cut="$5" refs exported missing n meta
  rm -rf "$out"
  mkdir -p "$out"
  "$cargo_target/debug/uniffi-bindgen" generate --library "$staticlib" --language kotlin \
    --config android/uniffi-android.toml --out-dir "$out/kotlin" --no-format >/dev/null
  "$cargo_target/debug/uniffi-bindgen" generate --library "$staticlib" --language swift \
    --out-dir "$out/swift" --no-format >/dev/null
  refs="$out/referenced.txt"
  exported="$out/exported.txt"
  # Kotlin: the `external fun` declarations; Swift: every use in the
  # generated Swift and its C header.
  { grep -ohE 'external fun [A-Za-z0-9_]+' "$out/kotlin/app/scanpay/ffi/scanpay.kt" | awk '{ print $3 }' || true
    grep -ohE '\b(uniffi|ffi)_scanpay_ffi_[A-Za-z0-9_]+' "$out/swift/scanpay.swift" "$out/swift/scanpayFFI.h" || true
  } | sort -u >"$refs"
  "${p}nm" -D --defined-only "$stripped" | awk '{ print $NF }' | sort -u >"$exported"
  n=$(wc -l <"$refs")
  if (( n < 50 )); then
    echo "size-report: exports: only $n functions referenced by the bindings generated from $staticlib (empty bindings?)" >&2
    failed=1
    return 0
  fi
  missing=$(comm -23 "$refs" "$exported")
  if [[ -n "$missing" ]]; then
    echo "size-report: exports: referenced by the generated Kotlin/Swift but not exported by $stripped (the app would fail when it loads the library):" >&2
    echo "$missing" >&2
    failed=1
  else
    echo "exports: all $n functions the generated Kotlin and Swift reference are in .dynsym ($(wc -l <"$exported") exported)"
  fi
  meta=$(grep -c '^UNIFFI_META_' "$exported" || true)
  if (( meta_cut && meta > 0 )); then
    echo "size-report: exports: $meta UNIFFI_META_* statics left in $stripped (the export list $exports_map is stale or not applied)" >&2
    failed=1
  elif (( meta_cut )); then
    echo "exports: no UNIFFI_META_* in .dynsym"
  else
    echo "exports: $meta UNIFFI_META_* statics kept (no lld: not cut)"
  fi
  # The FFI functions of InsecureSoftwareBiometricKey, TestClock and
  # Wallet.open_with_test_clock.
  if grep -E '_(insecuresoftwarebiometrickey|testclock|wallet_open_with_test_clock)(_|$)' "$refs" >&2; then
    echo "size-report: exports: test-only FFI functions (above) in the phone's interface (scanpay-ffi built with its \`testing\` feature?)" >&2
    failed=1
  fi
}

# The x86_64 proxy: built first, or (--proxy-fallback) after the arm64 part
# and only when that part was skipped.
build_host() {
  local host proxy lib stripped
  host=$(rustc -vV | sed -n 's/^host: //p')
  proxy="$PWD/target/phone-proxy"
  echo "== host ($host): building release-small with android/rustflags.txt"
  # --target: RUSTFLAGS then apply to the library only, not to build scripts and
  # proc macros (which must load on this machine; packed Android relocations do
  # not load under glibc).
  # The export list needs lld (GNU ld refuses a second anonymous version
  # script); rustc links x86_64-unknown-linux-gnu with its rust-lld from 1.90.
  local minor link_args=()
  minor=$(rustc -V | sed -n 's/^rustc 1\.\([0-9]*\).*/\1/p')
  if [[ "$host" == x86_64-unknown-linux-gnu ]] && (( ${minor:-0} >= 90 )); then
    link_args=("${exports_args[@]}")
  else
    echo "size-report: host: UNIFFI_META_* statics kept (the host linker may not be lld): the proxy is larger than a phone's"
  fi
  # cargo rustc: the link arguments reach the library only (the dependencies
  # keep their build); scanpay-ffi without `testing`, as on a phone.
  RUSTFLAGS="$android_flags" CARGO_TARGET_DIR="$proxy" \
    cargo rustc --locked -q -p scanpay-ffi --lib --profile release-small --target "$host" -- "${link_args[@]}"
  lib="$proxy/$host/release-small/libscanpay_ffi.so"
  stripped="$proxy/libscanpay_ffi.stripped.so"
  strip -o "$stripped" "$lib"
  echo "phone-library proxy: $host, release-small, android/rustflags.txt, stripped"
  report host "$lib" "$stripped" "" "$proxy_budget"
  echo
}
arm64_checked=0
if (( want_host == 1 )); then build_host; fi

if (( want_arm64 )); then
  triple=aarch64-unknown-linux-gnu
  echo "== arm64 ($triple): toolchain (scripts/arm64-toolchain.sh)"
  set +e
  scripts/arm64-toolchain.sh
  rc=$?
  set -e
  if (( rc == 3 )); then
    echo "size-report: arm64 SKIPPED: the toolchain is not available here (reason above); no arm64 figure checked"
    summary+=("arm64   skipped (toolchain not available, see above)")
  elif (( rc != 0 )); then
    echo "size-report: scripts/arm64-toolchain.sh failed ($rc)" >&2
    exit 1
  else
    arm="$PWD/target/phone-arm64"
    # The linker: the Android NDK links with lld, so lld with android/rustflags.txt
    # as it is gives the library a phone would load (APS2 packed relocations,
    # 16 KB pages). rustup's toolchain ships lld as rust-lld, with a gcc-ld/ld.lld
    # shim that `gcc -fuse-ld=lld -B DIR` finds; Debian's rustc-web ships none.
    gcc_ld="$(rustc --print sysroot 2>/dev/null || true)/lib/rustlib/$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')/bin/gcc-ld"
    if [[ -x "$gcc_ld/ld.lld" ]]; then
      arm_flags="$android_flags -C link-arg=-fuse-ld=lld -C link-arg=-B$gcc_ld"
      linker_note="rust-lld ($gcc_ld), android/rustflags.txt as it is"
      arm_link_args=("${exports_args[@]}")
    elif command -v ld.lld >/dev/null 2>&1; then
      arm_flags="$android_flags -C link-arg=-fuse-ld=lld"
      linker_note="$(command -v ld.lld), android/rustflags.txt as it is"
      arm_link_args=("${exports_args[@]}")
    else
      # GNU ld has the page sizes, not lld's --pack-dyn-relocs, and binutils
      # 2.40 ignores its own -z pack-relative-relocs (DT_RELR) on aarch64.
      arm_flags=$(sed 's/-C link-arg=-Wl,--pack-dyn-relocs=android//' android/rustflags.txt)
      linker_note="GNU ld (no lld found): 16 KB pages, relocations NOT packed and UNIFFI_META_* kept (larger than on a phone)"
      # GNU ld refuses a second anonymous version script.
      arm_link_args=()
    fi
    echo "== arm64 ($triple): building release-small with Debian's $(/usr/bin/rustc -V | cut -d' ' -f1,2), linker $linker_note"
    # Debian's cargo with Debian's rustc (RUSTC: not rustup's proxy on PATH),
    # the same CARGO_HOME (registry cache) and Cargo.lock as the host build; an
    # inherited CARGO_ENCODED_RUSTFLAGS would silently replace RUSTFLAGS.
    arm_env=(env -u RUSTC_WRAPPER -u RUSTUP_TOOLCHAIN -u CARGO_ENCODED_RUSTFLAGS RUSTC=/usr/bin/rustc
      CARGO_TARGET_DIR="$arm"
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
      CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
      AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar)
    # Fetching is the network's part: a failure there is the environment's, skip.
    if ! "${arm_env[@]}" /usr/bin/cargo fetch --locked -q --target "$triple"; then
      echo "size-report: arm64 SKIPPED: cargo fetch failed (network or registry unreachable)"
      summary+=("arm64   skipped (cargo fetch failed)")
    else
      start=$SECONDS
      # A build failure from here on is the code's or the flags', and fails.
      # cargo rustc: the export list reaches the library's link only; the
      # dependencies keep their build. No `testing` feature: a phone library.
      "${arm_env[@]}" RUSTFLAGS="$arm_flags" \
        /usr/bin/cargo rustc --locked -q -p scanpay-ffi --lib --profile release-small --target "$triple" -- "${arm_link_args[@]}"
      echo "arm64 build: $((SECONDS - start)) s"
      lib="$arm/$triple/release-small/libscanpay_ffi.so"
      stripped="$arm/libscanpay_ffi.stripped.so"
      aarch64-linux-gnu-strip -o "$stripped" "$lib"
      machine=$(readelf -hW "$stripped" | sed -n 's/^ *Machine: *//p')
      if [[ "$machine" != AArch64 ]]; then
        echo "size-report: arm64 library is built for '$machine', not AArch64" >&2
        exit 1
      fi
      echo "phone library: $triple ($machine), release-small, linker $linker_note, stripped"
      report arm64 "$lib" "$stripped" aarch64-linux-gnu- "$budget"
      check_exports "$arm/$triple/release-small/libscanpay_ffi.a" "$stripped" aarch64-linux-gnu- "$arm/exports-check" $(( ${#arm_link_args[@]} > 0 ))
      arm64_checked=1
    fi
  fi
  echo
fi

if (( want_host == 2 )); then
  if (( arm64_checked )); then
    echo "size-report: x86_64 proxy not built (--proxy-fallback): the arm64 gate ran"
    summary+=("host    not built (--proxy-fallback; the arm64 gate ran)")
  else
    build_host
  fi
fi

echo "== phone library, stripped (budget: arm64 $budget bytes, x86_64 proxy $proxy_budget):"
printf '  %s\n' "${summary[@]}"
if (( failed )); then
  echo "size-report: FAILED (see above)" >&2
  exit 1
fi
