#!/usr/bin/env bash
# The API description checked against the running server by independent tools (scripts/test.sh runs it): starts a
# debug registry on SQLite (dev key, port 0, the bound port read from its log), seeds the demo package (the ids the
# document's examples name), a template, a publisher with a real publisher token (admin API) and a package it owns, validates the served
# /registry-api/v1/openapi.json with openapi-spec-validator (OpenAPI 3.1), then runs schemathesis against it with
# the checks not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance:
#   1. the public and /me operations with the publisher token;
#   2. the /admin operations with the admin token (they may suspend the seeded publisher: hence after 1);
#   3. DELETE /me/tokens/{token_id} with the publisher token (its stateful links revoke that very token).
# Each operation gets at most $SCHEMATHESIS_MAX_EXAMPLES examples (default 25); the whole run takes about a minute
# on 2 cores. Both tools come from PyPI (.ci/run installs them); a missing one fails at once with how to get it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/target.sh

fail() { printf 'schemathesis: %s\n' "$*" >&2; [ -f "${work:-}/server.log" ] && tail -20 "$work/server.log" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; }

command -v st >/dev/null 2>&1 ||
    fail "schemathesis is not installed (python3 -m pip install schemathesis; .ci/run does)"
python3 -c 'import openapi_spec_validator' 2>/dev/null ||
    fail "openapi-spec-validator is not installed (python3 -m pip install openapi-spec-validator; .ci/run does)"

max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-25}
work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

step "build registry-server and the demo-request example (debug)"
cargo build --locked -q -p registry-server --bin registry-server --example demo_request
debug="$(target_dir)/debug"

step "start registry-server (SQLite, dev key, port 0)"
secret() { printf '%s-%s' "$1" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; }
publish_token=$(secret publish)
admin_token=$(secret admin)
ANIP_REGISTRY_PUBLISH_TOKEN=$publish_token ANIP_REGISTRY_ADMIN_TOKEN=$admin_token \
    ANIP_REGISTRY_AUTH_FAILURES_PER_MINUTE=100000 RUST_LOG=warn,registry_server=info \
    "$debug/registry-server" --addr 127.0.0.1:0 --data-dir "$work/data" --seed-demo --log-format json \
    >"$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 300); do
    port=$(grep -o '"message":"registry_listening"[^}]*' "$work/server.log" 2>/dev/null |
        grep -o '"addr":"127.0.0.1:[0-9]*"' | grep -o '[0-9]*"$' | tr -d '"' | head -1) || true
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || fail "the server exited"
    sleep 0.1
done
[ -n "$port" ] || fail "the server did not log registry_listening"
api="http://127.0.0.1:$port/registry-api/v1"
curl -fsS "$api/healthz" >/dev/null || fail "not healthy at $api"
echo "listening on $api (pid $server_pid)"

step "seed a publisher, its token, a package it owns and a template"
curl -fsS -X POST "$api/admin/publishers" -H "Authorization: Bearer $admin_token" \
    -H 'content-type: application/json' \
    -d '{"publisher_id":"acme","publisher_type":"organization","display_name":"Acme","namespaces":["acme"]}' \
    >"$work/publisher.json" || fail "creating the publisher"
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bearer_token"])' "$work/publisher.json")
"$debug/examples/demo_request" acme/ledger 1.0.0 >"$work/request.json"
curl -fsS -X POST "$api/publications" -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    --data-binary @"$work/request.json" >/dev/null || fail "publishing acme/ledger@1.0.0"
curl -fsS -X POST "$api/templates" -H "Authorization: Bearer $publish_token" -H 'content-type: application/json' \
    --data-binary @tests/fixtures/anip/templates/linear-fronting-starter-0.1.0.anip-template.json >/dev/null ||
    fail "publishing the template linear-fronting-starter@0.1.0"
echo "publisher acme, package acme/ledger@1.0.0, template linear-fronting-starter@0.1.0 (plus the demo package)"

step "openapi-spec-validator: the served document is valid OpenAPI 3.1"
curl -fsS "$api/openapi.json" >"$work/openapi.json" || fail "GET /openapi.json"
python3 - "$work/openapi.json" <<'EOF'
import json, sys
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
document = json.load(open(sys.argv[1]))
assert document["openapi"].startswith("3.1"), document["openapi"]
validate(document, cls=OpenAPIV31SpecValidator)
print(f"valid OpenAPI {document['openapi']}: {len(document['paths'])} paths")
EOF

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
run() {
    # From the run's own directory: schemathesis keeps a cache (.schemathesis/) in the current one.
    (cd "$work" && st run "$api/openapi.json" --url "$api" --checks "$checks" --max-examples "$max_examples" --seed 1 \
        --workers 1 --suppress-health-check all --no-color --max-failures 50 --warnings off "$@")
}
revoke='DELETE /me/tokens/{token_id}'
step "schemathesis: public and /me operations (publisher token)"
run -H "Authorization: Bearer $token" --exclude-path-regex '^/admin' --exclude-operation-id me_revoke ||
    fail "schemathesis found faults (above)"
step "schemathesis: /admin operations (admin token)"
run -H "Authorization: Bearer $admin_token" --include-path-regex '^/admin' || fail "schemathesis found faults (above)"
# Last: its stateful links revoke the very token the run authenticates with.
step "schemathesis: $revoke (publisher token)"
run -H "Authorization: Bearer $token" --include-operation-id me_revoke || fail "schemathesis found faults (above)"
kill -0 "$server_pid" 2>/dev/null || fail "the server died during the run"
step "statuses the server answered, by route"
python3 - "$work/server.log" <<'EOF'
import collections, json, sys
seen = collections.defaultdict(collections.Counter)
for line in open(sys.argv[1]):
    try:
        event = json.loads(line)
    except ValueError:
        continue
    if event.get("message") == "registry_http_request":
        seen[(event["route"], event["method"])][event["status"]] += 1
for (route, method), statuses in sorted(seen.items()):
    print(f"{method:6} {route:62} " + " ".join(f"{s}x{n}" for s, n in sorted(statuses.items())))
EOF
echo "schemathesis: ok"
