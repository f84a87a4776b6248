#!/usr/bin/env bash
# Large bodies that nobody reads: a request the apps answer without reading its body (401, 404,
# 405, a public GET with a body) must not hold a worker. nginx refuses what is over each API's
# limit, and an app never waits for a body it will not read. 64 such 1 MB requests per app, all
# four apps at once, while GET /health of each keeps answering.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

apps=(server client monitoring logs)
# A route of each app that needs a token and takes a body (answered 401 before it is read).
declare -A guarded=([server]=/api/server/v1/services [client]=/api/client/v1/runs
    [monitoring]=/api/monitoring/v1/targets [logs]=/api/logs/v1/retention)
head -c 1000000 /dev/zero | tr '\0' A >"$TMP/1mb"

# The single request of the issue: no answer in 20 s before the fix.
t0=$(date +%s%N)
st=$(curl -s -o "$TMP/one" -m 10 -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$TMP/1mb" "$BASE/api/server/v1/services") || st=000
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$st" = 401 ] && [ "$ms" -lt 1000 ] && pass "one 1 MB body without a token: 401 in $ms ms" ||
    fail "one 1 MB body without a token" "status $st after $ms ms"

# many METHOD URL: 16 transfers of the 1 MB body at once; a line "status seconds" for each.
many() {
    local args=()
    for _ in $(seq 16); do args+=(-o /dev/null "$2"); done
    curl -s -Z --parallel-immediate --parallel-max 16 -m 5 -w '%{http_code} %{time_total}\n' -X "$1" \
        -H 'Content-Type: application/json' --data-binary @"$TMP/1mb" "${args[@]}" 2>/dev/null
}

# flood APP ROUND: 64 bad requests at once; every line of $TMP/flood-APP-ROUND is "status seconds".
flood() {
    local app=$1
    {
        many POST "$BASE${guarded[$app]}" &                  # 401: no token
        many POST "$BASE/api/$app/v1/no-such-route" &         # 404
        many PUT "$BASE/api/$app/v1/health" &                 # 405
        many DELETE "$BASE/api/$app/v1/ready" &               # 405
        wait
    } >"$TMP/flood-$app-$2"
}

# Health of every app, one request after another, until $TMP/stop appears; "seconds" per line.
probe() {
    local app
    while [ ! -e "$TMP/stop" ]; do
        for app in "${apps[@]}"; do
            curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' "$BASE/api/$app/v1/health"
        done
    done >"$TMP/health"
}

probe &
probe_pid=$!
PIDS+=("$probe_pid")
# Rounds for 3 s at least, so that the probe sees the whole of it.
round=0
end=$((SECONDS + 3))
while [ "$round" -lt 3 ] || [ "$SECONDS" -lt "$end" ]; do
    round=$((round + 1))
    floods=()
    for app in "${apps[@]}"; do
        flood "$app" "$round" &
        floods+=($!)
    done
    wait "${floods[@]}"
done
touch "$TMP/stop"
wait "$probe_pid"

want=$((round * 64))
for app in "${apps[@]}"; do
    cat "$TMP"/flood-"$app"-* >"$TMP/all-$app"
    n=$(wc -l <"$TMP/all-$app")
    bad=$(awk '$1 !~ /^4[0-9][0-9]$/' "$TMP/all-$app" | wc -l)
    slow=$(awk '$2 >= 1.0' "$TMP/all-$app" | wc -l)
    max=$(sort -k2 -n "$TMP/all-$app" | tail -n 1 | cut -d' ' -f2)
    codes=$(cut -d' ' -f1 "$TMP/all-$app" | sort | uniq -c | awk '{printf "%s%sx%s", sep, $2, $1; sep=" "}')
    [ "$n" = "$want" ] && [ "$bad" = 0 ] && pass "$app: $n unread 1 MB bodies in $round rounds, each answered 4xx ($codes)" ||
        fail "$app: every unread body answered 4xx" "$n answers, $bad not 4xx ($codes)"
    [ "$n" = "$want" ] && [ "$slow" = 0 ] && pass "$app: each within a second (slowest ${max}s)" ||
        fail "$app: each within a second" "$slow of $n took 1 s or more (slowest ${max}s)"
done

n=$(wc -l <"$TMP/health")
notok=$(awk '$1 != 200' "$TMP/health" | wc -l)
p99=$(awk '{print $2}' "$TMP/health" | sort -n | awk '{v[NR] = $1} END { i = int(NR * 0.99); if (i < 1) i = 1; print v[i] * 1000 }')
[ "$n" -ge 20 ] && [ "$notok" = 0 ] && pass "health answered 200 all through ($n requests)" ||
    fail "health answered all through" "$notok of $n not 200"
# The defect held a worker for nginx's 300 s; a second is the same bound the floods get. The p99 is
# printed for the reader, not judged: a 2-core CI machine under this flood is slow, not broken.
hslow=$(awk '$2 >= 1.0' "$TMP/health" | wc -l)
hmax=$(awk '{print $2}' "$TMP/health" | sort -n | tail -n 1)
[ "$hslow" = 0 ] && pass "health: each within a second under the flood (p99 ${p99} ms, slowest ${hmax}s)" ||
    fail "health: each within a second under the flood" "$hslow of $n took 1 s or more (slowest ${hmax}s)"

# nginx's per-API limits: over them, its 413 in the one error shape; under them, the app's answer.
http POST /api/logs/v1/retention -H 'Content-Type: application/json' --data-binary @"$TMP/1mb"
check_error "logs: a 1 MB body is refused by nginx (16 KiB)" 413 body_too_large
http POST /api/monitoring/v1/targets -H 'Content-Type: application/json' --data-binary @"$TMP/1mb"
check_error "monitoring: a 1 MB body is refused by nginx (128 KiB)" 413 body_too_large
head -c 1100000 /dev/zero | tr '\0' A >"$TMP/1.1mb"
http POST /api/client/v1/runs -H 'Content-Type: application/json' --data-binary @"$TMP/1.1mb"
check_error "client: 1.1 MB is refused by nginx (1 MiB)" 413 body_too_large
http PUT /api/server/v1/services/1/collections/c/points -H 'Content-Type: application/json' \
    --data-binary @"$TMP/1.1mb"
check_error "server: a points upsert may be larger than 1 MiB (the app answers, 401)" 401 unauthorized
http POST /api/server/v1/services -H 'Content-Type: application/json' --data-binary @"$TMP/1.1mb"
check_error "server: other routes stop at 1 MiB" 413 body_too_large
http GET /api/server/v1/health -H 'Content-Type: application/json' --data-binary @"$TMP/1mb"
check "a public GET with a 1 MB body answers" 200

finish
