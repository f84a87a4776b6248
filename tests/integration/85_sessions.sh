#!/usr/bin/env bash
# Monitoring sessions: a window over services and runs, created only when the window, the ids and the
# step hold up, listed, read with the seconds left, stopped, closed by the periodic work when its end
# has come, deleted. (Collection into PostgreSQL comes with the rest of issue 5.)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
VAR=$(readlink -f "$ROOT/var")
DSN=$(sed -n 's/^db\.dsn *= *//p' "$VAR/aifb.conf" | tail -n 1)
sql() { psql "$DSN" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
READ=$(new_token read)
OP=$(new_token operate)
J='Content-Type: application/json'
M=/api/monitoring/v1

# a service and a run row to watch (the table rows suffice: a session only names them)
SVC=$(sql "INSERT INTO services (name, recipe, config) VALUES ('sess-svc', 'simllm', '{}') RETURNING id" | head -n 1)
RUN=$(sql "INSERT INTO runs (name) VALUES ('sess-run') RETURNING id" | head -n 1)
rows_before=$(sql "SELECT count(*) FROM monitoring_sessions")

refuse() { # refuse NAME BODY FIELD
    auth "$OP" POST "$M/sessions" -H "$J" --data "$2"
    check_error "$1: 400" 400 invalid_input
    check_detail "$1: names $3" "field=$3"
}
refuse "a window in the future" "{\"label\":\"f\",\"starts_at\":\"2099-01-01T00:00:00Z\",\"duration_s\":60}" starts_at
refuse "end before start" "{\"label\":\"e\",\"starts_at\":\"2026-01-02T00:00:00Z\",\"ends_at\":\"2026-01-01T00:00:00Z\"}" ends_at
refuse "an unknown service" "{\"label\":\"u\",\"duration_s\":60,\"services\":[$SVC, 999999]}" services
refuse "an unknown run" "{\"label\":\"u\",\"duration_s\":60,\"runs\":[999999]}" runs
refuse "a service id that is not one" "{\"label\":\"u\",\"duration_s\":60,\"services\":[\"x\"]}" "services[0]"
refuse "a step of zero" "{\"label\":\"s\",\"duration_s\":60,\"step_s\":0}" step_s
refuse "a duration of zero" "{\"label\":\"d\",\"duration_s\":0}" duration_s
refuse "neither end nor duration" "{\"label\":\"n\"}" ends_at
refuse "an impossible date" "{\"label\":\"i\",\"starts_at\":\"2026-02-30T00:00:00Z\",\"duration_s\":5}" starts_at
[ "$(sql "SELECT count(*) FROM monitoring_sessions")" = "$rows_before" ] && pass "no refusal left a row" ||
    fail "refusals left rows" "$(sql "SELECT count(*) FROM monitoring_sessions")"
auth "$READ" POST "$M/sessions" -H "$J" --data '{"label":"r","duration_s":5}'
check_error "a read token may not create sessions" 403 forbidden

auth "$OP" POST "$M/sessions" -H "$J" --data "{\"label\":\"bench run 1\",\"duration_s\":3,\"step_s\":0.5,\"services\":[$SVC],\"runs\":[$RUN]}"
check "create 201" 201
check_json "active, step 0.5, watching the service and the run, about 3 s left" \
    ".state == \"active\" and .step_s == 0.5 and .watch == {\"services\": [$SVC], \"runs\": [$RUN]} and .seconds_left > 2 and .seconds_left <= 3"
S1=$(jq -r .id <<<"$BODY")
auth "$OP" POST "$M/sessions" -H "$J" --data '{"label":"long","duration_s":3600}'
S2=$(jq -r .id <<<"$BODY")
auth "$OP" POST "$M/sessions" -H "$J" --data '{"label":"past","starts_at":"2026-01-01T00:00:00Z","ends_at":"2026-01-01T01:00:00Z"}'
check_json "a window wholly in the past is closed at once" '.state == "closed" and .seconds_left == 0'
S3=$(jq -r .id <<<"$BODY")

auth "$READ" GET "$M/sessions?state=active"
check_json "list filters by state" "[.sessions[].id] | contains([$S1, $S2]) and (index($S3) | not)"
auth "$READ" GET "$M/sessions/$S2"
check_json "get: the seconds left" '.seconds_left > 3590'
closed() { [ "$(curl -s -H "Authorization: Bearer $READ" "$BASE$M/sessions/$S1" | jq -r .state)" = closed ]; }
wait_for 10 closed && pass "the window closes by itself once its end has come" || fail "close at the end" "still active"
auth "$OP" POST "$M/sessions/$S2/stop"
check "stop 200" 200
check_json "stopped: closed, ending now" '.state == "closed" and .seconds_left == 0'
auth "$OP" POST "$M/sessions/$S2/stop"
check_error "stopping it again 409" 409 session_state_conflict
auth "$OP" DELETE "$M/sessions/$S3"
check "delete 204" 204
auth "$READ" GET "$M/sessions/$S3"
check_error "a deleted session is gone" 404 session_not_found
auth "$OP" POST "$M/sessions/999999/stop"
check_error "stop of an unknown session 404" 404 session_not_found

sql "DELETE FROM monitoring_sessions WHERE id IN ($S1, $S2); DELETE FROM runs WHERE id = $RUN; DELETE FROM services WHERE id = $SVC" >/dev/null
finish
