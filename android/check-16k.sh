#!/usr/bin/env bash
# Fails when any ELF shared library has a LOAD segment aligned below 16 KB.
#
# Android 15+ devices may run with 16 KB memory pages; the dynamic linker
# refuses (or, on older releases, crashes on) a library whose LOAD segments
# are aligned to less than the page size. This checks every `.so` under the
# given paths: directories are searched, `.so` files are checked as they are,
# and `.apk` / `.aab` / `.aar` archives are unpacked to a temp dir first (so
# the JNA `libjnidispatch.so` an app ships is checked too).
#
# Usage: android/check-16k.sh PATH...      (default: android/scanpay/src/main/jniLibs)
#        android/check-16k.sh --host-proxy
#   --host-proxy: where no NDK exists (this project's Linux machines), builds
#   the HOST libscanpay_ffi.so (profile release-small) with the same link
#   flags as build-rust.sh (rustflags.txt) through scripts/size-report.sh
#   --host-only (into target/phone-proxy, so the shared target dir is not
#   rebuilt; size-report.sh without it also builds and checks the real arm64
#   library), checks it, and checks that the default-linked dev library is
#   REJECTED (4 KB alignment), which shows the check can fail.
# Uses the NDK's `llvm-readelf` (ANDROID_NDK_HOME / ANDROID_NDK_ROOT / ANDROID_NDK,
# or the newest ANDROID_HOME / ANDROID_SDK_ROOT / ~/Library/Android/sdk /
# ~/Android/Sdk ndk/<version>), else `llvm-readelf` or binutils `readelf` on
# PATH (either reads every Android ABI).
set -euo pipefail
MIN_ALIGN=16384
here=$(cd "$(dirname "$0")" && pwd)

if [[ "${1:-}" == "--host-proxy" ]]; then
  root=$(cd "$here/.." && pwd)
  echo "==> host proxy: release-small with $(cat "$here/rustflags.txt") (scripts/size-report.sh)"
  # size-report.sh builds the proxy with the same flags and runs this check on it.
  "$root/scripts/size-report.sh" --budget 100000000 --top 0 --host-only >/dev/null
  "$0" "$root/target/phone-proxy/libscanpay_ffi.stripped.so"
  dev="${CARGO_TARGET_DIR:-$root/target}/debug/libscanpay_ffi.so"
  if [[ -f "$dev" ]]; then
    echo "==> negative control: the default-linked dev library must be rejected"
    if "$0" "$dev"; then echo "check-16k: the negative control passed: the check is broken" >&2; exit 1; fi
    echo "negative control rejected, as it should be"
  fi
  exit 0
fi

# The NDK's llvm-readelf first: a stock Mac has neither readelf nor
# llvm-readelf on PATH, and Android Studio started from the Dock has a minimal
# PATH; the NDK that build-rust.sh needs anyway always ships one. PATH's tools
# are the fallback (Linux machines without an NDK).
ndk_readelf() {
  local sdk ndk
  for ndk in "${ANDROID_NDK_HOME:-}" "${ANDROID_NDK_ROOT:-}" "${ANDROID_NDK:-}"; do
    [[ -n "$ndk" ]] && echo "$ndk"
  done
  for sdk in "${ANDROID_HOME:-}" "${ANDROID_SDK_ROOT:-}" "$HOME/Library/Android/sdk" "$HOME/Android/Sdk"; do
    # Newest NDK version last in `sort -V`: list it first.
    [[ -n "$sdk" && -d "$sdk/ndk" ]] && find "$sdk/ndk" -mindepth 1 -maxdepth 1 -type d | sort -rV
  done
}
readelf_bin=""
while IFS= read -r ndk; do
  for cand in "$ndk"/toolchains/llvm/prebuilt/*/bin/llvm-readelf; do
    if [[ -x "$cand" ]]; then readelf_bin=$cand; break 2; fi
  done
done < <(ndk_readelf)
[[ -n "$readelf_bin" ]] || readelf_bin=$(command -v llvm-readelf || command -v readelf || true)
[[ -n "$readelf_bin" ]] || {
  echo "check-16k: no llvm-readelf in the NDK (ANDROID_NDK_HOME, ANDROID_HOME/ndk/<version>) nor readelf / llvm-readelf on PATH" >&2
  exit 2
}

if [[ $# -eq 0 ]]; then set -- "$here/scanpay/src/main/jniLibs"; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

libs=()
n=0
for p in "$@"; do
  if [[ -d "$p" ]]; then
    while IFS= read -r -d '' f; do libs+=("$f"); done < <(find "$p" -type f -name '*.so' -print0 | sort -z)
  elif [[ "$p" == *.apk || "$p" == *.aab || "$p" == *.aar || "$p" == *.zip ]]; then
    n=$((n + 1)); mkdir -p "$tmp/$n"
    unzip -q -o "$p" '*.so' -d "$tmp/$n" 2>/dev/null || true
    while IFS= read -r -d '' f; do libs+=("$f"); done < <(find "$tmp/$n" -type f -name '*.so' -print0 | sort -z)
  elif [[ -f "$p" ]]; then
    libs+=("$p")
  else
    echo "check-16k: no such file or directory: $p" >&2; exit 2
  fi
done
[[ ${#libs[@]} -gt 0 ]] || { echo "check-16k: no .so found in: $*" >&2; exit 2; }

bad=0
for lib in "${libs[@]}"; do
  # `readelf -lW`: one line per program header; LOAD lines end with the alignment.
  aligns=$("$readelf_bin" -lW "$lib" | awk '$1 == "LOAD" { print $NF }')
  if [[ -z "$aligns" ]]; then
    echo "FAIL $lib: no LOAD segments (not an ELF shared library?)"; bad=1; continue
  fi
  worst=""
  for a in $aligns; do
    v=$((a))   # the alignment is printed in hex (0x4000)
    if [[ -z "$worst" || $v -lt $worst ]]; then worst=$v; fi
  done
  if (( worst < MIN_ALIGN )); then
    printf 'FAIL %s: LOAD segment aligned to %d bytes (< %d)\n' "$lib" "$worst" "$MIN_ALIGN"; bad=1
  else
    printf 'ok   %s: every LOAD segment aligned to >= %d bytes (min %d)\n' "$lib" "$MIN_ALIGN" "$worst"
  fi
done
if (( bad )); then echo "16 KB check: FAILED"; exit 1; fi
echo "16 KB check: ${#libs[@]} libraries ok"
