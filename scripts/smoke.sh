#!/usr/bin/env bash
# The whole trust loop, natively: a throwaway Postgres and the release server, publish the demo package with a
# token, the UI pages, `registry verify`, `registry resolve --write-lock` and again with that lock, and a tampered
# lock that must fail. One line per step; everything it started is stopped by PID; non-zero exit on any failure.
#
#   scripts/smoke.sh                                  # start Postgres and the server here
#   scripts/smoke.sh --against URL --token TOKEN      # run the same checks against a running registry
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/target.sh

against="" token=""
while [ $# -gt 0 ]; do
    case "$1" in
        --against) against=$2; shift 2 ;;
        --token) token=$2; shift 2 ;;
        *) echo "usage: $0 [--against URL --token TOKEN]" >&2; exit 64 ;;
    esac
done

work=$(mktemp -d)
# The registries checked here are throwaway ones: the log checkpoints `registry` keeps per origin go to this run's own
# state directory, so the user's keeps none of them (each new log has its own origin: nothing would collide anyway).
export XDG_STATE_HOME="$work/state"
server_pid=""
step_no=0
step() { step_no=$((step_no + 1)); printf 'smoke %02d  %-58s' "$step_no" "$1"; }
ok() { echo "ok${1:+  ($1)}"; }
fail() { echo "FAILED: $*"; [ -f "$work/server.log" ] && tail -20 "$work/server.log" >&2; exit 1; }
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if declare -F pg_stop >/dev/null; then pg_stop; fi
    rm -rf "$work"
}
trap cleanup EXIT

step "build release binaries"
cargo build --release --locked -q -p registry-server -p registry-cli -p registry-keygen || fail "cargo build"
cargo build --release --locked -q -p registry-server --example demo_request || fail "cargo build (example)"
ok
release="$(target_dir)/release"
registry=$release/registry

if [ -z "$against" ]; then
    source scripts/lib/postgres.sh
    step "start a throwaway Postgres"
    pg_start || fail "could not start Postgres"
    ok "port $PG_PORT"
    step "start registry-server (production mode, real key)"
    port=$(free_port)
    token="smoke-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    "$release/registry-keygen" --key-id smoke-key --out "$work/key.env" 2>/dev/null || fail "keygen"
    set -a; source "$work/key.env"; set +a
    ANIP_REGISTRY_DATABASE_URL=$PG_URL ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_MODE=production \
        ANIP_REGISTRY_PUBLISH_TOKEN=$token "$release/registry-server" >"$work/server.log" 2>&1 &
    server_pid=$!
    against="http://127.0.0.1:$port"
    ok "pid $server_pid"
fi
[ -n "$token" ] || fail "no publish token (--token)"
api="$against/registry-api/v1"

step "wait for /healthz"
for _ in $(seq 1 300); do
    curl -fsS "$api/healthz" >"$work/health.json" 2>/dev/null && break
    [ -n "$server_pid" ] && { kill -0 "$server_pid" 2>/dev/null || fail "the server exited"; }
    sleep 0.1
done
curl -fsS "$api/healthz" >"$work/health.json" || fail "registry not healthy at $api"
ok "$(tr -d '\n' <"$work/health.json" | head -c 120)"

id="smoke-demo-$(date -u +%Y%m%d%H%M%S)"
version=0.1.0
step "publish the demo package with the token"
"$release/examples/demo_request" "$id" "$version" >"$work/request.json"
"$registry" publish "$work/request.json" --registry-url "$against" --token "$token" >"$work/publish.txt" \
    || fail "publish: $(cat "$work/publish.txt")"
ok "$id@$version"

step "UI pages answer and name the registry"
for page in /registry/packages "/registry/packages/$id/$version"; do
    curl -fsSL "$against$page" | grep -q "ANIP Registry" || fail "$page does not contain 'ANIP Registry'"
done
ok

step "save the registry's keys (trusted-keys file)"
"$registry" keys --registry-url "$against" --save "$work/trusted-keys.txt" >/dev/null 2>&1 || fail "keys"
ok "$(grep -vc '^#' "$work/trusted-keys.txt") key(s)"

step "registry verify (pinned keys)"
"$registry" verify "$id@$version" --registry-url "$against" --trusted-keys "$work/trusted-keys.txt" \
    >"$work/verify.txt" 2>&1 || fail "verify: $(cat "$work/verify.txt")"
ok

step "registry resolve --write-lock"
"$registry" resolve "$id@$version" --registry-url "$against" --trusted-keys "$work/trusted-keys.txt" \
    --lock-file "$work/anip.lock.json" --write-lock --out "$work/package.json" >"$work/resolve1.txt" 2>&1 \
    || fail "resolve: $(cat "$work/resolve1.txt")"
[ -s "$work/anip.lock.json" ] && [ -s "$work/package.json" ] || fail "no lock or record written"
ok

step "registry resolve with that lock"
"$registry" resolve "$id@$version" --registry-url "$against" --trusted-keys "$work/trusted-keys.txt" \
    --lock-file "$work/anip.lock.json" --out "$work/package2.json" >"$work/resolve2.txt" 2>&1 \
    || fail "resolve with lock: $(cat "$work/resolve2.txt")"
cmp -s "$work/package.json" "$work/package2.json" || fail "the record written with the lock differs from the first"
ok "same record"

step "a tampered lock makes resolve fail"
python3 - "$work/anip.lock.json" "$work/tampered.lock.json" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
digest = lock["lock_digest"]
lock["lock_digest"] = digest[:-1] + ("0" if digest[-1] != "0" else "1")
json.dump(lock, open(sys.argv[2], "w"), indent=2)
PY
set +e
"$registry" resolve "$id@$version" --registry-url "$against" --trusted-keys "$work/trusted-keys.txt" \
    --lock-file "$work/tampered.lock.json" --out "$work/package3.json" >"$work/resolve3.txt" 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "expected exit 2, got $code: $(cat "$work/resolve3.txt")"
grep -q "lock_digest" "$work/resolve3.txt" || fail "the failure does not name lock_digest"
[ ! -e "$work/package3.json" ] || fail "a record was written despite the mismatch"
ok "exit 2, names lock_digest"

echo "smoke: all $step_no steps passed against $against"
