#!/usr/bin/env bash
# HTTP throughput of the stack, measured with wrk in one run and printed (not a test): nginx
# serving a static file (the reference), a FastCGI route that touches nothing (health), and a read
# route that checks a token and queries PostgreSQL (services list). Prints req/s, p50 and p99 and
# the ratio of each to the static file and to health.
# Each target runs REPEAT times, interleaved, and the median run (by req/s) is printed.
# Env: DURATION (s, default 5), REPEAT (3), CONNECTIONS (64), THREADS (2), AIFB_HTTP_PORT (8080).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE="http://127.0.0.1:${AIFB_HTTP_PORT:-8080}"
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-3}

command -v wrk >/dev/null || { echo "bench: wrk not found: run scripts/install-deps" >&2; exit 1; }
"$ROOT/scripts/stack" up >/dev/null
TOKEN=$("$ROOT/scripts/stack" token read "bench-$$" | tail -n 1)

# measure PATH [wrk args...]: one wrk run; prints "req/s p50 p99 non2xx".
measure() {
    local path=$1 out
    shift
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$BASE$path")
    awk '/^Requests\/sec:/ {r = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2}
         /Non-2xx or 3xx responses:/ {n = $5} END {print r, p50, p99, (n == "" ? 0 : n)}' <<<"$out"
}

NAMES=("nginx static file (/index.html)" "FastCGI health (no database)" "FastCGI services list (auth + SQL)")
PATHS=(/index.html /api/server/v1/health "/api/server/v1/services?limit=10")
declare -A RPS RESULTS
for i in "${!PATHS[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE${PATHS[$i]}")
    [ "$code" = 200 ] || { echo "bench: ${PATHS[$i]} answers $code, not 200" >&2; exit 1; }
done

echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s a run, median of $REPEAT; $(nproc) cores; $(date -u +%FT%TZ)"
for ((k = 0; k < REPEAT; k++)); do
    for i in "${!PATHS[@]}"; do
        RESULTS[$i]+="$(measure "${PATHS[$i]}" -H "Authorization: Bearer $TOKEN")"$'\n'
    done
done
printf '%-36s %10s %10s %10s %8s   %s\n' target req/s p50 p99 non-2xx "all runs (req/s)"
for i in "${!PATHS[@]}"; do
    runs=$(sort -n <<<"${RESULTS[$i]%$'\n'}")
    read -r rps p50 p99 non2xx < <(sed -n "$(((REPEAT + 1) / 2))p" <<<"$runs")
    RPS[${NAMES[$i]}]=$rps
    printf '%-36s %10.0f %10s %10s %8s   %s\n' "${NAMES[$i]}" "$rps" "$p50" "$p99" "$non2xx" \
        "$(awk '{printf "%.0f ", $1}' <<<"$runs")"
done

static=${RPS["nginx static file (/index.html)"]}
hello=${RPS["FastCGI health (no database)"]}
dbr=${RPS["FastCGI services list (auth + SQL)"]}
echo
awk -v s="$static" -v h="$hello" -v d="$dbr" 'BEGIN {
    printf "ratio health / static          %.3f\n", h / s
    printf "ratio services list / static   %.3f\n", d / s
    printf "ratio services list / health   %.3f   (aim: >= 0.5)\n", d / h
}'
