# Where cargo puts build outputs (sourced, not run): honours CARGO_TARGET_DIR, `build.target-dir` in a cargo config
# and the workspace default, by asking cargo itself. Sets TARGET_DIR (absolute) once per script.
# shellcheck shell=bash

target_dir() {
    if [ -z "${TARGET_DIR:-}" ]; then
        TARGET_DIR=$(cargo metadata --format-version 1 --no-deps --locked |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])') ||
            { echo "cargo metadata failed: cannot find the target directory" >&2; return 1; }
        export TARGET_DIR
    fi
    printf '%s\n' "$TARGET_DIR"
}
