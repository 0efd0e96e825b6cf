#!/usr/bin/env bash
# Benchmarks the transparency log on Postgres (default durability: fsync and synchronous_commit on) with wrk on
# loopback, and prints:
#   - publish throughput at 16 concurrent publishers with the log, and the same run on a baseline build without
#     it (BENCH_BASELINE_BIN: e.g. a release build of main; skipped when unset) — target ≥ 80 %;
#   - checkpoint latency p99: a publish is acknowledged only once its entry is in a signed checkpoint, so the
#     publish p99 under that load is the time from request to signed checkpoint — target ≤ 1.5 s;
#   - inclusion proofs served per second (64 connections, a different index per request) — target ≥ 20,000/s.
# Needs: PostgreSQL server binaries, wrk, python3. Environment: BENCH_DURATION (default 10s), BENCH_SERVER_BIN
# (default target/release/registry-server, built here), BENCH_BASELINE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh
source scripts/lib/server.sh

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
DURATION=${BENCH_DURATION:-10s}
BIN=${BENCH_SERVER_BIN:-}
BASELINE=${BENCH_BASELINE_BIN:-}
if [ -z "$BIN" ]; then
    cargo build --release -q -p registry-server
    BIN=$(target_dir)/release/registry-server
fi
work=$(mktemp -d)
cleanup() { stop_server; pg_stop 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

token=bench-token-0123456789abcdef0123456789abcdef
cargo run -q --release -p registry-server --example demo_request >"$work/demo.json"

start_server() { # binary
    local port
    port=$(free_port)
    API="http://127.0.0.1:$port/registry-api/v1"
    ANIP_REGISTRY_DATABASE_URL=$PG_URL ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_PUBLISH_TOKEN=$token \
        "$1" >"$work/server.log" 2>&1 &
    server_pid=$!
    wait_answering "$API/readyz" "$work/server.log"
}

publish_run() { # binary → RUN_RPS RUN_P99 RUN_BAD (runs in this shell: the server stays up for the next step)
    pg_start
    start_server "$1"
    local out
    out=$(BENCH_BODY="$work/demo.json" BENCH_TOKEN=$token wrk -t2 -c16 -d"$DURATION" --timeout 30s --latency \
        -s scripts/bench/publish.lua "$API/publications")
    echo "$out" >>"$work/wrk.log"
    RUN_RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    RUN_P99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    RUN_BAD=$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)
}

echo "transparency-log benchmark: $BIN"
echo "wrk -t2 -c16 -d$DURATION on loopback, $(nproc) cores shared by wrk, the server and Postgres; dev signing key"
publish_run "$BIN"
log_rps=$RUN_RPS log_p99=$RUN_P99 log_bad=$RUN_BAD
size=$(curl -fsS "$API/log/checkpoint" | sed -n 2p)
proof_out=$(BENCH_TREE_SIZE=$size wrk -t2 -c64 -d"$DURATION" --latency -s scripts/bench/inclusion.lua \
    "${API%/registry-api/v1}")
proof_rps=$(awk '/Requests\/sec/ {print $2}' <<<"$proof_out")
proof_bad=$(awk '/Non-2xx/ {print $NF}' <<<"$proof_out" | grep . || echo 0)
stop_server
pg_stop
echo
printf '%-62s %12s %10s %8s\n' "run" "requests/s" "p99" "non-2xx"
printf '%-62s %12s %10s %8s\n' "POST /publications, 16 publishers, with the log" "$log_rps" "$log_p99" "$log_bad"
if [ -n "$BASELINE" ]; then
    publish_run "$BASELINE"
    base_rps=$RUN_RPS base_p99=$RUN_P99 base_bad=$RUN_BAD
    stop_server
    pg_stop
    printf '%-62s %12s %10s %8s\n' "POST /publications, 16 publishers, baseline ($(basename "$BASELINE"))" \
        "$base_rps" "$base_p99" "$base_bad"
fi
printf '%-62s %12s %10s %8s\n' "GET /log/proof/inclusion ($size entries, 64 connections)" "$proof_rps" \
    "$(awk '$1 == "99%" {print $2}' <<<"$proof_out")" "$proof_bad"
echo
echo "checkpoint latency p99 (request → acknowledged, which is after its signed checkpoint): $log_p99 (target ≤ 1.5s)"
if [ -n "$BASELINE" ]; then
    python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print(f"publish throughput with the log: {a / b:.0%} of the baseline (target ≥ 80%)")' \
        "$log_rps" "$base_rps"
fi
echo "inclusion proofs served: $proof_rps/s (target ≥ 20,000/s)"
