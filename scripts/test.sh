#!/usr/bin/env bash
# npm test: every test. Native Rust (engine, properties, server; the relay
# again on PostgreSQL, installed from Debian when missing), lints,
# wasm-bindgen-test in headless Chromium, the build with its size budget, and
# end-to-end tests in real Chromium against the real demo server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

echo "== format and lints (clippy, warnings are errors)"
cargo fmt --all --check
cargo clippy --quiet --workspace --all-targets -- -D warnings
cargo clippy --quiet -p consentry --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy --quiet -p consentry-form --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy --quiet -p consentry-iab --target wasm32-unknown-unknown --all-targets -- -D warnings
for c in consentry-gate consentry-form consentry-iab consentry-gpp consentry-qr; do
  cargo clippy --quiet -p "$c" --target wasm32-unknown-unknown --no-default-features -- -D warnings
done
cargo clippy --quiet -p consentry-gate --target wasm32-unknown-unknown --no-default-features --features full -- -D warnings
cargo clippy --quiet -p consentry-gate --no-default-features --features std --all-targets -- -D warnings
# Each module built from one feature of its crate, as scripts/build.mjs builds it.
for f in cmp decode; do
  cargo clippy --quiet -p consentry-iab --target wasm32-unknown-unknown --no-default-features --features "$f" -- -D warnings
done
for f in capture verification signup join; do
  cargo clippy --quiet -p consentry-form --target wasm32-unknown-unknown --no-default-features --features "$f" -- -D warnings
done

echo "== native tests"
cargo test --workspace
# The gate's plain build (consentry_bg.wasm) refuses the full build's keys.
cargo test -p consentry-gate --no-default-features --features std --test plain

echo "== the relay on PostgreSQL (a throwaway cluster on 127.0.0.1)"
eval "$(bash scripts/postgres.sh)"
trap 'eval "$CONSENTRY_PG_STOP" >/dev/null 2>&1 || true' EXIT
CONSENTRY_TEST_POSTGRES="$CONSENTRY_TEST_POSTGRES" cargo test -p consentry-relay --test relay
unset CONSENTRY_TEST_POSTGRES CONSENTRY_TEST_POSTGRES_CA

echo "== wasm tests in headless Chromium"
cargo test --target wasm32-unknown-unknown -p consentry --test web

echo "== build and size report"
node scripts/build.mjs
node scripts/size.mjs
cargo build --release -p consentry-sandbox -p consentry-relay

echo "== end-to-end tests in Chromium"
node --test tests/e2e/
