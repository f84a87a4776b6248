#!/usr/bin/env bash
# aifb-gpu-exporter's own cost, measured and printed (not a test; the issue's aim: under 1% of a core):
# 1. The exporter sampling every INTERVAL s (1) with --listen, scraped once a second by curl, for
#    DURATION s (60): its CPU time (utime + stime from /proc/<pid>/stat) as % of one core, its
#    resident memory, and what one sample cost by its own account (aifb_gpu_exporter_last_sample_seconds
#    of each scrape: mean and max).
# 2. ONCE runs of `--once` (a whole process: start, open the source, one sample, print): mean wall time.
# SOURCE=replay (default) replays tests/unit/fixtures/gpu/nvml-load.csv; SOURCE=auto reads this
# machine's GPUs (NVML, else nvidia-smi), for a run on a GPU node. Env: DURATION, INTERVAL, ONCE (20),
# SOURCE, AIFB_BIN (build/bin).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${AIFB_BIN:-$ROOT/build/bin}
EXP=$BIN/aifb-gpu-exporter
DURATION=${DURATION:-60}
INTERVAL=${INTERVAL:-1}
ONCE=${ONCE:-20}
SOURCE=${SOURCE:-replay}
REPLAY=$ROOT/tests/unit/fixtures/gpu/nvml-load.csv
HZ=$(getconf CLK_TCK)

[ -x "$EXP" ] || { echo "bench: $EXP not built: run make all" >&2; exit 1; }
SRC=(--replay "$REPLAY")
[ "$SOURCE" = replay ] || SRC=(--source "$SOURCE")

TMP=$(mktemp -d /tmp/aifb-bench-gpu.XXXXXX)
XPID=
cleanup() {
    [ -n "$XPID" ] && kill "$XPID" 2>/dev/null && wait "$XPID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

# ticks PID: utime + stime of the process, in clock ticks (fields 14 and 15 after the command name,
# which may hold spaces, so counted from the closing parenthesis).
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

echo "== aifb-gpu-exporter: source $SOURCE, a sample every $INTERVAL s, /metrics scraped once a second, $DURATION s"
"$EXP" "${SRC[@]}" --interval "$INTERVAL" --listen 127.0.0.1:0 --port-file "$TMP/port" 2>"$TMP/log" &
XPID=$!
for _ in $(seq 100); do
    [ -s "$TMP/port" ] && break
    sleep 0.1
done
[ -s "$TMP/port" ] || { echo "bench: the exporter does not start: $(cat "$TMP/log")" >&2; exit 1; }
URL="http://127.0.0.1:$(cat "$TMP/port")/metrics"
t0=$EPOCHREALTIME
c0=$(ticks "$XPID")
: >"$TMP/costs"
for ((i = 0; i < DURATION; i++)); do
    curl -s --max-time 2 "$URL" | awk '/^aifb_gpu_exporter_last_sample_seconds\{/ { print $NF }' >>"$TMP/costs"
    # the next scrape on the next whole second from the start: no drift from curl's own time
    sleep "$(awk -v t0="$t0" -v now="$EPOCHREALTIME" -v i="$i" 'BEGIN { d = t0 + i + 1 - now; print (d > 0 ? d : 0) }')"
done
c1=$(ticks "$XPID")
t1=$EPOCHREALTIME
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$XPID/status")
samples=$(curl -s --max-time 2 "$URL" | awk '/^aifb_gpu_exporter_samples_total\{/ { print $NF }')
kill -TERM "$XPID"
wait "$XPID" || true
XPID=
awk -v c="$((c1 - c0))" -v hz="$HZ" -v t0="$t0" -v t1="$t1" -v rss="$rss" -v n="$samples" 'BEGIN {
    s = c / hz; w = t1 - t0
    printf "  CPU: %.2f s of %.1f s = %.3f%% of one core (aim < 1%%; one clock tick is %.3f%%); %s samples taken; RSS %d KiB\n",
        s, w, 100 * s / w, 100 / hz / w, n, rss }'
awk '{ s += $1; if ($1 > m) m = $1; n++ } END {
    if (n) printf "  one sample, as the exporter measured it: mean %.1f us, max %.1f us over %d scrapes\n",
        s / n * 1e6, m * 1e6, n }' "$TMP/costs"

echo "== --once x $ONCE (start, open the source, one sample, print)"
t0=$EPOCHREALTIME
for ((i = 0; i < ONCE; i++)); do
    "$EXP" "${SRC[@]}" --once >/dev/null 2>>"$TMP/log"
done
awk -v t0="$t0" -v t1="$EPOCHREALTIME" -v n="$ONCE" 'BEGIN { printf "  mean %.2f ms a run\n", (t1 - t0) / n * 1e3 }'
