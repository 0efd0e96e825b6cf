#!/usr/bin/env bash
# Benchmarks the release server on a throwaway Postgres with wrk on loopback and prints a table.
# Needs: PostgreSQL server binaries and wrk (apt-get install postgresql wrk). Takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
DURATION=${BENCH_DURATION:-8s}
cargo build --release -q -p registry-server
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT

pg_start
port=$(free_port)
token=bench-token-0123456789abcdef0123456789abcdef
api="http://127.0.0.1:$port/registry-api/v1"
started=$(date +%s.%N)
ANIP_REGISTRY_DATABASE_URL=$PG_URL ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_PUBLISH_TOKEN=$token \
    ANIP_REGISTRY_SEED_DEMO=true "$(target_dir)/release/registry-server" >"$work/server.log" 2>&1 &
server_pid=$!
until curl -fsS "$api/readyz" >/dev/null 2>&1; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.01
done
ready=$(date +%s.%N)
cold_ms=$(python3 -c "print(round(($ready - $started) * 1000))")

demo="$api/packages/work-item-fronting-demo/0.1.0"
rows=()
run() { # name, connections, url, extra wrk args...
    local name=$1 conns=$2 url=$3
    shift 3
    local out
    out=$(wrk -t2 -c"$conns" -d"$DURATION" --latency "$@" "$url")
    local rps p99 non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    rows+=("$(printf '%-46s %5s %12s %10s %8s' "$name" "$conns" "$rps" "$p99" "${non2xx:-0}")")
    echo "$out" >>"$work/wrk.log"
    LAST_REQUESTS=$(awk '/requests in/ {print $1}' <<<"$out")
}

run "GET /packages/{id}/{v} (demo)" 64 "$demo"
run "GET /packages/{id}/{v}/receipt" 64 "$demo/receipt"
run "GET /keys" 64 "$api/keys"
before=$(curl -fsS "$demo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["download_count"])')
run "GET /packages/{id}/{v}/download" 64 "$demo/download"
download_requests=$LAST_REQUESTS
after=$(curl -fsS "$demo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["download_count"])')
counted=$((after - before))

python3 - "$work/demo.json" <<'PY'
import json, subprocess, sys
body = subprocess.run(["cargo", "run", "-q", "--release", "-p", "registry-server", "--example", "demo_request"],
                      capture_output=True, text=True, check=True).stdout
open(sys.argv[1], "w").write(body)
PY
BENCH_BODY="$work/demo.json" BENCH_TOKEN=$token run "POST /publications (demo, new versions)" 16 "$api/publications" -s scripts/bench/publish.lua
python3 - tests/fixtures/anip/packages/gtm-pipeline-q2-review-0.4.4-publish-request.json "$work/large.json" <<'PY'
import json, sys
request = json.load(open(sys.argv[1]))
request["package_version"] = "9.9.9-bench"
json.dump(request, open(sys.argv[2], "w"))
PY
BENCH_BODY="$work/large.json" BENCH_TOKEN=$token run "POST /publications (largest fixture)" 4 "$api/publications" -s scripts/bench/publish.lua

# 10,000 stored versions: copy the demo row under new versions, then page through the listing.
pg_psql -c "INSERT INTO packages SELECT package_id, '2.0.' || n, project_ref, product_revision_ref,
    developer_revision_ref, contract_signature, publisher_id, publisher_type, schema_version, definition_digest,
    manifest_digest, lock_digest, package_execution_signature, lineage, readme, source_links,
    implementation_materials, manifest, service_definition, recommended_lock, published_at, n % 97, lifecycle_status,
    lifecycle_reason, replacement_package_id, replacement_package_version, lifecycle_updated_at,
    lifecycle_updated_by, receipt_id || '-' || n, registry_signature, receipt_issued_at
    FROM packages, generate_series(1, 10000) AS n WHERE package_id = 'work-item-fronting-demo' AND package_version = '0.1.0'"
stored=$(pg_psql -tA -c "SELECT count(*) FROM packages")
run "GET /publications?limit=100 ($stored stored)" 64 "$api/publications?limit=100"
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")

echo
echo "registry-server benchmark: release build, Postgres on loopback, wrk -t2 -d$DURATION, $(nproc) cores shared by all"
printf '%-46s %5s %12s %10s %8s\n' "endpoint" "conns" "requests/s" "p99" "non-2xx"
printf '%s\n' "${rows[@]}"
echo
echo "downloads counted during the /download run: $counted; requests wrk completed: $download_requests"
echo "cold start to ready (/readyz 200, migrations + demo seed): ${cold_ms} ms"
echo "server peak RSS (VmHWM) after the load: $((rss_kb / 1024)) MB"
