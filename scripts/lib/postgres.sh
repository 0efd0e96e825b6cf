# Throwaway PostgreSQL cluster for scripts (sourced, not run): pg_start makes a cluster in a temp dir on a free
# port of 127.0.0.1 and sets PG_URL; pg_stop removes it. As root the cluster runs as the `postgres` user.
# The cluster keeps Postgres's default durability (fsync, synchronous_commit on), as production runs: benchmark
# figures measured on it are the ones an operator gets. PG_SETTINGS (e.g. "-c fsync=off") adds server options;
# pg_settings prints what differs from the defaults, for a benchmark to print with its figures.
# shellcheck shell=bash

pg_bin_dir() {
    if [ -n "${ANIP_TEST_PG_BIN:-}" ]; then echo "$ANIP_TEST_PG_BIN"; return; fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
    dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)"
}

pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
    PG_BIN=$(pg_bin_dir)
    [ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server binaries (apt-get install postgresql)" >&2; return 1; }
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/anip-pg.XXXXXX")
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
    PG_PORT=$(free_port)
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o \
        "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_DIR -c max_connections=200 ${PG_SETTINGS:-}" \
        start >/dev/null
    "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE anip_registry" >/dev/null
    PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/anip_registry"
    export PG_BIN PG_DIR PG_PORT PG_URL
}

pg_settings() {
    echo "Postgres $("$PG_BIN/postgres" --version | awk '{print $3}'): default durability${PG_SETTINGS:+, except $PG_SETTINGS}"
}

pg_psql() {
    "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d anip_registry "$@"
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
        pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
}
