#!/usr/bin/env bash
# Claimdesk's whole test suite: formatting, lints, unit and integration tests.
# Run from anywhere: `bash scripts/test.sh`. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked
