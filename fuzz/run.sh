#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a bounded time, its corpus
# seeded from the recorded answers in ../shared/fixtures. A crash (a
# panic, an overflow) or an input slower than 10 s fails the script;
# libFuzzer leaves the input in fuzz/artifacts/<target>/.
#
#   fuzz/run.sh                  every target, 15 s each (what test.sh runs)
#   fuzz/run.sh 3600 loki_streams  one target for an hour
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-15}
shift || true
fixtures=../../shared/fixtures
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sanitize loki_streams tempo_trace tempo_protobuf prometheus kube_pod kube_event kube_log_line)

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

# No sanitizer: triage forbids unsafe code, so AddressSanitizer would look
# for what cannot happen in the decoders and halve the executions. Debug
# assertions on: an arithmetic overflow is a crash, as in a debug build.
# 16 codegen units: the build is most of this step's time on 2 cores.
flags=(-s none --debug-assertions --codegen-units 16)

# The versions the app ships with: its lock, plus what libFuzzer needs.
cp ../Cargo.lock Cargo.lock

# The recorded answers each target reads; the pod, event and log-line
# seeds are written by hand (no Kubernetes answers are recorded).
seeds() {
  case $1 in
    sanitize) echo "$fixtures"/loki/* "$fixtures"/tempo/*.txt seeds/kube_log_line/* ;;
    loki_streams) echo "$fixtures"/loki/* ;;
    tempo_trace) echo "$fixtures"/tempo/trace_*.json "$fixtures"/tempo/*.txt ;;
    tempo_protobuf) echo "$fixtures"/tempo/trace_*.pb ;;
    prometheus) echo "$fixtures"/prometheus/* ;;
    kube_pod | kube_event | kube_log_line) echo seeds/"$1"/* ;;
  esac
}

# The sanitiser works on one line or field at a time: long inputs only
# slow it down.
options() {
  case $1 in
    sanitize) echo -max_len=4096 ;;
  esac
}

cargo fuzz build "${flags[@]}"
for target in "${targets[@]}"; do
  corpus=corpus/$target
  mkdir -p "$corpus" "artifacts/$target"
  # shellcheck disable=SC2046 # the globs above are meant to split
  cp $(seeds "$target") "$corpus"/
  log=artifacts/$target/last-run.log
  # shellcheck disable=SC2046
  if ! cargo fuzz run "${flags[@]}" "$target" "$corpus" -- $(options "$target") \
    -max_total_time="$seconds" -timeout=10 -dict=json.dict -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz: $target: $runs runs in ${seconds}s, corpus $(find "$corpus" -type f | wc -l) inputs"
done
