#!/usr/bin/env bash
# Times the `registry` command line: `verify --all` against a registry holding 1,000 published versions of the
# 9 KB demo package, then again after BENCH_SHOWCASE (200) versions of a 310 KB showcase package are added (a
# throwaway Postgres with its default durability and the release server with its default logging; medians of
# BENCH_RUNS=3 runs), and `verify --bundle` of the largest fixture including process start. Prints every setting
# that differs from a production run with the figures.
#
#   scripts/bench-cli.sh                       # BENCH_VERSIONS=1000, verify --all with its default --jobs
#   BENCH_JOBS="1 4 16" scripts/bench-cli.sh   # also one row per --jobs value
#   BENCH_BEFORE=/path/to/registry scripts/bench-cli.sh  # also time another build (an older commit's), same data
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/target.sh
VERSIONS=${BENCH_VERSIONS:-1000}
SHOWCASE=${BENCH_SHOWCASE:-200}
RUNS=${BENCH_RUNS:-3}
JOBS=${BENCH_JOBS:-}

cargo build --release --locked -q -p registry-server -p registry-cli --bins --example demo_request
release="$(target_dir)/release"
registry=$release/registry
work=$(mktemp -d)
# The registries checked here are throwaway ones: the log checkpoints `registry` keeps per origin go to this run's own
# state directory, so the user's keeps none of them (each new log has its own origin: nothing would collide anyway).
export XDG_STATE_HOME="$work/state"
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
publish() { # request file, count: publishes count versions 1.0.<i> of the request
    python3 - "$1" "$port" "$token" "$2" <<'PY'
import http.client, json, sys
request = json.load(open(sys.argv[1]))
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]))
for i in range(int(sys.argv[4])):
    request["package_version"] = f"1.0.{i}"
    connection.request("POST", "/registry-api/v1/publications", json.dumps(request),
                       {"Authorization": f"Bearer {sys.argv[3]}", "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    assert response.status == 201, (response.status, i)
PY
}
publish "$work/demo.json" "$VERSIONS"

"$registry" keys --registry-url "$url" --save "$work/keys.txt" >/dev/null 2>&1
rows=()
time_all() { # label, expected versions, binary, extra args...: the median of RUNS runs, and every run
    local label=$1 expected=$2 binary=$3
    shift 3
    local times=() start end verified
    for _ in $(seq "$RUNS"); do
        start=$(date +%s.%N)
        "$binary" verify --all --registry-url "$url" --trusted-keys "$work/keys.txt" "$@" \
            >"$work/all.txt" 2>"$work/all.err" || { cat "$work/all.err" >&2; exit 1; }
        end=$(date +%s.%N)
        verified=$(grep -c ' verified ' "$work/all.txt" || true)
        [ "$verified" = "$expected" ] || { echo "$label: $verified of $expected verified" >&2; exit 1; }
        times+=("$(python3 -c "print(f'{$end - $start:.2f}')")")
    done
    rows+=("$(printf '%-84s %6s s   (runs: %s)' "$label, $expected versions" \
        "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")" "${times[*]}")")
}
measure() { # expected versions, what the registry holds
    if [ -n "${BENCH_BEFORE:-}" ]; then
        time_all "verify --all, before ($(basename "$BENCH_BEFORE")), $2" "$1" "$BENCH_BEFORE"
    fi
    time_all "verify --all (default --jobs), $2" "$1" "$registry"
    for jobs in $JOBS; do
        time_all "verify --all --jobs $jobs, $2" "$1" "$registry" --jobs "$jobs"
    done
}
measure "$VERSIONS" "9 KB demo"
if [ "$SHOWCASE" -gt 0 ]; then
    showcase=tests/fixtures/anip/packages/github-fronting-showcase-0.2.0-publish-request.json
    publish "$showcase" "$SHOWCASE"
    measure "$((VERSIONS + SHOWCASE))" "+ $SHOWCASE x 310 KB showcase"
fi

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
echo "settings: $(pg_settings); server logging at its default (RUST_LOG unset: info, JSON lines); medians of $RUNS"
printf '%s\n' "${rows[@]}"
printf '%-84s %6s ms\n' "verify --bundle $(basename "$largest") ($(stat -c %s "$largest") bytes), best of 5" "${best}"
