#!/usr/bin/env bash
# What request logging costs on a cheap read: `GET /keys` (wrk, c64) on the release server with logging at its
# default level (`info`: one JSON line per request, written to a file) against `RUST_LOG=warn` (no request lines).
# Alternates the two, RUNS times each, and prints the median req/s of each and the overhead. Embedded SQLite store.
# Needs wrk (apt-get install wrk). Settings that differ from a production run: none but the store and loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
DURATION=${BENCH_DURATION:-8s}
RUNS=${BENCH_RUNS:-3}
cargo build --release -q -p registry-server
bin=${CARGO_TARGET_DIR:-target}/release/registry-server
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One run: starts the server with RUST_LOG=$1, loads /keys, prints req/s and the log's size.
measure() {
    local level=$1 port
    port=$(free_port)
    RUST_LOG=$level ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_DATA_DIR="$work/data" \
        "$bin" >"$work/server-$level.log" 2>/dev/null &
    server_pid=$!
    until curl -fsS "http://127.0.0.1:$port/registry-api/v1/healthz" >/dev/null 2>&1; do
        kill -0 "$server_pid" 2>/dev/null || { echo "the server exited" >&2; exit 1; }
        sleep 0.01
    done
    wrk -t2 -c64 -d"$DURATION" "http://127.0.0.1:$port/registry-api/v1/keys" | awk '/Requests\/sec/ {print $2}'
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

info=() warn=()
for _ in $(seq "$RUNS"); do
    info+=("$(measure info)")
    warn+=("$(measure warn)")
done
lines=$(grep -c registry_http_request "$work/server-info.log" || true)
python3 - "${info[*]}" "${warn[*]}" "$lines" "$DURATION" <<'PY'
import statistics, sys
info = [float(x) for x in sys.argv[1].split()]
warn = [float(x) for x in sys.argv[2].split()]
mi, mw = statistics.median(info), statistics.median(warn)
print(f"GET /keys, wrk -t2 -c64 -d{sys.argv[4]}, {len(info)} runs each, release build, SQLite store")
print(f"  RUST_LOG=info (default; a JSON line per request to a file): {' '.join(f'{x:,.0f}' for x in info)}  median {mi:,.0f} req/s")
print(f"  RUST_LOG=warn (no request lines):                            {' '.join(f'{x:,.0f}' for x in warn)}  median {mw:,.0f} req/s")
print(f"  request lines in the last info run's log: {int(sys.argv[3]):,}")
print(f"  logging overhead: {100 * (mw - mi) / mw:.1f} % of the warn rate (target: under 10 %)")
PY
