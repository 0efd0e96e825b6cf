#!/usr/bin/env bash
# Benchmarks the release server with wrk on loopback, on Postgres (its default durability: fsync and
# synchronous_commit on) and on the embedded SQLite store, with the server's default logging, and prints a table per
# store with every setting that differs from a production run.
#
# The ceiling: an axum hello-world serving 2 KB (registry-server/examples/ceiling.rs, same build profile). The cheap
# reads (/keys, receipt) take turns with it BENCH_ROUNDS times per store and are reported, as medians, as a fraction
# of what this machine served at best in the same minute.
# Reads: the small demo package and the 310 KB showcase fixture (record, receipt, /download against the record read),
# publishes, then N stored versions (seeded with SQL) for the paged and the unpaged listing and the server's memory.
# Needs: PostgreSQL server binaries and wrk (apt-get install postgresql wrk), sqlite3 and python3.
# Environment: BENCH_DURATION (default 5s), BENCH_ROUNDS (default 3: rounds of ceiling, /keys, receipt), BENCH_VERSIONS (default 10000), BENCH_STORES (default "postgres sqlite"),
# BENCH_ONLY=listing (seed and time the listings and UI pages only, skipping the ceiling, reads and publishes),
# BENCH_SERVER_BIN (default target/release/registry-server, built here; point it at another build to compare),
# BENCH_CEILING_BIN and BENCH_DEMO_REQUEST_BIN (the examples `ceiling` and `demo_request`, built here by default).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh
source scripts/lib/server.sh

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
DURATION=${BENCH_DURATION:-5s}
VERSIONS=${BENCH_VERSIONS:-10000}
STORES=${BENCH_STORES:-postgres sqlite}
ROUNDS=${BENCH_ROUNDS:-3}
ONLY=${BENCH_ONLY:-}
case "$ONLY" in ""|listing) ;; *) echo "BENCH_ONLY must be empty or listing" >&2; exit 2 ;; esac
BIN=${BENCH_SERVER_BIN:-}
if [ -z "$BIN" ]; then
    cargo build --release -q -p registry-server
    BIN=$(target_dir)/release/registry-server
fi
CEILING_BIN=${BENCH_CEILING_BIN:-}
if [ -z "$CEILING_BIN" ] && [ -z "$ONLY" ]; then
    cargo build --release -q -p registry-server --example ceiling
    CEILING_BIN=$(target_dir)/release/examples/ceiling
fi
work=$(mktemp -d)
ceiling_pid=""
cleanup() { stop_server; [ -z "$ceiling_pid" ] || kill "$ceiling_pid" 2>/dev/null || true; pg_stop; rm -rf "$work"; }
trap cleanup EXIT

token=bench-token-0123456789abcdef0123456789abcdef
showcase=tests/fixtures/anip/packages/github-fronting-showcase-0.2.0-publish-request.json
"$BIN" --version >/dev/null 2>&1 || true
if [ -n "${BENCH_DEMO_REQUEST_BIN:-}" ]; then "$BENCH_DEMO_REQUEST_BIN" >"$work/demo.json"; else
    cargo run -q --release -p registry-server --example demo_request >"$work/demo.json"; fi

