#!/usr/bin/env bash
# Benchmarks the verifier trust core (release build) on the largest fixture and prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p verifier --bench trust_core "$@"
