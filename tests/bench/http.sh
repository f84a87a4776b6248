#!/usr/bin/env bash
# HTTP throughput of the stack, measured with wrk in one run and printed (not a test): nginx
# serving a static file (the reference), a FastCGI route that touches nothing (health), and a read
# route that checks a token and queries PostgreSQL (services list). Prints req/s, p50 and p99 and
# the ratio of each to the static file and to health.
# Env: DURATION (s, default 5), CONNECTIONS (64), THREADS (2), AIFB_HTTP_PORT (8080).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE="http://127.0.0.1:${AIFB_HTTP_PORT:-8080}"
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

command -v wrk >/dev/null || { echo "bench: wrk not found: run scripts/install-deps" >&2; exit 1; }
"$ROOT/scripts/stack" up >/dev/null
TOKEN=$("$ROOT/scripts/stack" token read "bench-$$" | tail -n 1)

# run NAME PATH [wrk args...]: prints one row and remembers req/s.
declare -A RPS
run() {
    local name=$1 path=$2 out rps p50 p99 non2xx
    shift 2
    curl -sf -o /dev/null "$@" "$BASE$path" 2>/dev/null || [ "$#" -gt 0 ] ||
        { echo "bench: $BASE$path does not answer 200" >&2; exit 1; }
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$BASE$path")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    RPS[$name]=$rps
    printf '%-34s %10.0f %10s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s each, on $(nproc) cores; $(date -u +%FT%TZ)"
printf '%-34s %10s %10s %10s %8s\n' target req/s p50 p99 non-2xx
run "nginx static file (/index.html)" /index.html
run "FastCGI health (no database)" /api/server/v1/health
run "FastCGI services list (auth + SQL)" "/api/server/v1/services?limit=10" -H "Authorization: Bearer $TOKEN"

static=${RPS["nginx static file (/index.html)"]}
hello=${RPS["FastCGI health (no database)"]}
dbr=${RPS["FastCGI services list (auth + SQL)"]}
echo
awk -v s="$static" -v h="$hello" -v d="$dbr" 'BEGIN {
    printf "ratio health / static          %.3f\n", h / s
    printf "ratio services list / static   %.3f\n", d / s
    printf "ratio services list / health   %.3f   (aim: >= 0.5)\n", d / h
}'
