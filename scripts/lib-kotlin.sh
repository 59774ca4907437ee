# shellcheck shell=bash
# Shared by the Kotlin/JVM test scripts (source it, do not run it): installs
# what is missing and sets the paths.
#   kotlin_tools   npm `kotlin-compiler` (ships kotlinc and
#                  kotlinx-coroutines-core-jvm.jar) under
#                  ${CARGO_TARGET_DIR:-target}/tools, JNA from
#                  Debian's libjna-java, a JRE. Sets KC (compiler dir), JNA (jar)
#                  and KOTLIN_CP (coroutines + JNA, for compiling and running).
# Expects the repository root as the working directory.

KOTLIN_VERSION=${KOTLIN_VERSION:-2.4.20}

kotlin_step() { printf '\n==> %s\n' "$*"; }

# shellcheck disable=SC2034  # KC, JNA and KOTLIN_CP are for the sourcing script
kotlin_tools() {
  local tools
  tools="$(mkdir -p "${CARGO_TARGET_DIR:-target}/tools" && cd "${CARGO_TARGET_DIR:-target}/tools" && pwd)"
  KC="$tools/node_modules/kotlin-compiler"
  if [[ ! -x "$KC/bin/kotlinc" ]]; then
    kotlin_step "installing kotlin-compiler $KOTLIN_VERSION (npm)"
    npm install --silent --prefix "$tools" "kotlin-compiler@$KOTLIN_VERSION"
  fi
  JNA=/usr/share/java/jna.jar
  if [[ ! -f "$JNA" ]]; then
    kotlin_step "installing JNA (libjna-java)"
    apt-get update -qq && apt-get install -y -qq libjna-java
  fi
  command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq default-jre-headless; }
  KOTLIN_CP="$KC/lib/kotlinx-coroutines-core-jvm.jar:$JNA"
}
