# Background server processes for the benchmark scripts (source it): the caller starts one with `… & server_pid=$!`,
# `wait_answering URL LOG` waits until URL answers (printing LOG and exiting if the process ended first), and
# `stop_server` stops it (a no-op when none runs, so a cleanup trap may always call it).
server_pid=""

stop_server() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    server_pid=""
}

wait_answering() { # url log
    until curl -fsS "$1" >/dev/null 2>&1; do
        kill -0 "$server_pid" 2>/dev/null || { cat "$2" >&2; exit 1; }
        sleep 0.05
    done
}
