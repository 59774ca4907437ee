#!/usr/bin/env bash
# Checks the iOS build settings against what the Apple tools accept, on a
# machine without Xcode (run by scripts/check-swift.sh; issue 16):
#   1. ios/SampleApp/project.yml's SWIFT_VERSION is a language mode Xcode
#      accepts (4.0, 4.2, 5.0, 6.0: Xcode rejects "5.9" or "5.10" with
#      "SWIFT_VERSION '5.9' is unsupported").
#   2. ios/Package.swift's swift-tools-version is at least the Swift that the
#      generated bindings need: 5.10 when they use `nonisolated(unsafe)`
#      (SE-0412, Swift 5.10 / Xcode 15.3), 5.9 otherwise.
#   3. docs/ios.md names the matching Xcode (15.3 for Swift 5.10).
#
# Usage: ios/tools/check-settings.sh GENERATED_SWIFT [REPO_ROOT]
#   REPO_ROOT defaults to this checkout (give another one to check old files).
set -euo pipefail
gen=${1:?usage: check-settings.sh GENERATED_SWIFT [REPO_ROOT]}
root=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
fails=0
fail() { echo "FAIL settings: $*"; fails=$((fails + 1)); }
ok() { echo "ok   settings: $*"; }

# "5.10" -> 510, "5.9" -> 509, "6" -> 600: compares versions as integers.
vnum() { local major=${1%%.*} minor=0; [[ $1 == *.* ]] && minor=${1#*.}; minor=${minor%%.*}; echo $((major * 100 + minor)); }

yml="$root/ios/SampleApp/project.yml"
swift_version=$(sed -n 's/^[[:space:]]*SWIFT_VERSION:[[:space:]]*"\{0,1\}\([0-9.]*\)"\{0,1\}[[:space:]]*$/\1/p' "$yml")
[[ -n "$swift_version" ]] || fail "no SWIFT_VERSION in $yml"
for v in $swift_version; do
  case "$v" in
    4.0|4.2|5.0|6.0) ok "project.yml SWIFT_VERSION $v is a language mode Xcode accepts" ;;
    *) fail "project.yml SWIFT_VERSION $v: Xcode accepts 4.0, 4.2, 5.0 or 6.0 (a language mode, not a compiler version)" ;;
  esac
done

manifest="$root/ios/Package.swift"
tools=$(sed -n '1s|^// swift-tools-version:[[:space:]]*\([0-9.]*\).*|\1|p' "$manifest")
need=5.9
xcode=15.0
if grep -q 'nonisolated(unsafe)' "$gen"; then need=5.10; xcode=15.3; fi
if [[ -z "$tools" ]]; then
  fail "$manifest does not start with // swift-tools-version:"
elif (( $(vnum "$tools") < $(vnum "$need") )); then
  fail "Package.swift swift-tools-version $tools < $need, which the generated Swift needs (nonisolated(unsafe): Swift 5.10)"
else
  ok "Package.swift swift-tools-version $tools >= $need (generated Swift)"
fi

doc="$root/docs/ios.md"
if grep -q "Xcode $xcode" "$doc"; then
  ok "docs/ios.md names Xcode $xcode"
else
  fail "docs/ios.md does not name Xcode $xcode (the generated Swift needs Swift $need)"
fi
echo "settings: $fails failed"
(( fails == 0 ))
