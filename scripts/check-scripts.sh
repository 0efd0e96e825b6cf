#!/usr/bin/env bash
# Checks the scripts themselves, in about a second (scripts/test.sh runs it):
#   1. every script in scripts/ parses (bash -n);
#   2. none names a build output under a literal ./target: binaries are where cargo put them, which
#      CARGO_TARGET_DIR or a cargo config can move (scripts/lib/target.sh asks `cargo metadata`);
#   3. scripts/lib/target.sh follows CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { printf 'check-scripts: FAIL: %s\n' "$*" >&2; exit 1; }

scripts=(scripts/*.sh scripts/lib/*.sh)
for script in "${scripts[@]}"; do
    bash -n "$script" || fail "$script does not parse"
done

# A path such as target/release/registry or "$PWD/target/debug/..." (not $TARGET_DIR/release, not a comment).
if grep -nE '(^|[^A-Za-z0-9_$}/.-]|\$PWD/|\./)target/(debug|release|ui-screenshots)' "${scripts[@]}" |
    grep -vE '^[^:]+:[0-9]+:\s*#'; then
    fail "the lines above assume ./target; use \$(target_dir) from scripts/lib/target.sh"
fi

elsewhere=$(mktemp -d)
trap 'rm -rf "$elsewhere"' EXIT
found=$(CARGO_TARGET_DIR="$elsewhere" TARGET_DIR='' bash -c 'source scripts/lib/target.sh && target_dir')
[ "$found" = "$elsewhere" ] || fail "target_dir gave $found with CARGO_TARGET_DIR=$elsewhere"

echo "check-scripts: ok: ${#scripts[@]} scripts parse, none assumes ./target, target_dir follows CARGO_TARGET_DIR"
