#!/usr/bin/env bash
# The project's one test command (README "Tests"): formatting, lints, then every test of the workspace in a
# debug build. CI calls it from .ci/run after installing what a fresh machine lacks.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (workspace, debug build)"
cargo test --workspace --locked
