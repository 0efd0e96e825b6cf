#!/usr/bin/env bash
# Times `registry mirror` of a local origin holding BENCH_VERSIONS (10,000) versions: a release server on a throwaway
# SQLite store is filled with versions of the 9 KB demo package by wrk (scripts/bench/publish.lua, 32 connections,
# a new package id each round); then a first mirror into an empty folder (every check on: checkpoint, tree
# recomputed, each version's record, receipt and lock fetched and checked, entry rebuilt) with --jobs BENCH_JOBS
# (16), and an incremental run with nothing new. Prints versions/s (target >= 500/s) and the incremental time
# (target < 1 s), and the settings.
# Then the replica (`registry-server --mirror-of`, its own SQLite store, every check on, --mirror-jobs BENCH_JOBS,
# polling every BENCH_REPLICA_INTERVAL_MS = 100 ms): the time from its start on an empty store until it holds the
# whole log (versions/s), then the publish -> visible-on-replica latency (p50/p99) over BENCH_LATENCY_PUBLISHES
# (200) publishes, one at a time, while it follows (scripts/bench/replica_latency.py).
#
#   scripts/bench-mirror.sh
#   BENCH_VERSIONS=2000 scripts/bench-mirror.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh
VERSIONS=${BENCH_VERSIONS:-10000}
JOBS=${BENCH_JOBS:-16}
REPLICA_INTERVAL=${BENCH_REPLICA_INTERVAL_MS:-100}
PUBLISHES=${BENCH_LATENCY_PUBLISHES:-200}

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --locked -q -p registry-server -p registry-cli --bins --example demo_request
release="$(target_dir)/release"
work=$(mktemp -d)
# The registries checked here are throwaway ones: the log checkpoints `registry` keeps per origin go to this run's own
# state directory, so the user's keeps none of them (each new log has its own origin: nothing would collide anyway).
export XDG_STATE_HOME="$work/state"
server_pid=""
replica_pid=""
cleanup() {
    if [ -n "$replica_pid" ]; then kill "$replica_pid" 2>/dev/null || true; wait "$replica_pid" 2>/dev/null || true; fi
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
port=$(free_port)
token=bench-token-0123456789abcdef0123456789abcdef
url="http://127.0.0.1:$port"
api="$url/registry-api/v1"
ANIP_REGISTRY_DATABASE_URL="sqlite://$work/registry.db" ANIP_REGISTRY_ADDR=127.0.0.1:$port \
    ANIP_REGISTRY_PUBLISH_TOKEN=$token "$release/registry-server" >"$work/server.log" 2>&1 &
server_pid=$!
until curl -fsS "$api/readyz" >/dev/null 2>&1; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.01
done

size() { curl -fsS "$api/log/checkpoint" | sed -n 2p; }
round=0
while [ "$(size)" -lt "$VERSIONS" ]; do
    round=$((round + 1))
    "$release/examples/demo_request" "bench-mirror-$round" 9.9.9-bench >"$work/demo.json"
    BENCH_BODY="$work/demo.json" BENCH_TOKEN=$token wrk -t2 -c32 -d10s -s scripts/bench/publish.lua \
        "$api/publications" >"$work/wrk-$round.txt"
    printf 'fill round %d: log size %s\n' "$round" "$(size)" >&2
done
entries=$(size)
"$release/registry" keys --registry-url "$url" --save "$work/keys.txt" >/dev/null 2>&1

run_mirror() { # → seconds; the JSON summary in $work/mirror.json
    local start end
    start=$(date +%s.%N)
    "$release/registry" mirror --from "$url" --to "$work/mirror" --trusted-keys "$work/keys.txt" --jobs "$JOBS" \
        --format json >"$work/mirror.json" 2>"$work/mirror.err" || { cat "$work/mirror.err" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.3f}')"
}
first=$(run_mirror)
written=$(python3 -c "import json; print(json.load(open('$work/mirror.json'))['versions_written'])")
again=$(run_mirror)
again_written=$(python3 -c "import json; print(json.load(open('$work/mirror.json'))['versions_written'])")

echo
echo "registry mirror (release build, SQLite origin on loopback, --jobs $JOBS, $(nproc) cores shared by origin and CLI)"
printf '  log entries / versions mirrored: %s / %s\n' "$entries" "$written"
printf '  first run:                       %s s, %s versions/s (target >= 500/s)\n' "$first" \
    "$(python3 -c "print(f'{$written / $first:.0f}')")"
printf '  incremental run, nothing new:    %s s, %s versions written (target < 1 s)\n' "$again" "$again_written"
printf '  mirror folder size:              %s\n' "$(du -sh "$work/mirror" | cut -f1)"

# The replica: from an empty store to the whole log, then publish -> visible latency while it follows.
rport=$(free_port)
rapi="http://127.0.0.1:$rport/registry-api/v1"
mirrored() { curl -sS "$rapi/readyz" 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["mirror"]["mirrored_size"])' 2>/dev/null || echo 0; }
start=$(date +%s.%N)
ANIP_REGISTRY_DATABASE_URL="sqlite://$work/replica.db" ANIP_REGISTRY_ADDR=127.0.0.1:$rport \
    ANIP_REGISTRY_MIRROR_OF="$url" ANIP_REGISTRY_MIRROR_TRUSTED_KEYS="$work/keys.txt" \
    ANIP_REGISTRY_MIRROR_JOBS=$JOBS ANIP_REGISTRY_MIRROR_INTERVAL_MS=$REPLICA_INTERVAL \
    "$release/registry-server" >"$work/replica.log" 2>&1 &
replica_pid=$!
until [ "$(mirrored)" -ge "$entries" ]; do
    kill -0 "$replica_pid" 2>/dev/null || { tail -n 20 "$work/replica.log"; exit 1; }
    sleep 0.05
done
end=$(date +%s.%N)
replica_first=$(python3 -c "print(f'{$end - $start:.3f}')")
mkdir "$work/bodies"
for i in $(seq -w 1 "$PUBLISHES"); do
    "$release/examples/demo_request" bench-replica-latency "2.0.$((10#$i))" >"$work/bodies/$i.json"
done
read -r p50 p99 worst mean < <(python3 scripts/bench/replica_latency.py "$api" "$rapi" "$token" "$work/bodies")

echo
echo "registry-server --mirror-of (release build, SQLite origin and SQLite replica on loopback, --mirror-jobs $JOBS,"
echo "  --mirror-interval-ms $REPLICA_INTERVAL, every check on, $(nproc) cores shared by origin and replica)"
printf '  catch up from empty:             %s s for %s log entries, %s entries/s (CLI mirror target >= 500/s)\n' \
    "$replica_first" "$entries" "$(python3 -c "print(f'{$entries / $replica_first:.0f}')")"
printf '  publish -> visible on replica:   p50 %s ms, p99 %s ms, max %s ms, mean %s ms (%s publishes, one at a time)\n' \
    "$p50" "$p99" "$worst" "$mean" "$PUBLISHES"