rows=()
measure() { # connections, url, extra wrk args...: sets LAST_RPS, LAST_P99, LAST_NON2XX, LAST_REQUESTS
    local conns=$1 url=$2 out
    shift 2
    out=$(wrk -t2 -c"$conns" -d"$DURATION" --timeout 30s --latency "$@" "$url")
    echo "$out" >>"$work/wrk.log"
    LAST_RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    LAST_P99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    LAST_NON2XX=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    LAST_REQUESTS=$(awk '/requests in/ {print $1}' <<<"$out")
}
row() { # name, connections, requests/s, p99, non-2xx
    rows+=("$(printf '%-50s %5s %12s %10s %8s' "$1" "$2" "$3" "$4" "${5:-0}")")
}
run() { # name, connections, url, extra wrk args...
    local name=$1
    shift
    measure "$@"
    row "$name" "$1" "$LAST_RPS" "$LAST_P99" "$LAST_NON2XX"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# The cheap reads against the hello-world ceiling: the three alternate, ROUNDS times, so that the host's drift (the
# ceiling alone has measured 58,000 to 119,000/s on this machine within an hour) hits them alike; medians.
cheap_reads() { # keys url, receipt url
    local round ceilings=() keys_runs=() receipt_runs=()
    for round in $(seq "$ROUNDS"); do
        measure 64 "$CEILING_URL"; ceilings+=("$LAST_RPS")
        measure 64 "$1"; keys_runs+=("$LAST_RPS")
        measure 64 "$2"; receipt_runs+=("$LAST_RPS")
    done
    CEILING_RPS=$(median "${ceilings[@]}") keys=$(median "${keys_runs[@]}") receipt=$(median "${receipt_runs[@]}")
    row "GET / (hello-world ceiling), median of $ROUNDS" 64 "$CEILING_RPS" "-"
    row "GET /keys, median of $ROUNDS" 64 "$keys" "-"
    row "GET …/receipt (demo), median of $ROUNDS" 64 "$receipt" "-"
}
count_of() { curl -fsS "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["download_count"])'; }
rss_mb() { awk -v k="$1" '$1 == k":" {print int($2 / 1024)}' "/proc/$server_pid/status"; }

# Copies the demo version N times (ten versions per id) in the layout the server's schema has.
seed_sql() { # store
    local store=$1 split
    split=$(if [ "$store" = postgres ]; then
        pg_psql -tA -c "SELECT count(*) FROM information_schema.tables WHERE table_name = 'package_documents'"
    else
        sqlite3 "$work/registry.db" "SELECT count(*) FROM sqlite_master WHERE name = 'package_documents'"
    fi)
    local keyed # 1 when the schema has the SemVer precedence key (migration 0003)
    keyed=$(if [ "$store" = postgres ]; then
        pg_psql -tA -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'packages' AND column_name = 'version_key'"
    else
        sqlite3 "$work/registry.db" "SELECT count(*) FROM pragma_table_info('packages') WHERE name = 'version_key'"
    fi)
    local series="WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $VERSIONS)"
    local id="'bench-' || (s.n / 10)" version="'2.0.' || s.n" demo="WHERE package_id = 'work-item-fronting-demo'"
    local head="package_id, package_version, project_ref, product_revision_ref, developer_revision_ref, \
        contract_signature, publisher_id, publisher_type, schema_version, definition_digest, manifest_digest, \
        lock_digest, package_execution_signature, lineage, published_at, lifecycle_status, lifecycle_reason, \
        receipt_id, registry_signature, receipt_issued_at"
    local copied="$id, $version, project_ref, product_revision_ref, developer_revision_ref, contract_signature, \
        publisher_id, publisher_type, schema_version, definition_digest, manifest_digest, lock_digest, \
        package_execution_signature, lineage, published_at, lifecycle_status, lifecycle_reason, \
        receipt_id || '-' || s.n, registry_signature, receipt_issued_at"
    if [ "$keyed" != 0 ]; then
        head="$head, version_key"
        copied="$copied, $version"
    fi
    local docs="readme, source_links, implementation_materials, manifest, service_definition, recommended_lock"
    if [ "$split" = 0 ]; then
        echo "INSERT INTO packages ($head, $docs, download_count) $series SELECT $copied, $docs, s.n % 97 FROM packages, s $demo;"
        return
    fi
    echo "INSERT INTO packages ($head, card_name, card_description, card_capabilities, search_ident, search_content, seq)
          $series SELECT $copied, card_name, card_description, card_capabilities, search_ident, search_content,
          (SELECT MAX(seq) FROM packages) + s.n FROM packages, s $demo;
          INSERT INTO package_documents (package_id, package_version, $docs)
          $series SELECT $id, $version, $docs FROM package_documents, s $demo;
          INSERT INTO package_downloads (package_id, package_version, download_count)
          $series SELECT $id, $version, s.n % 97 FROM s;
          INSERT INTO package_ids (package_id, version_count, downloads, latest_published_at)
          SELECT p.package_id, COUNT(*), SUM(d.download_count), MAX(p.published_at) FROM packages p
          JOIN package_downloads d ON d.package_id = p.package_id AND d.package_version = p.package_version
          WHERE p.package_id LIKE 'bench-%' GROUP BY p.package_id;"
    [ "$store" = postgres ] && echo "SELECT setval('package_seq', (SELECT MAX(seq) FROM packages) + 1, false);"
    return 0
}

bench_store() { # postgres | sqlite
    local store=$1 url settings
    rows=()
    if [ "$store" = postgres ]; then
        pg_start
        url=$PG_URL
        settings="fsync=$(pg_psql -tA -c 'SHOW fsync'), synchronous_commit=$(pg_psql -tA -c 'SHOW synchronous_commit')"
    else
        url="sqlite://$work/registry.db"
        settings="file on $(df --output=fstype "$work" | tail -1)"
    fi
    local port api
    port=$(free_port)
    api="http://127.0.0.1:$port/registry-api/v1"
    ANIP_REGISTRY_DATABASE_URL=$url ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_PUBLISH_TOKEN=$token \
        ANIP_REGISTRY_SEED_DEMO=true "$BIN" >"$work/server-$store.log" 2>&1 &
    server_pid=$!
    wait_answering "$api/readyz" "$work/server-$store.log"
    curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data-binary @"$showcase" "$api/publications" >/dev/null
    local demo="$api/packages/work-item-fronting-demo/0.1.0" big
    big="$api/packages/$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["package_id"] + "/" + r["package_version"])' "$showcase")"

    local keys receipt read_small dl_small sent_small counted_small read_big dl_big sent_big counted_big
    if [ -z "$ONLY" ]; then
    cheap_reads "$api/keys" "$demo/receipt"
    run "GET /packages/{id}/{v} record (demo)" 16 "$demo"; read_small=$LAST_RPS
    local before after
    before=$(count_of "$demo")
    run "GET …/download (demo)" 16 "$demo/download"; dl_small=$LAST_RPS sent_small=$LAST_REQUESTS
    after=$(count_of "$demo")
    counted_small=$((after - before))
    run "GET /packages/{id}/{v} record (310 KB showcase)" 16 "$big"; read_big=$LAST_RPS
    before=$(count_of "$big")
    run "GET …/download (310 KB showcase)" 16 "$big/download"; dl_big=$LAST_RPS sent_big=$LAST_REQUESTS
    after=$(count_of "$big")
    counted_big=$((after - before))
    BENCH_BODY="$work/demo.json" BENCH_TOKEN=$token run "POST /publications (demo, new versions)" 16 \
        "$api/publications" -s scripts/bench/publish.lua
    fi
    if [ "$store" = postgres ]; then seed_sql postgres | pg_psql >/dev/null; else
        { echo "PRAGMA busy_timeout = 10000;"; seed_sql sqlite; } | sqlite3 "$work/registry.db" >/dev/null; fi
    local stored
    stored=$(curl -fsS "$api/publications?limit=1" >/dev/null; if [ "$store" = postgres ]; then
        pg_psql -tA -c "SELECT count(*) FROM packages"; else sqlite3 "$work/registry.db" "SELECT count(*) FROM packages"; fi)
    run "GET /publications?limit=100 ($stored versions)" 16 "$api/publications?limit=100"
    run "GET /publications unpaged ($stored versions)" 2 "$api/publications"
    run "GET /registry/packages (UI list, $stored versions)" 16 "http://127.0.0.1:$port/registry/packages"
    run "GET /registry/packages/{id}/{v} (UI, showcase)" 16 "http://127.0.0.1:$port/registry/packages/${big#"$api/packages/"}"
    local peak now
    peak=$(rss_mb VmHWM); now=$(rss_mb VmRSS)
    stop_server
    [ "$store" = postgres ] && pg_stop

    echo
    echo "== $store ($settings) =="
    printf '%-50s %5s %12s %10s %8s\n' "endpoint" "conns" "requests/s" "p99" "non-2xx"
    printf '%s\n' "${rows[@]}"
    if [ -z "$ONLY" ]; then
    python3 - "$dl_small" "$read_small" "$dl_big" "$read_big" "$keys" "$receipt" "$CEILING_RPS" <<'PY'
import sys
ds, rs, db, rb, keys, receipt, ceiling = map(float, sys.argv[1:])
print(f"/download vs record read: demo {ds / rs:.0%}, showcase {db / rb:.0%}")
print(f"vs the hello-world ceiling ({ceiling:.0f}/s): /keys {keys / ceiling:.0%}, …/receipt {receipt / ceiling:.0%}")
PY
    echo "downloads counted during the /download runs: demo $counted_small of $sent_small requests completed," \
        "showcase $counted_big of $sent_big (wrk may stop with requests in flight)"
    fi
    echo "server RSS after the listing, read and UI runs: ${now} MB (peak ${peak} MB)"
}

echo "registry-server benchmark: $BIN"
echo "wrk -t2 -d$DURATION on loopback, $(nproc) cores shared by wrk, the server and the database; logging at the server's"
echo "default level (RUST_LOG ${RUST_LOG:-unset}); $VERSIONS seeded versions (SQL copies of the demo, ten per id);"
echo "ANIP_REGISTRY_* limits at their defaults; dev signing mode with the development key (not a production setting)"
# The ceiling runs beside the registry (idle but for its turns in cheap_reads), on the same build profile.
if [ -z "$ONLY" ]; then
    ceiling_port=$(free_port)
    "$CEILING_BIN" "$ceiling_port" &
    ceiling_pid=$!
    CEILING_URL="http://127.0.0.1:$ceiling_port/"
    until curl -fsS "$CEILING_URL" >/dev/null 2>&1; do
        kill -0 "$ceiling_pid" 2>/dev/null || { echo "the ceiling server exited" >&2; exit 1; }
        sleep 0.02
    done
fi
for store in $STORES; do bench_store "$store"; done
