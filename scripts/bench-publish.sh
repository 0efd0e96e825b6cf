#!/usr/bin/env bash
# Publish rate of two (or more) server builds side by side, in one run: each round publishes new demo versions with
# wrk (c16, scripts/bench/publish.lua) into a fresh store, once per build, alternating builds so that the machine's
# drift hits them alike; prints every run and each build's median rate and p99 per store.
# Postgres keeps its default durability (fsync, synchronous_commit on); SQLite its own (WAL, synchronous=FULL).
# Needs: PostgreSQL server binaries and wrk (apt-get install postgresql wrk), python3.
# Environment: BENCH_SERVER_BINS (space-separated server binaries; default target/release/registry-server, built
# here), BENCH_ROUNDS (default 3), BENCH_DURATION (default 10s), BENCH_STORES (default "postgres sqlite").
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh
source scripts/lib/server.sh

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-10s}
STORES=${BENCH_STORES:-postgres sqlite}
BINS=${BENCH_SERVER_BINS:-}
if [ -z "$BINS" ]; then
    cargo build --release -q -p registry-server
    BINS=$(target_dir)/release/registry-server
fi
work=$(mktemp -d)
cleanup() { stop_server; pg_stop; rm -rf "$work"; }
trap cleanup EXIT

token=bench-token-0123456789abcdef0123456789abcdef
cargo run -q --release -p registry-server --example demo_request >"$work/demo.json"

# One run: a fresh store, the server `bin` on it, wrk publishing for DURATION; sets RATE and P99. Runs in this shell,
# so the EXIT trap stops whatever it started if it fails midway.
publish_run() { # store bin
    local store=$1 bin=$2 url port api out
    if [ "$store" = postgres ]; then pg_start; url=$PG_URL; else
        rm -rf "$work/db"; url="sqlite://$work/db/registry.db"; fi
    port=$(free_port)
    api="http://127.0.0.1:$port/registry-api/v1"
    ANIP_REGISTRY_DATABASE_URL=$url ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_PUBLISH_TOKEN=$token \
        "$bin" >"$work/server.log" 2>&1 &
    server_pid=$!
    wait_answering "$api/readyz" "$work/server.log"
    out=$(BENCH_BODY="$work/demo.json" BENCH_TOKEN=$token wrk -t2 -c16 -d"$DURATION" --timeout 30s --latency \
        -s scripts/bench/publish.lua "$api/publications")
    stop_server
    if [ "$store" = postgres ]; then pg_stop; fi
    if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers in a publish run:" >&2; echo "$out" >&2; exit 1; fi
    RATE=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    P99=$(awk '$1 == "99%" {print $2}' <<<"$out")
}

echo "publish (demo, new versions), wrk -t2 -c16 -d$DURATION on loopback, $(nproc) cores shared by wrk, the server and"
echo "the database; $ROUNDS rounds, builds alternating; default logging and limits; dev signing key"
results=$work/results
for store in $STORES; do
    for round in $(seq "$ROUNDS"); do
        for bin in $BINS; do
            publish_run "$store" "$bin"
            printf '%-9s round %s  %-60s %9s/s  p99 %s\n' "$store" "$round" "$bin" "$RATE" "$P99"
            echo "$store $bin $RATE $P99" >>"$results"
        done
    done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def ms(text):
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)
print()
print(f"{'store':9} {'build':60} {'median req/s':>12} {'median p99':>11}")
for key in dict.fromkeys((r[0], r[1]) for r in rows):
    runs = [r for r in rows if (r[0], r[1]) == key]
    rate = statistics.median(float(r[2]) for r in runs)
    p99 = statistics.median(ms(r[3]) for r in runs)
    print(f"{key[0]:9} {key[1]:60} {rate:12.1f} {p99:9.1f}ms")
PY
