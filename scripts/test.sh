#!/usr/bin/env bash
# Everything CI checks, on a fresh machine: build, format, lints, the
# dependency tree's licences, sources and bans, all tests, and a bounded
# fuzz run of the sanitiser and every decoder. Tests read real servers'
# recorded answers from ../shared/fixtures and start a real Prometheus and
# a real Alertmanager, installed here when missing, as are cargo-deny and
# cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
# Incremental caches only pay off across edits; on CI they cost disk.
export CARGO_INCREMENTAL=0

if [ ! -f ../shared/fixtures/INDEX.tsv ]; then
  echo "error: ../shared/fixtures is missing: clone this repository beside shared/" >&2
  exit 1
fi

# Debian packages: a real Prometheus and a real Alertmanager for the tests
# that talk to one, and a C++ compiler for libFuzzer (libfuzzer-sys builds
# it from source).
missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

cargo build --locked --workspace --all-targets
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo fmt --manifest-path fuzz/Cargo.toml -- --check

# Licences, sources and bans (deny.toml). Advisories need the RustSec
# database from GitHub, which CI cannot reach: see the README.
if ! cargo deny --version >/dev/null 2>&1; then
  cargo install --locked cargo-deny
fi
cargo deny --locked check bans licenses sources

cargo check --locked --no-default-features  # triage without the demo
cargo test --locked --workspace

# Each fuzz target for 15 s, seeded from the fixtures; a crash fails.
fuzz/run.sh
