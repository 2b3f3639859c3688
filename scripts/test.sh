#!/usr/bin/env bash
# Everything CI checks, on a fresh machine: build, format, lints, all tests.
# Tests read real servers' recorded answers from ../shared/fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f ../shared/fixtures/INDEX.tsv ]; then
  echo "error: ../shared/fixtures is missing: clone this repository beside shared/" >&2
  exit 1
fi

cargo build --locked --all-targets
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
