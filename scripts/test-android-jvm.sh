#!/usr/bin/env bash
# Tests the plain-Kotlin parts of the Android project on the JVM, against the
# real core (no Android SDK or Gradle needed):
#   - the library's idiomatic layer (android/scanpay/.../app/scanpay/android/*.kt
#     without android.* imports: ScanPayWallet, PaymentSession, FrameScanner),
#   - the sample's view-models (android/sample/.../app/scanpay/sample/model/),
#   - android/jvm-test/ViewModelTest.kt, which drives them as the app does:
#     wallets in temp dirs, the camera fixtures, and payments against the
#     sandbox over TLS (SCANPAY_SANDBOX_BIN).
# The bindings are the PLAIN JVM flavour from scripts/bindings.sh (the AAR's
# Android flavour imports androidx and android.os, which do not exist here).
# Closes with the line `N passed, M failed`.
# Before the tests it type-checks what only the AAR compiles: the
# Android-flavoured bindings and the Android-only classes (Keystore,
# ConnectivityManager, Logcat), against compile-only signature stubs of the
# few android.* APIs they use (android/jvm-test/android-stubs/). The Compose
# sample UI is not compiled here (no Android SDK): see docs/android.md.
#
# Both compilations use the Kotlin language and API version that Gradle's
# Kotlin plugin uses (android/gradle/libs.versions.toml, `kotlin`), not the
# newer kotlinc's default, so code that only a newer Kotlin accepts fails here.
# First, android/tools/check-build-scripts.sh checks the build plumbing that
# fails only on a developer's machine (build-rust.sh / check-16k.sh under a
# fresh Mac's PATH with fake cargo-ndk and NDK, the Gradle task's PATH, classes
# above minSdk, shellcheck).
#
# Usage: scripts/test-android-jvm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/lib-kotlin.sh
kotlin_tools

kotlin_step "build plumbing (android/tools/check-build-scripts.sh)"
android/tools/check-build-scripts.sh

# "2.1.0" -> 2.1: the language version of the Kotlin Gradle plugin.
kotlin_lang=$(sed -n 's/^kotlin = "\([0-9]*\.[0-9]*\)[."].*/\1/p' android/gradle/libs.versions.toml)
[[ -n "$kotlin_lang" ]] || { echo "no kotlin version in android/gradle/libs.versions.toml" >&2; exit 1; }
kotlin_lang_args=(-language-version "$kotlin_lang" -api-version "$kotlin_lang")
echo "Kotlin language/API version $kotlin_lang (the Gradle plugin's)"

kotlin_step "generate bindings (unstripped dev library, plain JVM flavour)"
lib=$(scripts/bindings.sh)
# --workspace, --features scanpay-ffi/testing: the test build's features, so nothing is compiled again (scripts/bindings.sh).
cargo build --locked -q --workspace --lib --bins --examples --features scanpay-ffi/testing
cargo_target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
"$cargo_target/debug/examples/fixtures" "$cargo_target/bindings/fixtures"
export SCANPAY_ROOT="$root" SCANPAY_FIXTURES="$cargo_target/bindings/fixtures"
export SCANPAY_SANDBOX_BIN="${SCANPAY_SANDBOX_BIN:-$cargo_target/debug/examples/sandbox}"

# The library's plain files (those without android/androidx imports; the
# Keystore, ConnectivityManager and Logcat classes need the Android SDK), and
# every view-model file, which must be plain.
android_import='^import (android|androidx)\.'
layer=android/scanpay/src/main/kotlin/app/scanpay/android
models=android/sample/src/main/kotlin/app/scanpay/sample/model
mapfile -t plain < <(grep -L -E "$android_import" "$layer"/*.kt)
mapfile -t skipped < <(grep -l -E "$android_import" "$layer"/*.kt)
if grep -l -E "$android_import" "$models"/*.kt; then
  echo "view-models must not import android.* / androidx.* (above)" >&2; exit 1
fi
out="$cargo_target/android-jvm"
mkdir -p "$out"

kotlin_step "compile check: AAR sources (Android-flavoured bindings + ${#skipped[@]} Android-only classes) against android.* signature stubs"
rm -rf "$out/android-flavour"
"$cargo_target/debug/uniffi-bindgen" generate --library "$lib" --language kotlin \
  --config android/uniffi-android.toml --out-dir "$out/android-flavour" --no-format
mapfile -t stubs < <(find android/jvm-test/android-stubs -name '*.kt' | sort)
"$KC/bin/kotlinc" -nowarn "${kotlin_lang_args[@]}" -cp "$KOTLIN_CP" "$out/android-flavour/app/scanpay/ffi/scanpay.kt" \
  "$layer"/*.kt "${stubs[@]}" -d "$out/aar-check.jar"
echo "AAR sources type-check"

kotlin_step "JVM tests: plain bindings + ${#plain[@]} library files + view-models + ViewModelTest.kt"
"$KC/bin/kotlinc" -nowarn "${kotlin_lang_args[@]}" -cp "$KOTLIN_CP" \
  "$cargo_target/bindings/kotlin/app/scanpay/ffi/scanpay.kt" "${plain[@]}" "$models"/*.kt android/jvm-test/ViewModelTest.kt \
  -d "$out/tests.jar"
java -Djna.library.path="$(dirname "$lib")" \
  -cp "$out/tests.jar:$KOTLIN_CP:$KC/lib/kotlin-stdlib.jar" \
  app.scanpay.android.test.ViewModelTestKt
