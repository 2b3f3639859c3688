#!/usr/bin/env bash
# Everything CI checks, on a fresh machine: build, format, lints, all tests.
# Tests read real servers' recorded answers from ../shared/fixtures and
# start a real Prometheus, installed here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f ../shared/fixtures/INDEX.tsv ]; then
  echo "error: ../shared/fixtures is missing: clone this repository beside shared/" >&2
  exit 1
fi

# A real Prometheus for the tests that talk to one (Debian's package).
if ! command -v prometheus >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends prometheus
fi

cargo build --locked --all-targets
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
