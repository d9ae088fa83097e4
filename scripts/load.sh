#!/usr/bin/env bash
# npm run load [-- sandbox-load's options]: builds the servers and the load
# program, starts a throwaway PostgreSQL cluster on 127.0.0.1 for the
# scale-out run (scripts/postgres.sh), runs sandbox-load, and writes the
# load table of docs/performance.md from bench/load.json.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p consentry-sandbox -p consentry-relay -p consentry-load --bins
eval "$(bash scripts/postgres.sh)"
trap 'eval "$CONSENTRY_PG_STOP" >/dev/null 2>&1 || true' EXIT
CONSENTRY_LOAD_POSTGRES="$CONSENTRY_TEST_POSTGRES" target/release/sandbox-load "$@"
node bench/load.mjs
