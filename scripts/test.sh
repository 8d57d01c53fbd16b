#!/usr/bin/env bash
# Runs every test of hlc: installs the external tools the interop tests use (idempotent), checks
# formatting and lints, then runs the whole workspace's tests. This is the command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

# The benchmark at small N, hlc only (docs/BENCHMARKS.md): no timing is asserted; it fails when a
# generated lab does not build and check cleanly.
python3 bench/bench.py --sizes "10 100" --no-peers --no-reference --quick --debug
