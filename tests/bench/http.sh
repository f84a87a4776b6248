#!/usr/bin/env bash
# HTTP throughput of the stack, measured with wrk in one run and printed (not a test): nginx
# serving a static file (the reference), a FastCGI route that touches nothing (health), and two
# read routes that check a token and query PostgreSQL (one service by id; a page of 10 services).
# Prints req/s, p50 and p99 and the ratios to the static file and to health.
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

# A service row to read back by id: the newest, or a fixture made here when there is none.
DSN=$(sed -n 's/^db\.dsn *= *//p' "$(readlink -f "$ROOT/var")/aifb.conf")
SID=$(psql "$DSN" -Atc "SELECT max(id) FROM services")
if [ -z "$SID" ]; then
    SID=$(psql "$DSN" -Atc "INSERT INTO services (name, recipe, state) VALUES ('bench-fixture', 'simllm', 'cancelled') RETURNING id" | head -n 1)
fi
NAMES=("nginx static file (/index.html)" "FastCGI health (no database)" "FastCGI service by id (auth + SQL, 1 row)"
    "FastCGI services list (auth + SQL, 10 rows)")
PATHS=(/index.html /api/server/v1/health "/api/server/v1/services/$SID" "/api/server/v1/services?limit=10")
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
printf '%-44s %10s %10s %10s %8s   %s\n' target req/s p50 p99 non-2xx "all runs (req/s)"
for i in "${!PATHS[@]}"; do
    runs=$(sort -n <<<"${RESULTS[$i]%$'\n'}")
    read -r rps p50 p99 non2xx < <(sed -n "$(((REPEAT + 1) / 2))p" <<<"$runs")
    RPS[${NAMES[$i]}]=$rps
    printf '%-44s %10.0f %10s %10s %8s   %s\n' "${NAMES[$i]}" "$rps" "$p50" "$p99" "$non2xx" \
        "$(awk '{printf "%.0f ", $1}' <<<"$runs")"
done

static=${RPS[${NAMES[0]}]}
hello=${RPS[${NAMES[1]}]}
one=${RPS[${NAMES[2]}]}
page=${RPS[${NAMES[3]}]}
echo
awk -v s="$static" -v h="$hello" -v o="$one" -v p="$page" 'BEGIN {
    printf "ratio health / static               %.3f\n", h / s
    printf "ratio service by id / static        %.3f\n", o / s
    printf "ratio services list / static        %.3f\n", p / s
    printf "ratio service by id / health        %.3f   (aim: >= 0.5)\n", o / h
    printf "ratio services list / health        %.3f\n", p / h
}'
