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

# The server builds a comparison runs, in `bins` as "label:revision:binary" items: BENCH_BEFORE_REV's first when set
# (exported with `git archive` into $1/before-src and built with this tree's target dir, so dependencies are shared),
# then this tree's. Needs scripts/lib/target.sh; call it before any cd.
server_builds() { # work dir
    local tdir rev
    tdir=$(target_dir)
    bins=()
    if [ -n "${BENCH_BEFORE_REV:-}" ]; then
        rev=$(git rev-parse --short "$BENCH_BEFORE_REV")
        mkdir -p "$1/before-src"
        git archive "$rev" | tar -x -C "$1/before-src"
        (cd "$1/before-src" && CARGO_TARGET_DIR=$tdir cargo build --release -q -p registry-server)
        cp "$tdir/release/registry-server" "$1/registry-server-$rev"
        bins+=("before:$rev:$1/registry-server-$rev")
    fi
    cargo build --release -q -p registry-server
    cp "$tdir/release/registry-server" "$1/registry-server-head"
    bins+=("after:$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes'):$1/registry-server-head")
}
