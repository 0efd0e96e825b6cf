#!/usr/bin/env bash
# What request logging costs on a cheap read: `GET /keys` (wrk, c64) on the release server with logging at its
# default level (`info`: one JSON line per request, written to a file) against `RUST_LOG=warn` (no request lines).
# Alternates the two, RUNS times each, and prints the median req/s of each, the server's CPU time per request (from
# /proc, less sensitive than req/s to other load on the machine) and the overhead of each. Embedded SQLite store.
# BENCH_SERVER_BIN points it at another build. Needs wrk (apt-get install wrk). Settings that differ from a production run: none but the store and loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
DURATION=${BENCH_DURATION:-8s}
RUNS=${BENCH_RUNS:-3}
bin=${BENCH_SERVER_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release -q -p registry-server
    bin=${CARGO_TARGET_DIR:-target}/release/registry-server
fi
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One run: starts the server with RUST_LOG=$1, loads /keys, prints "req/s cpu-microseconds-per-request".
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
    local before after out
    before=$(cpu_ticks "$server_pid")
    out=$(wrk -t2 -c64 -d"$DURATION" "http://127.0.0.1:$port/registry-api/v1/keys")
    after=$(cpu_ticks "$server_pid")
    python3 - "$out" "$before" "$after" "$(getconf CLK_TCK)" <<'PY'
import re, sys
out, before, after, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
requests = int(re.search(r"(\d+) requests in", out).group(1))
print(f"{rps} {(after - before) / hz / requests * 1e6:.2f}")
PY
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
def parse(text):
    values = [float(x) for x in text.split()]
    return values[0::2], values[1::2]
info, info_cpu = parse(sys.argv[1])
warn, warn_cpu = parse(sys.argv[2])
mi, mw = statistics.median(info), statistics.median(warn)
ci, cw = statistics.median(info_cpu), statistics.median(warn_cpu)
print(f"GET /keys, wrk -t2 -c64 -d{sys.argv[4]}, {len(info)} runs each, release build, SQLite store")
print(f"  RUST_LOG=info (default; a JSON line per request to a file): {' '.join(f'{x:,.0f}' for x in info)}  median {mi:,.0f} req/s, {ci:.1f} us CPU/request")
print(f"  RUST_LOG=warn (no request lines):                            {' '.join(f'{x:,.0f}' for x in warn)}  median {mw:,.0f} req/s, {cw:.1f} us CPU/request")
print(f"  request lines in the last info run's log: {int(sys.argv[3]):,}")
print(f"  logging overhead: {100 * (mw - mi) / mw:.1f} % of the warn rate, {100 * (ci - cw) / cw:.1f} % more server CPU per request (target: under 10 %)")
PY
