#!/usr/bin/env bash
# Checks the Android build plumbing that only fails on a developer's machine
# (issue 16), without an Android SDK, NDK or Gradle. Run by
# scripts/test-android-jvm.sh.
#
#  1. build-rust.sh + check-16k.sh, copied into a temp tree, run under a PATH
#     like a stock Mac's or Android Studio's: basic tools only, no readelf,
#     no llvm-readelf, no ~/.cargo/bin. cargo, cargo-ndk, rustup and
#     uniffi-bindgen are fakes that record their arguments and behave like
#     the real ones where it matters: cargo-ndk 4.x takes `-p` as its own
#     `--platform` (so `-p scanpay-ffi` is an error), cargo writes profile
#     `dev` to debug/. The NDK is a fake directory whose
#     toolchains/llvm/prebuilt/<host>/bin/llvm-readelf reports 16 KB LOAD
#     segments. Each documented profile (release-small, release, dev) and both
#     ways of naming the NDK (ANDROID_NDK_HOME, ANDROID_HOME/ndk/<version>)
#     must build, pass `--package scanpay-ffi`, find the library where cargo
#     wrote it, and check alignment with the NDK's llvm-readelf.
#  2. The Gradle Exec task puts ~/.cargo/bin on PATH; both modules' abiFilters
#     are build-rust.sh's ABIs; the sample's manifest has dataExtractionRules
#     covering device transfer; consumer-rules.pro keeps runtime annotations
#     (grep-level: no Gradle).
#  3. No class above minSdk 24 is named in the library or the sample sources
#     (grep-level NewApi lint: a `catch` of an API 28 exception class is a
#     lint error and a VerifyError risk on older devices).
#  4. Every script under android/, ios/ and scripts/ passes the `shellcheck`
#     linter at severity warning (skipped, saying so, where it is not installed:
#     apt-get install shellcheck; installed when missing and root).
#
# Usage: android/tools/check-build-scripts.sh [ANDROID_DIR]
#   ANDROID_DIR defaults to this checkout's android/ (give an old checkout's
#   to see the check fail on it). Prints `ok` / `FAIL` lines and
#   `build scripts: N passed, M failed`.
set -euo pipefail
android=$(cd "${1:-$(dirname "$0")/..}" && pwd)
repo=$(cd "$android/.." && pwd)
pass=0
fails=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A PATH of basic tools only (symlinks), as on a fresh machine.
sysbin="$tmp/sysbin"
mkdir -p "$sysbin"
for t in bash env dirname basename cat tr grep mkdir rm sed find sort awk mktemp unzip touch cp head tail printf chmod ls wc; do
  src=$(command -v "$t" || true)
  [[ -n "$src" && "$src" == /* ]] && ln -s "$src" "$sysbin/$t"
done

fake="$tmp/fakebin"
mkdir -p "$fake"
log="$tmp/calls.log"
cat >"$fake/cargo" <<'EOF'
#!/usr/bin/env bash
# Fake cargo: `cargo ndk ...` runs the cargo-ndk subcommand (as cargo does);
# `cargo build` is recorded; the host build of scanpay-ffi writes a library
# with one UniFFI metadata name (build-rust.sh's export list reads it).
echo "cargo $*" >>"$FAKE_LOG"
if [[ "$1" == ndk ]]; then exec cargo-ndk "$@"; fi
if [[ " $* " == *" --package scanpay-ffi "* ]]; then
  mkdir -p "$CARGO_TARGET_DIR/debug"
  printf 'fake\0UNIFFI_META_SCANPAY_FFI_FUNC_FAKE\0' >"$CARGO_TARGET_DIR/debug/libscanpay_ffi.so"
fi
exit 0
EOF
cat >"$fake/cargo-ndk" <<'EOF'
#!/usr/bin/env bash
# Fake cargo-ndk 4.x: `-t ABI`, `--platform N` / `-p N`, `-o DIR`, then the
# cargo command. Writes a library where cargo would and copies it to -o.
echo "cargo-ndk $*" >>"$FAKE_LOG"
echo "cargo-ndk arm64 rustflags: ${CARGO_TARGET_AARCH64_LINUX_ANDROID_RUSTFLAGS:-}" >>"$FAKE_LOG"
[[ "$1" == ndk ]] && shift
abis=(); out=""; platform=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -t|--target) abis+=("$2"); shift 2 ;;
    -p|--platform)
      [[ -n "$platform" ]] && { echo "cargo-ndk: --platform given twice ($platform, $2)" >&2; exit 2; }
      platform=$2; shift 2 ;;
    -o|--output-dir) out=$2; shift 2 ;;
    *) break ;;
  esac
done
[[ "$platform" =~ ^[0-9]+$ ]] || { echo "cargo-ndk: invalid platform '$platform'" >&2; exit 2; }
profile=dev
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --profile) profile=${args[i + 1]} ;;
    --release) profile=release ;;
    -p|--package) ;;
  esac
done
case "$profile" in dev|test) dir=debug ;; bench) dir=release ;; *) dir=$profile ;; esac
for abi in "${abis[@]}"; do
  case "$abi" in
    arm64-v8a) t=aarch64-linux-android ;; armeabi-v7a) t=armv7-linux-androideabi ;;
    x86_64) t=x86_64-linux-android ;; x86) t=i686-linux-android ;; *) exit 2 ;;
  esac
  mkdir -p "$CARGO_TARGET_DIR/$t/$dir" "$out/$abi"
  echo "fake ELF" >"$CARGO_TARGET_DIR/$t/$dir/libscanpay_ffi.so"
  echo "fake archive" >"$CARGO_TARGET_DIR/$t/$dir/libscanpay_ffi.a"
  cp "$CARGO_TARGET_DIR/$t/$dir/libscanpay_ffi.so" "$out/$abi/"
done
EOF
cat >"$fake/rustup" <<'EOF'
#!/usr/bin/env bash
printf '%s\n' aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
EOF
readelf_fake='#!/usr/bin/env bash
echo "llvm-readelf $*" >>"$FAKE_LOG"
echo "  LOAD 0x000000 0x0000000000000000 0x0000000000000000 0x001000 0x001000 R E 0x4000"'
chmod +x "$fake"/*

run_build() { # NAME ENV... -- ARGS...: one run of build-rust.sh in a fresh copy
  local name=$1; shift
  local envs=()
  while [[ "$1" != -- ]]; do envs+=("$1"); shift; done
  shift
  local w="$tmp/run-$name"
  mkdir -p "$w/android" "$w/target/debug" "$w/home"
  cp "$android/build-rust.sh" "$android/check-16k.sh" "$android/rustflags.txt" "$android/uniffi-android.toml" "$w/android/"
  cat >"$w/target/debug/uniffi-bindgen" <<'EOF'
#!/usr/bin/env bash
echo "uniffi-bindgen $*" >>"$FAKE_LOG"
while [[ $# -gt 0 ]]; do
  case "$1" in --library) [[ -f "$2" ]] || exit 3; shift 2 ;; --out-dir) out=$2; shift 2 ;; *) shift ;; esac
done
mkdir -p "$out/app/scanpay/ffi"
echo "import androidx.annotation.Keep" >"$out/app/scanpay/ffi/scanpay.kt"
EOF
  chmod +x "$w/target/debug/uniffi-bindgen"
  : >"$log"
  if env -i HOME="$w/home" PATH="$fake:$sysbin" FAKE_LOG="$log" CARGO_TARGET_DIR="$w/target" "${envs[@]}" \
      bash "$w/android/build-rust.sh" "$@" >"$w/out.txt" 2>&1; then
    :
  else
    fail "build-rust.sh $* ($name): exit status $?; last lines:"; tail -5 "$w/out.txt" | sed 's/^/     /'
    return 0
  fi
  local ndk_line
  ndk_line=$(grep '^cargo-ndk ' "$log" | head -1)
  if [[ " $ndk_line " == *" --package scanpay-ffi "* && " $ndk_line " != *" -p scanpay-ffi "* ]]; then
    ok "build-rust.sh $* ($name): cargo-ndk gets --package scanpay-ffi"
  else
    fail "build-rust.sh $* ($name): cargo-ndk call without --package: $ndk_line"
  fi
  # ADR 0025: the phone link gets the export list, made from the host build.
  local flags
  flags=$(sed -n 's/^cargo-ndk arm64 rustflags: //p' "$log" | head -1)
  if [[ "$flags" == *"--version-script=$w/target/phone-exports.map"* ]] \
     && grep -qx '    UNIFFI_META_SCANPAY_FFI_FUNC_FAKE;' "$w/target/phone-exports.map"; then
    ok "build-rust.sh $* ($name): the phone link gets the UNIFFI_META export list"
  else
    fail "build-rust.sh $* ($name): no UNIFFI_META export list in the phone link flags: $flags"
  fi
  if grep -q '^llvm-readelf ' "$log" && grep -q '16 KB check: .* ok' "$w/out.txt"; then
    ok "build-rust.sh $* ($name): 16 KB check ran with the NDK's llvm-readelf"
  else
    fail "build-rust.sh $* ($name): 16 KB check did not use the NDK's llvm-readelf"
  fi
}

mkdir -p "$tmp/ndk-home/toolchains/llvm/prebuilt/darwin-x86_64/bin" \
  "$tmp/sdk/ndk/27.2.12479018/toolchains/llvm/prebuilt/darwin-x86_64/bin"
for d in "$tmp/ndk-home" "$tmp/sdk/ndk/27.2.12479018"; do
  printf '%s\n' "$readelf_fake" >"$d/toolchains/llvm/prebuilt/darwin-x86_64/bin/llvm-readelf"
  chmod +x "$d/toolchains/llvm/prebuilt/darwin-x86_64/bin/llvm-readelf"
done
run_build default ANDROID_NDK_HOME="$tmp/ndk-home" --
run_build release ANDROID_NDK_HOME="$tmp/ndk-home" -- --profile release
run_build dev ANDROID_NDK_HOME="$tmp/ndk-home" -- --profile dev --abi arm64-v8a
run_build sdk-ndk ANDROID_HOME="$tmp/sdk" -- --profile dev

# 2. Gradle's Exec task and PATH.
gradle="$android/scanpay/build.gradle.kts"
if grep -q 'environment("PATH"' "$gradle" && grep -q '\.cargo' "$gradle"; then
  ok "scanpay/build.gradle.kts: the buildRust Exec task puts ~/.cargo/bin on PATH"
else
  fail "scanpay/build.gradle.kts: the buildRust Exec task does not set PATH (Android Studio from the Dock has no ~/.cargo/bin)"
fi

# 2b. Settings an Android build accepts silently but a device or a release
# build gets wrong (grep-level).
abis=$(sed -n 's/^\[\[ \${#abis\[@\]} -gt 0 \]\] || abis=(\(.*\))$/\1/p' "$android/build-rust.sh")
for module in sample scanpay; do
  filters=$(grep -o 'abiFilters += listOf([^)]*)' "$android/$module/build.gradle.kts" | tr -d '",' | sed 's/.*listOf(//; s/)$//' || true)
  if [[ -n "$abis" && "$filters" == "$abis" ]]; then
    ok "$module/build.gradle.kts: abiFilters = build-rust.sh's ABIs ($abis)"
  else
    fail "$module/build.gradle.kts: abiFilters '$filters' != build-rust.sh's ABIs '$abis' (JNA ships x86: an x86 device would install without the core)"
  fi
done
manifest="$android/sample/src/main/AndroidManifest.xml"
rules=$(sed -n 's/.*android:dataExtractionRules="@xml\/\([a-z_]*\)".*/\1/p' "$manifest")
if [[ -n "$rules" && -f "$android/sample/src/main/res/xml/$rules.xml" ]] \
   && grep -q '<device-transfer>' "$android/sample/src/main/res/xml/$rules.xml"; then
  ok "sample manifest: dataExtractionRules ($rules.xml) covers device-to-device transfer (Android 12+)"
else
  fail "sample manifest: no dataExtractionRules with <device-transfer> (allowBackup=false does not stop Android 12+ device transfer)"
fi
if grep -q '^-keepattributes.*RuntimeVisibleAnnotations' "$android/scanpay/consumer-rules.pro"; then
  ok "consumer-rules.pro keeps runtime annotations (JNA reads @Structure.FieldOrder)"
else
  fail "consumer-rules.pro does not keep RuntimeVisibleAnnotations (JNA's @Structure.FieldOrder)"
fi

# 3. API levels above minSdk 24, by class name. Extend the list when a new
# platform class is used; methods are guarded by Build.VERSION.SDK_INT checks
# in the code (lint checks those on a real machine). Such a class may be named
# only in a file whose every top-level declaration is annotated `@RequiresApi`
# (androidx's `Api28Impl` pattern: the class is loaded only behind an SDK_INT
# check, so older devices never verify it; Android lint accepts the same).
api_classes='StrongBoxUnavailableException|android\.security\.KeyStoreException|BiometricPrompt|BiometricManager|KeyInfo\.getSecurityLevel|WindowInsetsController|ConnectivityDiagnosticsManager|UserPresenceUnavailableException'
# A file passes when each top-level class/object/interface/fun line has an
# `@RequiresApi(` line (annotations only in between) right above it.
requires_api_only() {
  awk '
    /^@RequiresApi\(/ { annotated = 1; next }
    /^@/ { next }
    /^((public|internal|private|abstract|open|sealed|data|enum) )*(class|object|interface|fun) / {
      decls++; if (annotated) ok++
    }
    { annotated = 0 }
    END { exit !(decls > 0 && ok == decls) }' "$1"
}
hits=$(grep -rnE "\\b($api_classes)\\b" "$android/scanpay/src" "$android/sample/src" --include='*.kt' \
  | grep -vE '^[^:]+:[0-9]+:\s*(//|\*|/\*)' \
  | while IFS= read -r hit; do requires_api_only "${hit%%:*}" || printf '%s\n' "$hit"; done || true)
if [[ -z "$hits" ]]; then
  ok "no class above minSdk 24 named in android/scanpay or android/sample sources"
else
  fail "classes above minSdk 24 named (NewApi lint error):"; echo "$hits" | sed 's/^/     /'
fi

# 4. shellcheck, installed from Debian when missing (as the other test tools
#    are); skipped, saying so, where it cannot be installed.
if ! command -v shellcheck >/dev/null && command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
  echo "installing shellcheck (Debian)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } </dev/null >/dev/null 2>&1 || true
fi
if command -v shellcheck >/dev/null; then
  mapfile -t scripts < <(find "$android" "$repo/ios" "$repo/scripts" -name '*.sh' -not -path '*/build/*' | sort)
  if shellcheck -x --severity=warning "${scripts[@]}" >"$tmp/sc.txt" 2>&1; then
    ok "shellcheck --severity=warning: ${#scripts[@]} scripts clean"
  else
    fail "shellcheck:"; head -40 "$tmp/sc.txt" | sed 's/^/     /'
  fi
else
  echo "skip shellcheck: not installed (apt-get install shellcheck)"
fi

echo "build scripts: $pass passed, $fails failed"
(( fails == 0 ))
