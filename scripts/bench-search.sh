#!/usr/bin/env bash
# Benchmarks search (the UI's `?q=` and the API's paged `/publications?q=`) at N stored versions on Postgres and on
# SQLite, with wrk on loopback, and prints one table per store: requests/s and p99 per query, for this tree's server
# and, when BENCH_BEFORE_REV names a commit (e.g. the one before search had an index), for that commit's server on the
# same data, so the figures compare before and after.
#
# Data: the demo package copied N times with SQL (ten versions per id, ids `bench-<n>`), search text filled as the
# server fills it. Queries: a rare id (`bench-4242`: one id), a word in every id's content (`work_item`), a word in
# none, and a two-letter term (an id prefix).
# Needs: PostgreSQL server binaries, wrk, sqlite3 and python3.
# Environment: BENCH_VERSIONS (default 50000), BENCH_DURATION (default 5s), BENCH_STORES (default "postgres sqlite"),
# BENCH_BEFORE_REV (a git revision to compare with; built here with the same target dir).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh
source scripts/lib/server.sh

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
VERSIONS=${BENCH_VERSIONS:-50000}
DURATION=${BENCH_DURATION:-5s}
STORES=${BENCH_STORES:-postgres sqlite}
work=$(mktemp -d)
cleanup() { stop_server; pg_stop 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

server_builds "$work"

token=bench-token-0123456789abcdef0123456789abcdef
sql() { # store (reads SQL on stdin)
    if [ "$1" = postgres ]; then pg_psql -q >/dev/null; else
        { echo "PRAGMA busy_timeout = 10000;"; cat; } | sqlite3 "$work/registry.db" >/dev/null; fi
}
scalar() { # store, query
    if [ "$1" = postgres ]; then pg_psql -tA -c "$2"; else sqlite3 "$work/registry.db" "$2"; fi
}

# Copies the demo version N times (ten versions per id), then fills the per-id search text where the schema has it.
seed() { # store
    local store=$1
    local series="WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $VERSIONS)"
    local id="'bench-' || (s.n / 10)" version="'2.0.' || s.n" demo="WHERE package_id = 'work-item-fronting-demo'"
    local cols="package_id, package_version, project_ref, product_revision_ref, developer_revision_ref, \
        contract_signature, publisher_id, publisher_type, schema_version, definition_digest, manifest_digest, \
        lock_digest, package_execution_signature, lineage, published_at, lifecycle_status, lifecycle_reason, \
        receipt_id, registry_signature, receipt_issued_at, version_key, card_name, card_description, \
        card_capabilities, search_ident, search_content"
    local copied="$id, $version, project_ref, product_revision_ref, developer_revision_ref, contract_signature, \
        publisher_id, publisher_type, schema_version, definition_digest, manifest_digest, lock_digest, \
        package_execution_signature, lineage, published_at, lifecycle_status, lifecycle_reason, \
        receipt_id || '-' || s.n, registry_signature, receipt_issued_at, $version, card_name, card_description, \
        card_capabilities, replace(search_ident, 'work-item-fronting-demo', $id), search_content"
    local docs="readme, source_links, implementation_materials, manifest, service_definition, recommended_lock"
    {
        echo "INSERT INTO packages ($cols, seq) $series SELECT $copied, (SELECT MAX(seq) FROM packages) + s.n
              FROM packages, s $demo;
              INSERT INTO package_documents (package_id, package_version, $docs)
              $series SELECT $id, $version, $docs FROM package_documents, s $demo;
              INSERT INTO package_downloads (package_id, package_version, download_count)
              $series SELECT $id, $version, s.n % 97 FROM s;
              INSERT INTO package_ids (package_id, version_count, downloads, latest_published_at)
              SELECT p.package_id, COUNT(*), SUM(d.download_count), MAX(p.published_at) FROM packages p
              JOIN package_downloads d ON d.package_id = p.package_id AND d.package_version = p.package_version
              WHERE p.package_id LIKE 'bench-%' GROUP BY p.package_id;"
        [ "$store" = postgres ] && echo "SELECT setval('package_seq', (SELECT MAX(seq) FROM packages) + 1, false);"
        if has_search_text "$store"; then
            echo "UPDATE package_ids SET search_text = package_id || ' ' ||
                  COALESCE((SELECT v.search_ident FROM packages v WHERE v.package_id = package_ids.package_id
                            ORDER BY v.seq DESC LIMIT 1), '') || ' ' ||
                  COALESCE((SELECT v.search_content FROM packages v WHERE v.package_id = package_ids.package_id
                            AND v.lifecycle_status <> 'takedown' ORDER BY v.seq DESC LIMIT 1), '')
                  WHERE package_id LIKE 'bench-%';"
            [ "$store" = postgres ] && echo "ANALYZE;"
        fi
    } | sql "$store"
}
has_search_text() { # store
    if [ "$1" = postgres ]; then
        [ "$(scalar "$1" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'package_ids' AND column_name = 'search_text'")" != 0 ]
    else
        [ "$(scalar "$1" "SELECT count(*) FROM pragma_table_info('package_ids') WHERE name = 'search_text'")" != 0 ]
    fi
}

rows=()
run() { # label, url
    local out rps p99 non2xx
    out=$(wrk -t2 -c8 -d"$DURATION" --timeout 30s --latency "$2")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    rows+=("$(printf '%-58s %12s %10s %8s' "$1" "$rps" "$p99" "${non2xx:-0}")")
}

bench() { # store, label:rev:binary
    local store=$1 label rev bin
    IFS=: read -r label rev bin <<<"$2"
    rm -f "$work"/registry.db*
    local url
    if [ "$store" = postgres ]; then pg_start; url=$PG_URL; else url="sqlite://$work/registry.db"; fi
    local port base
    port=$(free_port)
    base="http://127.0.0.1:$port"
    ANIP_REGISTRY_DATABASE_URL=$url ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_PUBLISH_TOKEN=$token \
        ANIP_REGISTRY_SEED_DEMO=true "$bin" >"$work/server.log" 2>&1 &
    server_pid=$!
    wait_answering "$base/registry-api/v1/readyz" "$work/server.log"
    seed "$store"
    local stored
    stored=$(scalar "$store" "SELECT count(*) FROM packages")
    for q in bench-4242 work_item nothing-matches be; do
        run "$label $rev UI  /registry/packages?q=$q" "$base/registry/packages?q=$q"
    done
    if curl -fsS "$base/registry-api/v1" >/dev/null 2>&1; then
        for q in bench-4242 work_item nothing-matches; do
            run "$label $rev API /publications?limit=100&q=$q" "$base/registry-api/v1/publications?limit=100&q=$q"
        done
    fi
    stop_server
    [ "$store" = postgres ] && pg_stop
    echo "  ($label: $stored versions stored)" >&2
}

echo "search benchmark: $VERSIONS seeded versions (demo copies, ten per id); wrk -t2 -c8 -d$DURATION on loopback,"
echo "$(nproc) cores shared by wrk, the server and the database; Postgres with its default durability"
for store in $STORES; do
    rows=()
    for b in "${bins[@]}"; do bench "$store" "$b"; done
    echo
    echo "== $store =="
    printf '%-58s %12s %10s %8s\n' "query" "requests/s" "p99" "non-2xx"
    printf '%s\n' "${rows[@]}"
done
