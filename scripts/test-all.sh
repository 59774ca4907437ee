#!/usr/bin/env bash
# Runs every ScanPay test: formatting, lints, rustdoc, the Rust test suites of
# the whole workspace (unit, integration, property, dataset regression, vectors,
# the sandbox and system suites over TLS), and the Kotlin (JVM) and Python
# binding suites, which install what they need when missing (kotlinc from npm,
# JNA from Debian, pytest from PyPI).
#
# Usage: scripts/test-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step also prints the free space where the build goes: a CI run that
# ran out of disk (2026-11-26) is then read off the log, not guessed (ADR 0010).
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
mkdir -p "$target_dir"
#
# Each step also ends with a line `<== KEY: wall W s, CPU C s (load L)` and the
# run with a table of them, also when a step fails (EXIT trap): CI keeps only
# the logs of failing runs, and a slow run is then read off the log (ADR 0010
# addendum). CPU is user+sys of the step's finished child processes (bash
# `times`, so cargo's rustc and the test binaries count); on a shared machine it
# says more than wall time, which the load line puts in context.
step_key="" step_t0="" step_c0=0
keys=() walls=() cpus=()
times_file=$(mktemp)
# Sets CPU_NOW to the user+sys seconds of this shell's finished children. No
# command substitution around `times`: a subshell would report its own.
cpu_now() {
  times >"$times_file"
  CPU_NOW=$(awk 'END { s = 0; for (i = 1; i <= NF; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%.1f", s }' "$times_file")
}
end_step() {
  [[ -n "$step_key" ]] || return 0
  local wall cpu load
  cpu_now
  wall=$(awk -v a="$step_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  cpu=$(awk -v a="$step_c0" -v b="$CPU_NOW" 'BEGIN { printf "%.1f", b - a }')
  load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
  printf '<== %s%s: wall %s s, CPU %s s (load %s)\n' "$step_key" "${1:+ ($1)}" "$wall" "$cpu" "$load"
  keys+=("$step_key${1:+ ($1)}") walls+=("$wall") cpus+=("$cpu")
  step_key=""
}
# step KEY DESCRIPTION: ends the previous step and starts timing this one.
step() {
  local free key="$1"
  shift
  end_step
  free=$(df -Pk "$target_dir" 2>/dev/null | awk 'NR==2 { printf "%.1f GB", $4 / 1048576 }')
  printf '\n==> %s   [free disk: %s]\n' "$*" "${free:-?}"
  cpu_now
  step_key="$key" step_t0="$EPOCHREALTIME" step_c0="$CPU_NOW"
}
summary() {
  local rc=$? i tw=0 tc=0
  end_step "$([[ $rc -eq 0 ]] || echo "FAILED, exit $rc")"
  printf '\n%-22s %9s %9s\n' step "wall s" "CPU s"
  for i in "${!keys[@]}"; do
    printf '%-22s %9s %9s\n' "${keys[$i]}" "${walls[$i]}" "${cpus[$i]}"
    tw=$(awk -v a="$tw" -v b="${walls[$i]}" 'BEGIN { print a + b }')
    tc=$(awk -v a="$tc" -v b="${cpus[$i]}" 'BEGIN { print a + b }')
  done
  printf '%-22s %9.1f %9.1f   (%d cores)\n' total "$tw" "$tc" "$(nproc 2>/dev/null || echo 0)"
  rm -f "$times_file"
  return "$rc"
}
trap summary EXIT

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust stable (https://rustup.rs) and re-run." >&2
  exit 1
fi

step fmt "cargo fmt --check"
cargo fmt --all -- --check

# Every build here and in the binding scripts enables scanpay-ffi's `testing`
# feature (the test-only FFI objects the Kotlin/Python suites use), the same
# everywhere so that no unit is compiled twice; phone libraries never have it
# (ADR 0025). `tests` holds it for the commands below.
tests=(--features scanpay-ffi/testing)

step clippy "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked "${tests[@]}" -- -D warnings

step doc "cargo doc (rustdoc warnings, broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

# The tests run under cargo-nextest when it is there (it is on every new
# machine of the kind CI runs on): each test its own process, $threads at a
# time across all test binaries, where `cargo test` runs the binaries one after
# another, two tests at a time. Many tests wait on sockets, timers and child
# processes rather than the CPU, so more tests than cores keeps both busy
# (ADR 0010 addendum, 2026-12-03). nextest does not run doctests: the second
# command does. Without nextest: plain `cargo test`, slower, same tests.
threads="${SCANPAY_TEST_THREADS:-4}"
step test "tests of the workspace (cargo nextest, $threads at a time; then the doctests)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked "${tests[@]}" --test-threads "$threads"
  cargo test --workspace --locked "${tests[@]}" --doc
else
  echo "cargo-nextest not found (cargo install --locked cargo-nextest): cargo test, one binary after another"
  cargo test --workspace --locked "${tests[@]}" -- --test-threads "$threads"
fi

step bindings "bindings: Kotlin on the JVM and Python, against the host library"
scripts/test-bindings.sh

step android-jvm "android: the sample's view-models and the library's Kotlin, on the JVM against the real core"
scripts/test-android-jvm.sh

step swift "Swift: syntax of the Swift layer, the sample app and the generated bindings"
scripts/check-swift.sh

step deny "supply chain: cargo deny (licences, bans incl. aws-lc-rs, sources)"
scripts/deny.sh

step fuzz "fuzz smoke: every cargo-fuzz target, 10 s each"
scripts/fuzz-smoke.sh 10

# The arm64 library is the gate (ADR 0017); the x86_64 proxy is built only
# where arm64 cannot be (ADR 0010 addendum, 2026-12-03).
step size "phone library: size budget and 16 KB alignment (arm64; the x86_64 proxy only without arm64, ADR 0009/0017)"
scripts/size-report.sh --proxy-fallback

# In the test profile, on the dependencies the tests already built: `cargo
# bench --no-run` built all of them again, optimised, for a check that the
# benches compile and link (ADR 0010 addendum, 2026-12-03).
step bench "benchmarks compile and link (test profile)"
cargo test --workspace --locked "${tests[@]}" --benches --no-run

end_step
echo
echo "All ScanPay test suites passed."
