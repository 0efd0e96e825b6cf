#!/usr/bin/env bash
# Browser test of the registry UI (ui/tests/browser.test.mjs): builds the server and the demo-request example (debug,
# as scripts/test.sh does), installs the test's one npm dependency (playwright-core, pinned by
# ui/tests/package-lock.json) when missing, and runs it with node's built-in test runner against the system Chromium.
# Binaries are taken from where cargo put them (CARGO_TARGET_DIR or the workspace's target/, asked of cargo metadata);
# screenshots land in <that directory>/ui-screenshots/. Needs node >= 20, npm and /usr/bin/chromium (CHROMIUM_BIN to
# override; .ci/run installs it on a fresh machine).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/target.sh

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'ui-test: %s\n' "$*" >&2; exit 1; }

chromium_bin=${CHROMIUM_BIN:-/usr/bin/chromium}
[ -x "$chromium_bin" ] || fail "no Chromium at $chromium_bin (apt-get install chromium, or set CHROMIUM_BIN)"
command -v node >/dev/null 2>&1 || fail "node is not installed"
command -v npm >/dev/null 2>&1 || fail "npm is not installed"

step "npm dependencies (ui/tests)"
# Reinstall when node_modules is missing or older than the lock file.
if [ ! -d ui/tests/node_modules/playwright-core ] || [ ui/tests/package-lock.json -nt ui/tests/node_modules ]; then
    (cd ui/tests && npm ci --no-audit --no-fund)
else
    echo "up to date"
fi

step "build registry-server and the demo-request example (debug)"
cargo build --locked -p registry-server --bin registry-server --example demo_request

step "browser test (node --test)"
target=$(target_dir)
export REGISTRY_SERVER_BIN="$target/debug/registry-server"
export DEMO_REQUEST_BIN="$target/debug/examples/demo_request"
export CHROMIUM_BIN="$chromium_bin"
export UI_SCREENSHOT_DIR="$target/ui-screenshots"
cd ui/tests
node --test --test-reporter=tap browser.test.mjs
echo "screenshots: $UI_SCREENSHOT_DIR"
