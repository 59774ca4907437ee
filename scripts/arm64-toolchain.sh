#!/usr/bin/env bash
# Makes sure the arm64 cross toolchain that scripts/size-report.sh builds the
# phone library with is installed, installing it from Debian when missing:
#   rustc-web, cargo-web            Debian's Rust 1.96 (/usr/bin/rustc, /usr/bin/cargo)
#   libstd-rust-web-dev:arm64       its standard library for aarch64-unknown-linux-gnu
#   gcc-aarch64-linux-gnu           C compiler (ring, SQLite) and linker driver,
#   libc6-dev-arm64-cross           with binutils-aarch64-linux-gnu (strip, nm, size)
# (no NDK and no rustup target download is reachable on the project's machines;
# Debian's packages are).
#
# Exit status: 0 ready; 3 not available on this machine (not Debian, not root,
# or apt-get could not install a package): the message on stderr names the
# missing piece, and callers skip the arm64 build instead of failing, since
# that is the environment, not the code. Quick and silent about installs when
# everything is there already (one dpkg-query).
#
# Usage: scripts/arm64-toolchain.sh
set -euo pipefail

pkgs=(rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
skip() { echo "arm64-toolchain: SKIP: $*" >&2; exit 3; }

missing() {
  local p st
  for p in "${pkgs[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$st" == installed ]] || echo "$p"
  done
}

# The pieces size-report.sh uses, beyond the packages' own bookkeeping: the
# aarch64 std must be in rustc-web's sysroot (libstd-rust-web-dev:arm64), and
# /usr/bin/rustc must be rustc-web (Debian's older `rustc` package owns the
# same path).
check_tools() {
  local t
  for t in /usr/bin/rustc /usr/bin/cargo aarch64-linux-gnu-gcc aarch64-linux-gnu-strip \
    aarch64-linux-gnu-nm aarch64-linux-gnu-size; do
    command -v "$t" >/dev/null 2>&1 || { echo "$t not found"; return 1; }
  done
  [[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/aarch64-unknown-linux-gnu/lib" ]] ||
    { echo "no aarch64 std in $(/usr/bin/rustc --print sysroot)/lib/rustlib (libstd-rust-web-dev:arm64)"; return 1; }
}

command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
  skip "not a Debian system (no dpkg/apt-get): the arm64 build needs Debian's ${pkgs[*]}"

need=$(missing)
if [[ -n "$need" ]]; then
  need_list=$(echo "$need" | paste -sd' ')
  [[ $(id -u) -eq 0 ]] ||
    skip "missing ${need_list} (not root; install with: dpkg --add-architecture arm64 && apt-get update && apt-get install $need_list)"
  added_arch=0
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "arm64-toolchain: dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
    added_arch=1
  fi
  # A failed install must not leave a foreign architecture behind that makes
  # every later `apt-get update` of other scripts fetch (or fail on) arm64 lists.
  undo() {
    if (( added_arch )); then dpkg --remove-architecture arm64 2>/dev/null || true; fi
  }
  export DEBIAN_FRONTEND=noninteractive
  echo "arm64-toolchain: apt-get update"
  if ! apt-get update -q </dev/null; then
    undo
    skip "apt-get update failed (no network or no Debian mirror?): cannot install ${need_list}"
  fi
  echo "arm64-toolchain: apt-get install -y --no-install-recommends ${need_list}"
  # shellcheck disable=SC2086 # one word per package
  if ! apt-get install -y -q --no-install-recommends $need_list </dev/null; then
    undo
    skip "apt-get could not install ${need_list} (not in this release's archive?)"
  fi
fi

why=$(check_tools) || skip "$why"
echo "arm64-toolchain: ready: $(/usr/bin/rustc -V), $(aarch64-linux-gnu-gcc --version | head -n1)"
