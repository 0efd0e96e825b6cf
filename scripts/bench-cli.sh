#!/usr/bin/env bash
# Times the `registry` command line: `verify --all` against a registry holding 1,000 published versions (a
# throwaway Postgres and the release server), and `verify --bundle` of the largest fixture including process start.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
VERSIONS=${BENCH_VERSIONS:-1000}

cargo build --release --locked -q -p registry-server -p registry-cli
cargo build --release --locked -q -p registry-server --example demo_request
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
    RUST_LOG=warn target/release/registry-server >"$work/server.log" 2>&1 &
server_pid=$!
until curl -fsS "$url/registry-api/v1/readyz" >/dev/null 2>&1; do sleep 0.01; done

target/release/examples/demo_request bench-demo 9.9.9-bench >"$work/demo.json"
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

registry=target/release/registry
"$registry" keys --registry-url "$url" --save "$work/keys.txt" >/dev/null 2>&1
start=$(date +%s.%N)
"$registry" verify --all --registry-url "$url" --trusted-keys "$work/keys.txt" >"$work/all.txt" 2>&1
end=$(date +%s.%N)
all_s=$(python3 -c "print(f'{$end - $start:.2f}')")
verified=$(grep -c ' verified ' "$work/all.txt" || true)

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
echo "registry CLI benchmark (release build, $(nproc) cores shared with the server and Postgres)"
printf '%-64s %s\n' "verify --all, $VERSIONS published versions ($verified verified)" "${all_s} s"
printf '%-64s %s\n' "verify --bundle $(basename "$largest") ($(stat -c %s "$largest") bytes), best of 5" "${best} ms"
