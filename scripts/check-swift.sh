#!/usr/bin/env bash
# Syntax check of the Swift code, on a machine without a Swift compiler.
#
# 1. Installs the tree-sitter Swift grammar from the npm registry under
#    ${CARGO_TARGET_DIR:-target}/tools/swift-syntax (once): `tree-sitter` and `tree-sitter-swift`,
#    whose packages ship prebuilt N-API addons for linux-x64 (no download from
#    GitHub, no compiler). `--ignore-scripts`: tree-sitter-swift depends on
#    tree-sitter-cli, whose install script downloads a binary from GitHub
#    (unreachable here, and not used).
# 2. Generates the UniFFI Swift bindings from the unstripped host library
#    (`uniffi-bindgen generate --language swift` needs no Xcode) into
#    ${CARGO_TARGET_DIR:-target}/bindings/swift.
# 3. Parses the generated scanpay.swift, every .swift file under ios/
#    (the package manifest, the ScanPay layer, the sample app), and checks that
#    the generated bindings declare the names the hand-written Swift uses
#    (ios/tools/check-syntax.js). Fails on any ERROR or MISSING node.
# 4. Before parsing, ios/tools/check-settings.sh checks the build settings the
#    Apple tools would refuse: project.yml's SWIFT_VERSION (4.0/4.2/5.0/6.0),
#    Package.swift's tools-version against the generated Swift's features
#    (`nonisolated(unsafe)` needs 5.10), the Xcode version docs/ios.md names.
#
# Closing line: `N passed, M failed` (files parsed, plus the API-name check).
# What this does NOT check: types, name resolution, SDK availability, linking.
set -euo pipefail
cd "$(dirname "$0")/.."

TREE_SITTER_VERSION=0.22.4
SWIFT_GRAMMAR_VERSION=0.7.1
tools="$(mkdir -p "${CARGO_TARGET_DIR:-target}/tools/swift-syntax" && cd "${CARGO_TARGET_DIR:-target}/tools/swift-syntax" && pwd)"

die() { echo "check-swift: $*" >&2; exit 1; }
command -v node >/dev/null 2>&1 || die "node not found (apt-get install -y nodejs npm)"

installed_version() {
  node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { console.log("none") }' \
    "$tools/node_modules/$1/package.json"
}
if [[ "$(installed_version tree-sitter)" != "$TREE_SITTER_VERSION" \
   || "$(installed_version tree-sitter-swift)" != "$SWIFT_GRAMMAR_VERSION" ]]; then
  command -v npm >/dev/null 2>&1 || die "npm not found (apt-get install -y npm)"
  echo "check-swift: installing tree-sitter $TREE_SITTER_VERSION + tree-sitter-swift $SWIFT_GRAMMAR_VERSION under $tools" >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --ignore-scripts --no-audit --no-fund --save-exact \
    "tree-sitter@$TREE_SITTER_VERSION" "tree-sitter-swift@$SWIFT_GRAMMAR_VERSION" >&2
fi
NODE_PATH="$tools/node_modules" node -e 'require("tree-sitter"); require("tree-sitter-swift")' \
  || die "the tree-sitter addons do not load on this machine (see docs/ios.md)"

# Same library and generator as scripts/bindings.sh (Kotlin / Python).
# --workspace, --features scanpay-ffi/testing: the test build's features, so
# nothing is compiled again (scripts/bindings.sh).
cargo build --locked --workspace --lib --bins --examples --features scanpay-ffi/testing >&2
cargo_target="${CARGO_TARGET_DIR:-target}"
lib="$cargo_target/debug/libscanpay_ffi.so"
[[ -f "$lib" ]] || die "missing $lib"
out="$cargo_target/bindings/swift"
rm -rf "$out"
mkdir -p "$out"
"$cargo_target/debug/uniffi-bindgen" generate --library "$lib" --language swift --out-dir "$out" --no-format >&2
[[ -s "$out/scanpay.swift" ]] || die "bindings generation produced no $out/scanpay.swift"

ios/tools/check-settings.sh "$out/scanpay.swift" || die "build settings (above)"

# Hand-written Swift only: ios/Sources/ScanPay/Generated holds a copy of the
# generated file on a Mac, and it is checked above from target/.
mapfile -t files < <(find ios -name '*.swift' -not -path 'ios/Sources/ScanPay/Generated/*' \
  -not -path '*/.build/*' | sort)
[[ ${#files[@]} -gt 0 ]] || die "no Swift files under ios/"
# The first-payment example docs/bindings.md shows verbatim.
files+=(docs/examples/FirstPayment.swift)

NODE_PATH="$tools/node_modules" node ios/tools/check-syntax.js --generated "$out/scanpay.swift" "${files[@]}"
