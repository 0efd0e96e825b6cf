#!/usr/bin/env bash
# End-to-end check of the Compose stack (compose.yaml): builds the image, starts registry + Postgres in a project of
# its own on a fresh database volume, waits for /healthz, runs the trust loop of scripts/smoke.sh against it
# (`scripts/smoke.sh --against <URL> --token <token>`), and tears the stack down again, volume included.
# Needs Docker with Compose v2 and a running engine, and curl. The first build takes a few minutes.
#
# Variables (defaults in brackets):
#   ANIP_REGISTRY_COMPOSE_PROJECT    [anip-registry-smoke] Compose project; a stack of that name is wiped first
#   ANIP_REGISTRY_PORT               [8200] host port (on 127.0.0.1)
#   ANIP_REGISTRY_SMOKE_URL          [http://127.0.0.1:$ANIP_REGISTRY_PORT] where the registry is reached
#   ANIP_REGISTRY_PUBLISH_TOKEN      [random, made per run] publish token of the smoke stack
#   ANIP_REGISTRY_SMOKE_KEEP_STACK   [0] 1 leaves the stack running afterwards (prints how to remove it)
#   ANIP_REGISTRY_SMOKE_SKIP_BUILD   [0] 1 starts without --build (Compose still builds a missing image)
#   ANIP_REGISTRY_SMOKE_WAIT_TRIES   [90] /healthz polls, 2 s apart, before giving up
# The repository's .env is not read (the stack gets only the values above and what the shell exports), so a
# developer's real key or production settings never reach the smoke stack by accident.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECT=${ANIP_REGISTRY_COMPOSE_PROJECT:-anip-registry-smoke}
PORT=${ANIP_REGISTRY_PORT:-8200}
URL=${ANIP_REGISTRY_SMOKE_URL:-http://127.0.0.1:$PORT}
URL=${URL%/}
TOKEN=${ANIP_REGISTRY_PUBLISH_TOKEN:-smoke-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}
KEEP_STACK=${ANIP_REGISTRY_SMOKE_KEEP_STACK:-0}
SKIP_BUILD=${ANIP_REGISTRY_SMOKE_SKIP_BUILD:-0}
WAIT_TRIES=${ANIP_REGISTRY_SMOKE_WAIT_TRIES:-90}

say() { printf '[smoke-compose] %s\n' "$*"; }
die() {
    printf '[smoke-compose] FAIL: %s\n' "$*" >&2
    exit 1
}

command -v curl >/dev/null 2>&1 || die "curl is needed"
command -v docker >/dev/null 2>&1 || die "docker is needed (with the Compose v2 plugin and a running engine)"
docker compose version >/dev/null 2>&1 || die "the Docker Compose v2 plugin is needed (docker compose version)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info)"
[ -x scripts/smoke.sh ] || die "scripts/smoke.sh is missing or not executable"

# Compose reads only this file besides the shell's environment: not the repository's .env.
work=$(mktemp -d "${TMPDIR:-/tmp}/smoke-compose.XXXXXX")
printf 'ANIP_REGISTRY_PORT=%s\nANIP_REGISTRY_PUBLISH_TOKEN=%s\n' "$PORT" "$TOKEN" >"$work/smoke.env"
export ANIP_REGISTRY_PORT=$PORT ANIP_REGISTRY_PUBLISH_TOKEN=$TOKEN
compose=(docker compose -p "$PROJECT" -f compose.yaml --env-file "$work/smoke.env")

status=0
cleanup() {
    status=${status:-1}
    trap - EXIT INT TERM
    if [ "$status" -ne 0 ]; then
        say "failed (exit $status); last registry and postgres logs:"
        "${compose[@]}" ps -a >&2 2>/dev/null || true
        "${compose[@]}" logs --no-color --tail 80 >&2 2>/dev/null || true
    fi
    if [ "$KEEP_STACK" = 1 ]; then
        say "stack kept (ANIP_REGISTRY_SMOKE_KEEP_STACK=1): $URL, publish token $TOKEN"
        say "remove it with: ANIP_REGISTRY_PUBLISH_TOKEN=$TOKEN docker compose -p $PROJECT down -v --remove-orphans"
    else
        say "tearing down project $PROJECT (down -v --remove-orphans)"
        "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || say "teardown failed: run docker compose -p $PROJECT down -v"
    fi
    rm -rf "$work"
    exit "$status"
}
trap 'status=$?; cleanup' EXIT
trap 'status=130; cleanup' INT
trap 'status=143; cleanup' TERM

say "project $PROJECT: removing any previous stack and its volume"
"${compose[@]}" down -v --remove-orphans >/dev/null

# Compose would fail later with a less telling message if something else (a dev stack?) holds the port.
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT on 127.0.0.1 is in use (a running stack?): set ANIP_REGISTRY_PORT to a free port"
fi

up=(up -d)
[ "$SKIP_BUILD" = 1 ] || up+=(--build)
say "docker compose ${up[*]}"
"${compose[@]}" "${up[@]}"

say "waiting for $URL/registry-api/v1/healthz (up to $WAIT_TRIES tries, 2 s apart)"
tries=0
until curl -fsS --max-time 5 -o /dev/null "$URL/registry-api/v1/healthz" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt "$WAIT_TRIES" ] || break
    sleep 2
done
# The last try speaks for itself: it aborts the script if the registry is still not up.
curl -fsS --max-time 5 "$URL/registry-api/v1/healthz" >"$work/healthz.json" || die "the registry did not come up"
say "healthz: $(cat "$work/healthz.json")"
curl -fsS --max-time 5 -o /dev/null "$URL/registry-api/v1/readyz" || die "the registry is up but not ready (/readyz)"

say "scripts/smoke.sh --against $URL"
scripts/smoke.sh --against "$URL" --token "$TOKEN"
say "ok: the trust loop passed against the Compose stack"
