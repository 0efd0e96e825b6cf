#!/usr/bin/env bash
# Times the `registry` command line: `verify --all` against a registry holding 1,000 published versions (a
# throwaway Postgres with its default durability and the release server with its default logging), and
# `verify --bundle` of the largest fixture including process start. Prints every setting that differs from a
# production run with the figures.
#
#   scripts/bench-cli.sh                       # BENCH_VERSIONS=1000, verify --all with its default --jobs
#   BENCH_JOBS="1 4 16" scripts/bench-cli.sh   # one verify --all run per --jobs value
#   BENCH_BEFORE=/path/to/registry scripts/bench-cli.sh  # also time another build (an older commit's), same data
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh
VERSIONS=${BENCH_VERSIONS:-1000}
JOBS=${BENCH_JOBS:-default}

cargo build --release --locked -q -p registry-server -p registry-cli
cargo build --release --locked -q -p registry-server --example demo_request
release="$(target_dir)/release"
registry=$release/registry
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
url="http://127.0.0.1:$port"
ANIP_REGISTRY_DATABASE_URL=$PG_URL ANIP_REGISTRY_ADDR=127.0.0.1:$port ANIP_REGISTRY_PUBLISH_TOKEN=$token \
    "$release/registry-server" >"$work/server.log" 2>&1 &
server_pid=$!
until curl -fsS "$url/registry-api/v1/readyz" >/dev/null 2>&1; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.01
done

"$release/examples/demo_request" bench-demo 9.9.9-bench >"$work/demo.json"
python3 - "$work/demo.json" "$port" "$token" "$VERSIONS" <<'PY'
import http.client, sys
body = open(sys.argv[1]).read()
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]))
for i in range(int(sys.argv[4])):
    connection.request("POST", "/registry-api/v1/publications", body.replace("9.9.9-bench", f"1.0.{i}"),
                       {"Authorization": f"Bearer {sys.argv[3]}", "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    assert response.status == 201, response.status
PY

"$registry" keys --registry-url "$url" --save "$work/keys.txt" >/dev/null 2>&1
rows=()
time_all() { # label, binary, extra args...
    local label=$1 binary=$2
    shift 2
    local start end verified
    start=$(date +%s.%N)
    "$binary" verify --all --registry-url "$url" --trusted-keys "$work/keys.txt" "$@" \
        >"$work/all.txt" 2>"$work/all.err" || { cat "$work/all.err" >&2; exit 1; }
    end=$(date +%s.%N)
    verified=$(grep -c ' verified ' "$work/all.txt" || true)
    [ "$verified" = "$VERSIONS" ] || { echo "$label: only $verified of $VERSIONS verified" >&2; exit 1; }
    rows+=("$(printf '%-72s %s' "$label, $VERSIONS versions (all verified)" \
        "$(python3 -c "print(f'{$end - $start:.2f}')") s")")
}
if [ -n "${BENCH_BEFORE:-}" ]; then
    time_all "verify --all, before: $BENCH_BEFORE" "$BENCH_BEFORE"
fi
for jobs in $JOBS; do
    if [ "$jobs" = default ]; then
        time_all "verify --all (default --jobs)" "$registry"
    else
        time_all "verify --all --jobs $jobs" "$registry" --jobs "$jobs"
    fi
done

largest=tests/fixtures/anip/packages/gtm-pipeline-q2-review-0.4.5.anip-package.json
best=999999
for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    "$registry" verify --bundle "$largest" --allow-legacy >/dev/null 2>&1 || true
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    [ "$ms" -lt "$best" ] && best=$ms
done

echo
echo "registry CLI benchmark: $registry (release build), $(nproc) cores shared with the server and Postgres"
echo "settings: $(pg_settings); server logging at its default (RUST_LOG unset: info, JSON lines)"
printf '%s\n' "${rows[@]}"
printf '%-72s %s\n' "verify --bundle $(basename "$largest") ($(stat -c %s "$largest") bytes), best of 5" "${best} ms"
