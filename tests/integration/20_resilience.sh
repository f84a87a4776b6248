#!/usr/bin/env bash
# What happens when parts of the stack die: PostgreSQL stopped and started again under running
# apps, a worker killed with -9, nginx and an app master killed with -9 and brought back by `up`.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
STACK="$ROOT/scripts/stack"
RUN=$(readlink -f "$ROOT/var")/run

code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE$1"; }
master() { cat "$RUN/$1.pid"; }
workers() { pgrep -P "$(master "$1")" | sort | tr '\n' ' '; }
ready_is() { [ "$(code "/api/$1/v1/ready")" = "$2" ]; }

apps=(server client monitoring logs)
declare -A before_masters before_workers
for a in "${apps[@]}"; do
    before_masters[$a]=$(master "$a")
    before_workers[$a]=$(workers "$a")
done

# PostgreSQL stopped: ready turns 503 within a second, health stays 200, nothing dies.
"$STACK" down postgres >/dev/null 2>&1
t0=$(date +%s%N)
for a in "${apps[@]}"; do
    if wait_for 1 ready_is "$a" 503; then
        pass "$a ready 503 within 1 s of PostgreSQL stopping"
    else
        fail "$a ready 503 within 1 s" "got $(code "/api/$a/v1/ready")"
    fi
done
echo "  (all four answered 503 after $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
http GET /api/server/v1/ready
check_error "ready's 503 is the error document" 503 db_unavailable
for a in "${apps[@]}"; do
    [ "$(code "/api/$a/v1/health")" = 200 ] && pass "$a health 200 without PostgreSQL" || fail "$a health" "not 200"
done
http GET /api/server/v1/services -H "Authorization: Bearer aifb_$(printf '%064d' 7)"
check_error "a route needing the database answers 503 while it is down" 503 db_unavailable
for a in "${apps[@]}"; do
    [ "$(master "$a")" = "${before_masters[$a]}" ] && [ "$(workers "$a")" = "${before_workers[$a]}" ] &&
        pass "$a: no process died" || fail "$a: no process died" "workers ${before_workers[$a]} -> $(workers "$a")"
done

# PostgreSQL back: ready 200 again without restarting the apps.
"$STACK" up >/dev/null 2>&1 || fail "stack up after postgres" "exit $?"
for a in "${apps[@]}"; do
    wait_for 10 ready_is "$a" 200 && pass "$a ready 200 again" || fail "$a ready 200 again" "$(code "/api/$a/v1/ready")"
    [ "$(master "$a")" = "${before_masters[$a]}" ] && pass "$a master not restarted" || fail "$a master" "restarted"
done

# kill -9 of a worker: the next request succeeds, and the master starts another.
victim=$(pgrep -P "$(master server)" | head -n 1)
n_before=$(pgrep -P "$(master server)" | wc -l)
kill -9 "$victim"
[ "$(code /api/server/v1/health)" = 200 ] && pass "request right after a worker's kill -9 succeeds" ||
    fail "request after worker kill" "not 200"
wait_for 3 bash -c "[ \$(pgrep -P $(master server) | wc -l) -eq $n_before ] && ! pgrep -P $(master server) | grep -qx $victim" &&
    pass "the master replaced the dead worker" || fail "worker replaced" "$(workers server)"
ok=1
for _ in $(seq 50); do [ "$(code /api/server/v1/health)" = 200 ] || ok=0; done
[ $ok = 1 ] && pass "50 requests after the restart all succeed" || fail "requests after restart" "some failed"
http GET /api/server/v1/metrics
grep -qE '^aifb_worker_restarts_total [1-9]' <<<"$BODY" && pass "restart counted in metrics" || fail "restart counted" "no"

# kill -9 of nginx: status says so, up brings it back.
kill -9 "$(cat "$RUN/nginx.pid")"
sleep 0.2
out=$("$STACK" status 2>&1)
rc=$?
[ $rc -ne 0 ] && grep -E '^nginx' <<<"$out" | grep -q DOWN && pass "status reports nginx down" ||
    fail "status reports nginx down" "rc=$rc: $out"
"$STACK" up >/dev/null 2>&1
[ "$(code /api/server/v1/health)" = 200 ] && pass "up brings nginx back" || fail "up brings nginx back" "no"

# kill -9 of an app master: its workers go too, status says so, up brings it back.
m=$(master client)
kill -9 "$m"
wait_for 3 bash -c "! pgrep -P $m >/dev/null" && pass "workers leave with their master" || fail "workers leave" "$(pgrep -P "$m")"
out=$("$STACK" status 2>&1)
rc=$?
[ $rc -ne 0 ] && grep -E '^client' <<<"$out" | grep -q DOWN && pass "status reports the client app down" ||
    fail "status reports client down" "rc=$rc: $out"
[ "$(code /api/client/v1/health)" = 502 ] && pass "nginx answers 502 for a dead app" || fail "502 for dead app" "$(code /api/client/v1/health)"
http GET /api/client/v1/health
check_error "nginx's 502 is the error document" 502 upstream_unavailable
"$STACK" up >/dev/null 2>&1
[ "$(code /api/client/v1/health)" = 200 ] && pass "up brings the client app back" || fail "up brings client back" "no"
# TERM (what `down` sends): the master stops its workers, removes its socket and exits cleanly.
m=$(master logs)
ws=$(workers logs)
"$STACK" down logs >/dev/null 2>&1
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
all_gone=1
for p in $m $ws; do gone "$p" || all_gone=0; done
[ $all_gone = 1 ] && pass "TERM stops the master and its workers" || fail "TERM stops everything" "left: $m $ws"
[ ! -e "$RUN/logs.sock" ] && pass "TERM removes the socket" || fail "TERM removes the socket" "still there"
tail -n 3 "$(readlink -f "$ROOT/var")/log/aifb-logs.log" | grep -q 'stopped' && pass "the master logs a clean stop" ||
    fail "clean stop logged" "$(tail -n 3 "$(readlink -f "$ROOT/var")/log/aifb-logs.log")"
"$STACK" up >/dev/null 2>&1
"$STACK" status >/dev/null 2>&1 && pass "status all up again" || fail "status all up" "$("$STACK" status 2>&1)"

finish
