#!/usr/bin/env bash
# The project's one test command (README "Tests"): formatting, lints, then every test of the workspace in a
# debug build, ending with one summary line. CI calls it from .ci/run after installing what a fresh machine lacks.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "scripts (scripts/check-scripts.sh: they parse and find binaries where cargo put them)"
scripts/check-scripts.sh

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (workspace, debug build)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --lib --bins --tests --locked 2>&1 | tee "$log" || status=$?

step "the API description against the running server (scripts/schemathesis.sh: openapi-spec-validator, schemathesis)"
scripts/schemathesis.sh 2>&1 | tee -a "$log" || status=$?

step "browser test of the UI (scripts/ui-test.sh, headless Chromium)"
scripts/ui-test.sh 2>&1 | tee -a "$log" || status=$?

# One closing line for the whole run: the sum over every cargo test binary and the node test runner (TAP).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass [0-9]+$/ { p += $3 } /^# fail [0-9]+$/ { f += $3 }
     END { printf "\nSummary: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
