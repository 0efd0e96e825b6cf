#!/usr/bin/env bash
# Times `registry log audit` of a log of BENCH_ENTRIES (100,000) entries: a release server on a throwaway store
# (BENCH_STORE=sqlite, the default, or postgres) is filled with versions of the 9 KB demo package by wrk
# (scripts/bench/publish.lua, 32 connections, a new package id each round) until its checkpoint holds at least
# BENCH_ENTRIES entries; then the audit (download every entry bundle, recompute the tree, check every version
# entry against the record and receipt served) runs BENCH_RUNS=1 times with --jobs BENCH_JOBS (16) in each mode:
# receipts and records a bundle at a time (`/log/receipts`, `/log/records`: the default), `--record-routes` (a
# record request per version: the default before `/log/records`) and `--receipt-routes` (a receipt and a record
# request per version: what consumers fetch). Prints the three figures side by side, the ratios and the settings.
#
#   scripts/bench-log-audit.sh                              # 100,000 entries on SQLite, target <= 30 s
#   BENCH_ENTRIES=20000 BENCH_STORE=postgres scripts/bench-log-audit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh
ENTRIES=${BENCH_ENTRIES:-100000}
STORE=${BENCH_STORE:-sqlite}
RUNS=${BENCH_RUNS:-1}
JOBS=${BENCH_JOBS:-16}

cargo build --release --locked -q -p registry-server -p registry-cli --bins --example demo_request
release="$(target_dir)/release"
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ "$STORE" = postgres ] && pg_stop
    rm -rf "$work"
}
trap cleanup EXIT
if [ "$STORE" = postgres ]; then pg_start; db_url=$PG_URL; else db_url="sqlite://$work/registry.db"; fi
port=$(free_port)
token=bench-token-0123456789abcdef0123456789abcdef
url="http://127.0.0.1:$port"
api="$url/registry-api/v1"
ANIP_REGISTRY_DATABASE_URL=$db_url ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_PUBLISH_TOKEN=$token \
    "$release/registry-server" >"$work/server.log" 2>&1 &
server_pid=$!
until curl -fsS "$api/readyz" >/dev/null 2>&1; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.01
done

size() { curl -fsS "$api/log/checkpoint" | sed -n 2p; }
fill_start=$(date +%s.%N)
round=0
while [ "$(size)" -lt "$ENTRIES" ]; do
    round=$((round + 1))
    "$release/examples/demo_request" "bench-log-$round" 9.9.9-bench >"$work/demo.json"
    BENCH_BODY="$work/demo.json" BENCH_TOKEN=$token wrk -t2 -c32 -d20s -s scripts/bench/publish.lua \
        "$api/publications" >"$work/wrk-$round.txt"
    printf 'fill round %d: log size %s\n' "$round" "$(size)" >&2
done
fill_end=$(date +%s.%N)
entries=$(size)

"$release/registry" keys --registry-url "$url" --save "$work/keys.txt" >/dev/null 2>&1
# One audit: prints its wall time; the JSON report lands in $work/audit-$1.json.
audit() {
    export XDG_STATE_HOME="$work/state-$RANDOM"
    local start end
    start=$(date +%s.%N)
    "$release/registry" log audit --registry-url "$url" --trusted-keys "$work/keys.txt" --jobs "$JOBS" \
        "${@:2}" --format json >"$work/audit-$1.json" 2>"$work/audit.err" ||
        { cat "$work/audit.err" "$work/audit-$1.json" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.2f}')"
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
bulk=(); records=(); routes=()
for _ in $(seq "$RUNS"); do
    # The bulk mode first: the per-version modes then meet the server's warmer caches (conservative ratios).
    bulk+=("$(audit bulk)")
    records+=("$(audit records --record-routes)")
    routes+=("$(audit routes --receipt-routes)")
done
checked() { python3 -c "import json; r = json.load(open('$work/audit-$1.json')); print(r['versions_checked'], r['status'])"; }

echo
echo "registry log audit ($STORE store, release build, --jobs $JOBS, one machine: 2 cores shared by server and CLI)"
printf '  log entries audited:      %s (versions checked, status: %s)\n' "$entries" "$(checked bulk)"
printf '  audit wall time:          %s s   (runs: %s; target <= 30 s for 100,000; receipts and records a bundle at a time)\n' \
    "$(median "${bulk[@]}")" "${bulk[*]}"
printf '  --record-routes:          %s s   (runs: %s; a record request per version, the default before /log/records)\n' \
    "$(median "${records[@]}")" "${records[*]}"
printf '  --receipt-routes:         %s s   (runs: %s; a record and a receipt request per version)\n' \
    "$(median "${routes[@]}")" "${routes[*]}"
ratio() { python3 -c "print(f'{$(median "$@") / $(median "${bulk[@]}"):.2f}')"; }
printf '  ratios:                   %s x (--record-routes / default), %s x (--receipt-routes / default)\n' \
    "$(ratio "${records[@]}")" "$(ratio "${routes[@]}")"
printf '  filling the log (wrk):    %.1f s for %s publishes\n' \
    "$(python3 -c "print($fill_end - $fill_start)")" "$entries"
