#!/usr/bin/env bash
# Regenerate the README screenshots from `triage demo`:
#   screenshots/logs.png   the logs view
#   screenshots/trace.png  the trace of a failed request, span detail open
#   screenshots/home.png   home, with the demo's firing alert on top
#   screenshots/metrics.png  a latency graph with its exemplars, run from the editor
#   screenshots/pod.png    the pod behind the failed trace's database span
#   screenshots/pods.png   the demo cluster's pods, one crash-looping
#   screenshots/traces.png the failed requests found with TraceQL, one's spans open
#   screenshots/stats.png  where the time of a failed request went
#   screenshots/fields.png a JSON line's fields, under a Loki query's volume
#   screenshots/patterns.png the patterns the shop's lines fall into
#   screenshots/merged.png three marked pods' logs, merged
#   screenshots/services.png rate, errors and latency per service, from span metrics
#   screenshots/calls.png  the calls between services, and who calls whom
#
# Runs the demo in a detached 160x45 session of a private tmux server,
# captures the pane with its colours and renders it with ansi_to_png.py.
# Installs tmux, Pillow and the DejaVu fonts if they are missing.
#
# Usage: scripts/screenshots.sh
#   TRIAGE_BIN=path/to/triage  use that binary instead of `cargo build --release`
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=screenshots
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
SESSION=shots
COLS=160
ROWS=45

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then $SUDO apt-get update; apt_updated=1; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

command -v tmux >/dev/null || apt_install tmux
[ -f "$FONT" ] && [ -f "${FONT%.ttf}-Bold.ttf" ] || apt_install fonts-dejavu-core
if ! python3 -c 'import PIL' 2>/dev/null; then
    python3 -m pip install --quiet pillow ||
        python3 -m pip install --quiet --user --break-system-packages pillow
fi

if [ -z "${TRIAGE_BIN:-}" ]; then
    cargo build --release
    TRIAGE_BIN=target/release/triage
fi
TRIAGE_BIN=$(realpath "$TRIAGE_BIN")

work=$(mktemp -d)
t() { tmux -S "$work/tmux.sock" -f "$work/tmux.conf" "$@"; }  # a private server
cleanup() { t kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

screen() { t capture-pane -t "$SESSION" -p; }

# wait_for REGEX: until the screen shows REGEX, then until it stops changing.
wait_for() {
    local i prev="" cur
    for i in $(seq 100); do
        grep -qE "$1" <<<"$(screen)" && break
        [ "$i" -eq 100 ] && { echo "timed out waiting for /$1/; screen:" >&2; screen >&2; exit 1; }
        sleep 0.2
    done
    for i in $(seq 25); do
        sleep 0.2
        cur=$(screen)
        [ "$cur" = "$prev" ] && return
        prev=$cur
    done
}

# keys KEY COUNT: press KEY COUNT times, one send-keys call each with a pause
# between, so that e.g. Escape then a key isn't read as Alt+key.
keys() {
    local i
    for i in $(seq "$2"); do t send-keys -t "$SESSION" "$1"; sleep 0.05; done
}

shot() { # shot NAME: capture the pane (colours, trailing cells) and render it
    t capture-pane -t "$SESSION" -p -e -N >"$work/$1.ansi"
    python3 scripts/ansi_to_png.py "$work/$1.ansi" "$OUT/$1.png"
    echo "wrote $OUT/$1.png"
}

mkdir -p "$OUT"
# No status line, so the pane is the whole 160x45 window; an empty config
# directory, so a user's config or theme can't change the pictures.
echo 'set -g status off' >"$work/tmux.conf"
mkdir -p "$work/config"
t new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
    env -u TRIAGE_CONFIG -u TRIAGE_CONTEXT -u TRIAGE_LOKI_URL -u TRIAGE_TEMPO_URL \
    -u TRIAGE_PROMETHEUS_URL XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state" \
    TERM=xterm-256color COLORTERM=truecolor "$TRIAGE_BIN" demo

# Logs: wait for log lines (they start with a time, e.g. 19:38:24.498).
wait_for '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} '
shot logs

# Trace: select the "query failed" line. Row 1 is the title, rows 2 to 6
# the volume histogram, and the first log line (row 7) starts selected, so
# press j (row - 7) times.
row=$(grep -n -m1 'query failed' <<<"$(screen)" | cut -d: -f1 || true)
[ -n "$row" ] || { echo 'no "query failed" line on screen' >&2; exit 1; }
keys j $((row - 7))
sleep 0.3
keys Enter 1
wait_for 'ArticlesRepository\.List'
# Spans: frontend, api, api POST /verify, auth, ArticlesRepository.List.
keys j 4
sleep 0.3
keys d 1
wait_for '^ *name +ArticlesRepository\.List'
shot trace

# Pod: the database span's pod, OOM-killed; then back to the trace.
keys j 1
sleep 0.3
keys p 1
wait_for 'EVENTS'
shot pod
keys Escape 1
sleep 0.3

# Home: back past the logs; the firing alert is on top.
keys Escape 1
sleep 0.3
keys Escape 1
wait_for 'firing +page +HighErrorRate'
shot home

# Metrics: graph the alert, then edit the expression to a latency quantile.
keys Enter 1
wait_for '^ *time +value +trace_id'
keys e 1
t send-keys -t "$SESSION" C-u
t send-keys -t "$SESSION" -l 'histogram_quantile(0.9, sum by (le) (rate(http_server_request_duration_seconds_bucket[5m])))'
sleep 0.3
keys Enter 1
wait_for 'in seconds'
keys l 3
shot metrics

# Pods: every namespace of the demo cluster, live.
keys : 1
t send-keys -t "$SESSION" -l 'pods'
keys Enter 1
wait_for 'auth-6f7c8d9b5-h8vcz'
shot pods

# Traces: the failed requests by TraceQL, the newest one's matched spans.
keys : 1
t send-keys -t "$SESSION" -l 'traces { status = error }'
keys Enter 1
wait_for 'matched +root'
keys Space 1
wait_for 'status=error'
shot traces

# Its statistics: postgres took the time.
keys Enter 1
wait_for 'critical path'
keys S 1
wait_for 'service / operation'
shot stats

# Fields: the api's JSON access line, read as fields, under the volume.
keys : 1
t send-keys -t "$SESSION" -l 'logs {namespace="shop"}'
keys Enter 1
wait_for '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} '
row=$(grep -n -m1 'request served' <<<"$(screen)" | cut -d: -f1 || true)
[ -n "$row" ] || { echo 'no "request served" line on screen' >&2; exit 1; }
keys j $((row - 7))
sleep 0.3
keys J 1
wait_for 'JSON · '
keys j 5
shot fields
keys J 1
sleep 0.3

# Patterns of the same lines.
keys P 1
wait_for 'patterns, most lines first'
shot patterns

# Merged: the shop's first three pods marked in the pods list, their logs.
keys : 1
t send-keys -t "$SESSION" -l 'pods'
keys Enter 1
wait_for 'auth-6f7c8d9b5-h8vcz'
keys / 1
t send-keys -t "$SESSION" -l 'shop'
keys Enter 1
sleep 0.3
keys Space 3
keys l 1
wait_for 'marked pods'
sleep 2
shot merged

# Services: the shop's span metrics, then the calls between them.
keys : 1
t send-keys -t "$SESSION" -l 'services'
keys Enter 1
wait_for 'postgres'
sleep 1
shot services
keys Tab 1
wait_for 'who calls whom'
sleep 1
shot calls

keys q 1
sleep 0.3
t kill-session -t "$SESSION" 2>/dev/null || true
