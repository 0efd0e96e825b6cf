#!/usr/bin/env bash
# Benchmarks the unpaged template listing (`GET /templates`, every version in one streamed answer) at N stored
# template versions on Postgres and on SQLite, with wrk on loopback, and prints per store and server build: answers/s,
# rows/s, the answer's size and p99; for Postgres also the listing query's own execution time in the database
# (EXPLAIN ANALYZE) and with its rows sent to psql (COPY), so what the server adds per row shows. When
# BENCH_BEFORE_REV names a commit, that commit's server is measured on the same data too, and the answers of both
# builds are compared byte for byte.
#
# Data: the linear starter template (a 112 KB publish request, its manifest ~2 KB) published once, then copied N times
# with SQL (ten versions per id, ids `bench-<n>`, download counts n % 97).
# Needs: PostgreSQL server binaries, wrk, sqlite3, curl and python3.
# The builds take turns, BENCH_ROUNDS times each (the machine's other load moves single runs by ±20%): compare the
# best and the median of each build's rounds.
# Environment: BENCH_VERSIONS (default 10000), BENCH_DURATION (default 5s), BENCH_ROUNDS (default 3), BENCH_STORES
# (default "postgres sqlite"), BENCH_BEFORE_REV (a git revision to compare with; built here with the same target dir).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh
source scripts/lib/server.sh

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
VERSIONS=${BENCH_VERSIONS:-10000}
DURATION=${BENCH_DURATION:-5s}
ROUNDS=${BENCH_ROUNDS:-3}
STORES=${BENCH_STORES:-postgres sqlite}
work=$(mktemp -d)
cleanup() { stop_server; pg_stop 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

server_builds "$work"

token=bench-token-0123456789abcdef0123456789abcdef
template=tests/fixtures/anip/templates/linear-fronting-starter-0.1.0.anip-template.json
sql() { # store (reads SQL on stdin)
    if [ "$1" = postgres ]; then pg_psql -q >/dev/null; else
        { echo "PRAGMA busy_timeout = 10000;"; cat; } | sqlite3 "$work/registry.db" >/dev/null; fi
}

# Copies the published template N times (ten versions per id).
seed() { # store
    local store=$1
    local series="WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $VERSIONS)"
    local id="'bench-' || (s.n / 10)" version="'2.0.' || s.n" one="WHERE template_id = 'linear-fronting-starter'"
    local cols="template_id, template_version, template_kind, project_type, anip_spec_version, domain, industry, \
        systems, publisher_id, publisher_type, manifest_digest, template_digest, package_digest, manifest, \
        published_at, receipt_id, registry_signature, receipt_issued_at, card_name, card_description, \
        card_capabilities, search_ident, search_content, verification, version_key"
    local copied="$id, $version, template_kind, project_type, anip_spec_version, domain, industry, systems, \
        publisher_id, publisher_type, manifest_digest, template_digest, package_digest, manifest, published_at, \
        receipt_id || '-' || s.n, registry_signature, receipt_issued_at, card_name, card_description, \
        card_capabilities, search_ident, search_content, verification, $version"
    {
        echo "INSERT INTO templates ($cols, seq) $series SELECT $copied, (SELECT MAX(seq) FROM templates) + s.n
              FROM templates, s $one;
              INSERT INTO template_documents (template_id, template_version, template, package)
              $series SELECT $id, $version, template, package FROM template_documents, s $one;
              INSERT INTO template_downloads (template_id, template_version, download_count)
              $series SELECT $id, $version, s.n % 97 FROM s;"
        [ "$store" = postgres ] && echo "SELECT setval('template_seq', (SELECT MAX(seq) FROM templates) + 1, false);"
        true
    } | sql "$store"
}

# The row-by-row listing query as the Postgres store runs it (store/sql.rs `template_listing_sql`).
listing_sql="SELECT t.template_id, t.template_version, t.template_kind, t.project_type, t.anip_spec_version, t.domain,
    t.industry, t.systems, t.publisher_id, t.publisher_type, t.manifest_digest, t.template_digest, t.package_digest,
    t.manifest, t.published_at, t.receipt_id, t.registry_signature, t.receipt_issued_at, t.card_name,
    t.card_description, t.card_capabilities, t.search_ident, t.search_content, t.verification, t.seq,
    COALESCE(d.download_count, 0) AS download_count, op.publisher_id AS owner_id, op.publisher_type AS owner_type,
    op.display_name AS owner_name, op.website_url AS owner_website, op.status AS owner_status,
    op.trust_level AS owner_trust, 'null' AS template, 'null' AS package FROM templates t
    LEFT JOIN template_downloads d ON d.template_id = t.template_id AND d.template_version = t.template_version
    LEFT JOIN artifact_ownership o ON o.artifact_kind = 'template'
        AND o.folded_id = replace(replace(t.template_id, '_', '-'), '.', '-') AND o.status = 'active'
    LEFT JOIN publishers op ON op.publisher_id = o.publisher_id
    ORDER BY download_count DESC, t.published_at DESC, t.template_id ASC, t.template_version DESC"

serve() { # bin, store url → sets api
    local port
    port=$(free_port)
    api="http://127.0.0.1:$port/registry-api/v1"
    ANIP_REGISTRY_DATABASE_URL=$2 ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_PUBLISH_TOKEN=$token \
        ANIP_REGISTRY_SEED_DEMO=true "$1" >>"$work/server.log" 2>&1 &
    server_pid=$!
    wait_answering "$api/readyz" "$work/server.log"
}

echo "unpaged GET /templates: wrk -t1 -c1 -d$DURATION on loopback, $(nproc) cores shared by wrk, the server and the"
echo "database; $VERSIONS seeded template versions (+1 published)"
for store in $STORES; do
    if [ "$store" = postgres ]; then pg_start; url=$PG_URL; else rm -f "$work"/registry.db*; url="sqlite://$work/registry.db"; fi
    seeded=""
    echo
    echo "== $store =="
    printf '%-22s %5s %10s %10s %10s %10s\n' "server" "round" "answers/s" "rows/s" "MB/answer" "p99"
    for round in $(seq "$ROUNDS"); do for entry in "${bins[@]}"; do
        label=${entry%%:*} rest=${entry#*:}
        name=${rest%%:*} bin=${rest#*:}
        serve "$bin" "$url"
        if [ -z "$seeded" ]; then
            curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
                --data-binary @"$template" "$api/templates" >/dev/null
            seed "$store"
            seeded=1
        fi
        curl -fsS "$api/templates" -o "$work/answer-$label.json"
        rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$work/answer-$label.json")
        bytes=$(stat -c %s "$work/answer-$label.json")
        out=$(wrk -t1 -c1 -d"$DURATION" --timeout 60s --latency "$api/templates")
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        printf '%-22s %5s %10s %10.0f %10.2f %10s\n' "$label $name" "$round" "$rps" \
            "$(python3 -c "print($rps * $rows)")" "$(python3 -c "print($bytes / 1e6)")" "$p99"
        echo "$label $rps" >>"$work/rps-$store"
        stop_server
    done; done
    python3 - "$work/rps-$store" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, rps = line.split()
    runs[label].append(float(rps))
print("answers/s per build over its rounds: " + "; ".join(
    f"{label} best {max(r):.2f}, median {statistics.median(r):.2f}" for label, r in runs.items()))
PY
    if [ -f "$work/answer-before.json" ]; then
        if cmp -s "$work/answer-before.json" "$work/answer-after.json"; then echo "answers: identical bytes ($rows rows)"
        else echo "answers: DIFFER between the builds"; fi
        rm -f "$work"/answer-*.json
    fi
    if [ "$store" = postgres ]; then
        ms=$(pg_psql -tA -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $listing_sql" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Execution Time"])')
        echo "the listing query alone in Postgres (EXPLAIN ANALYZE, no transfer): ${ms} ms"
        ms=$(python3 - "$PG_BIN/psql" "$PG_PORT" "$listing_sql" <<'PY'
import subprocess, sys, time
psql, port, query = sys.argv[1:]
args = [psql, "-q", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "anip_registry",
        "-c", f"COPY ({query}) TO STDOUT"]
best = None
for _ in range(5):
    began = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
    took = (time.perf_counter() - began) * 1000
    best = took if best is None else min(best, took)
print(f"{best:.0f}")
PY
)
        echo "its rows sent to psql (COPY to /dev/null, best of 5, incl. psql's start): ${ms} ms"
        pg_stop
    fi
done
