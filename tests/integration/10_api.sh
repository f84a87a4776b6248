#!/usr/bin/env bash
# The API through nginx against the real apps and PostgreSQL: health and ready on all four apps,
# the dispatcher's answers (404, 405 + Allow, 413, 415, 400, 401, 403) in the one error shape,
# and a success and an error case for every route.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

READ=$(new_token read)
OPERATE=$(new_token operate)
ADMIN=$(new_token admin)
[ -n "$READ" ] && [ -n "$OPERATE" ] && [ -n "$ADMIN" ] && pass "tokens made by scripts/stack token" ||
    fail "tokens made by scripts/stack token" "got '$READ' '$OPERATE' '$ADMIN'"

for app in server client monitoring logs; do
    http GET "/api/$app/v1/health"
    check "$app health 200" 200
    check_json "$app health names the app" ".status == \"ok\" and .app == \"$app\""
    http GET "/api/$app/v1/ready"
    check "$app ready 200" 200
    check_json "$app ready at schema head" '.status == "ready" and .schema_version >= 1'
    http GET "/api/$app/v1/metrics"
    check "$app metrics 200" 200
    grep -q '^aifb_http_requests_total{' <<<"$BODY" && pass "$app metrics has request counters" ||
        fail "$app metrics has request counters" "${BODY:0:200}"
    http GET "/api/$app/v1/no-such-thing"
    check_error "$app unknown path 404" 404 not_found
done

# The dispatcher's answers, in the one shape.
http POST /api/server/v1/health
check_error "wrong method 405" 405 method_not_allowed
check_header "405 carries Allow" allow "GET, HEAD"
http DELETE /api/server/v1/tokens -H "Authorization: Bearer $ADMIN"
check_error "405 on a route with GET and POST" 405 method_not_allowed
check_header "Allow lists every method of the path" allow "GET, HEAD, POST"
http HEAD /api/server/v1/health
check "HEAD of a GET route" 200
http GET /api/server/v1/services/
check_error "trailing slash: same route, auth first" 401 unauthorized

big=$(head -c 20000 /dev/zero | tr '\0' 'x')
auth "$ADMIN" POST /api/server/v1/tokens -H 'Content-Type: application/json' --data "{\"name\":\"$big\"}"
check_error "body over the route's limit 413" 413 body_too_large
head -c 20000000 /dev/zero >"$TMP/huge"
auth "$ADMIN" POST /api/server/v1/tokens -H 'Content-Type: application/json' --data-binary "@$TMP/huge"
check_error "body over nginx's limit 413" 413 body_too_large
auth "$ADMIN" POST /api/server/v1/tokens -H 'Content-Type: application/json' --data '{"name": "x", "role":'
check_error "malformed JSON 400" 400 invalid_json
check_detail "invalid_json says where" "line 1"
auth "$ADMIN" POST /api/server/v1/tokens -H 'Content-Type: application/json' --data '[1,2]'
check_error "JSON that is not an object 400" 400 invalid_json
auth "$ADMIN" POST /api/server/v1/tokens -H 'Content-Type: text/plain' --data '{"name":"x","role":"read"}'
check_error "wrong content type 415" 415 unsupported_media_type
auth "$ADMIN" POST /api/server/v1/tokens -H 'Content-Type: application/json' --data '{"name":"x","role":"root"}'
check_error "enum out of range 400" 400 invalid_input
check_detail "400 names the field" "field=role"
auth "$ADMIN" POST /api/server/v1/tokens -H 'Content-Type: application/json' --data '{"role":"read"}'
check_error "missing field 400" 400 invalid_input
check_detail "missing field named" "field=name"
auth "$ADMIN" POST /api/server/v1/tokens -H 'Content-Type: application/json' --data '{"name":"x","role":"read","admin":true}'
check_error "unknown field 400" 400 invalid_input
check_detail "unknown field named" "field=admin"

# Authentication and roles.
http GET /api/server/v1/services
check_error "no token 401" 401 unauthorized
http GET /api/server/v1/services -H 'Authorization: Bearer aifb_0000000000000000000000000000000000000000000000000000000000000000'
check_error "unknown token 401" 401 unauthorized
http GET /api/server/v1/services -H 'Authorization: Basic dXNlcjpwYXNz'
check_error "not a bearer token 401" 401 unauthorized
auth "$READ" POST /api/monitoring/v1/targets -H 'Content-Type: application/json' --data '{"kind":"other","address":"127.0.0.1:9"}'
check_error "read token on an operate route 403" 403 forbidden
auth "$OPERATE" POST /api/server/v1/tokens -H 'Content-Type: application/json' --data '{"name":"x","role":"read"}'
check_error "operate token on an admin route 403" 403 forbidden

# server: tokens
auth "$ADMIN" POST /api/server/v1/tokens -H 'Content-Type: application/json' --data '{"name":"made-by-api","role":"read","expires_in_s":3600}'
check "tokens create 201" 201
check_json "token shown once, with its role" '.role == "read" and (.token | test("^aifb_[0-9a-f]{64}$"))'
NEW=$(jq -r .token <<<"$BODY")
NEW_ID=$(jq -r .id <<<"$BODY")
auth "$NEW" GET /api/server/v1/services
check "a token made through the API works" 200
auth "$ADMIN" GET "/api/server/v1/tokens?limit=500"
check "tokens list 200" 200
check_json "tokens list never shows hashes or tokens" "(.tokens | length >= 4) and ([.tokens[] | has(\"token_sha256\") or has(\"token\")] | any | not)"
auth "$ADMIN" GET "/api/server/v1/tokens?limit=0"
check_error "tokens list limit out of range 400" 400 invalid_input
check_detail "limit named" "field=limit"
auth "$ADMIN" GET "/api/server/v1/tokens?colour=red"
check_error "unknown query parameter 400" 400 invalid_input
check_detail "unknown query parameter named" "field=colour"
auth "$ADMIN" DELETE "/api/server/v1/tokens/$NEW_ID"
check "tokens revoke 200" 200
check_json "revoked_at set" '.revoked_at != null'
wait_for 8 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $NEW' $BASE/api/server/v1/services)\" = 401 ]" &&
    pass "a revoked token stops working within the cache time" || fail "a revoked token stops working" "still accepted"
auth "$ADMIN" DELETE /api/server/v1/tokens/999999999
check_error "revoke unknown token 404" 404 token_not_found
auth "$ADMIN" DELETE /api/server/v1/tokens/abc
check_error "non-numeric id 400" 400 invalid_input
check_detail "id named" "field=id"

# server: services (rows are made by the cluster issue; the table is read here)
auth "$READ" GET "/api/server/v1/services?state=running&limit=10"
check "services list 200" 200
check_json "services list is an array" '.services | type == "array"'
auth "$READ" GET "/api/server/v1/services?state=sleeping"
check_error "services list bad state 400" 400 invalid_input
auth "$READ" GET /api/server/v1/services/424242
check_error "services get unknown 404" 404 service_not_found

# client: runs
auth "$READ" GET "/api/client/v1/runs?since=2026-01-01T00:00:00Z&limit=5"
check "runs list 200" 200
check_json "runs list is an array" '.runs | type == "array"'
auth "$READ" GET "/api/client/v1/runs?since=yesterday"
check_error "runs list bad time 400" 400 invalid_input
check_detail "since named" "field=since"
auth "$READ" GET /api/client/v1/runs/424242
check_error "runs get unknown 404" 404 run_not_found

# logs: files
auth "$READ" GET "/api/logs/v1/files?category=vllm"
check "files list 200" 200
check_json "files list is an array" '.files | type == "array"'
auth "$READ" GET "/api/logs/v1/files?category=%2e%2e%2f"
check_error "files list bad category 400" 400 invalid_input
auth "$READ" GET /api/logs/v1/files/424242
check_error "files get unknown 404" 404 log_file_not_found

# monitoring: targets
addr="127.0.0.1:$((20000 + RANDOM % 20000))"
auth "$OPERATE" POST /api/monitoring/v1/targets -H 'Content-Type: application/json' \
    --data "{\"kind\":\"exporter\",\"address\":\"$addr\",\"labels\":{\"gpu_host\":\"n1\"}}"
check "targets create 201" 201
check_json "target stored with default path" ".address == \"$addr\" and .metrics_path == \"/metrics\" and .labels.gpu_host == \"n1\""
TID=$(jq -r .id <<<"$BODY")
auth "$OPERATE" POST /api/monitoring/v1/targets -H 'Content-Type: application/json' --data "{\"kind\":\"exporter\",\"address\":\"$addr\"}"
check_error "targets create duplicate 409" 409 conflict
auth "$OPERATE" POST /api/monitoring/v1/targets -H 'Content-Type: application/json' --data '{"kind":"exporter","address":"$(touch /tmp/x):1"}'
check_error "targets create bad address 400" 400 invalid_input
check_detail "address named" "field=address"
for bad in 99999 0 65536 00080; do
    auth "$OPERATE" POST /api/monitoring/v1/targets -H 'Content-Type: application/json' \
        --data "{\"kind\":\"exporter\",\"address\":\"127.0.0.1:$bad\"}"
    check_error "targets create with port $bad: 400" 400 invalid_input
    check_detail "port $bad: address named" "field=address"
done
auth "$OPERATE" POST /api/monitoring/v1/targets -H 'Content-Type: application/json' --data '{"kind":"exporter","address":"h:65535"}'
check "targets create with port 65535: 201" 201
auth "$OPERATE" DELETE "/api/monitoring/v1/targets/$(jq -r .id <<<"$BODY")"
auth "$OPERATE" POST /api/monitoring/v1/targets -H 'Content-Type: application/json' --data '{"kind":"exporter","address":"h:1","labels":{"bad-name":"x"}}'
check_error "targets create bad label name 400" 400 invalid_input
check_detail "label named" "field=labels[bad-name]"
auth "$OPERATE" POST /api/monitoring/v1/targets -H 'Content-Type: application/json' --data '{"kind":"exporter","address":"h:1","service_id":424242}'
check_error "targets create unknown service 400" 400 invalid_input
auth "$READ" GET "/api/monitoring/v1/targets?kind=exporter"
check "targets list 200" 200
check_json "targets list has it" "[.targets[].id] | index($TID) != null"
auth "$READ" GET "/api/monitoring/v1/targets/$TID"
check "targets get 200" 200
auth "$READ" GET /api/monitoring/v1/targets/http_sd
check "targets http_sd 200" 200
check_json "http_sd has the target with its labels" "[.[] | select(.targets == [\"$addr\"]) | .labels | .gpu_host == \"n1\" and .__metrics_path__ == \"/metrics\"] == [true]"
http GET /api/monitoring/v1/targets/http_sd
check_error "targets http_sd needs a token" 401 unauthorized
auth "$READ" DELETE "/api/monitoring/v1/targets/$TID"
check_error "targets delete with read token 403" 403 forbidden
auth "$OPERATE" DELETE "/api/monitoring/v1/targets/$TID"
check "targets delete 204" 204
auth "$OPERATE" DELETE "/api/monitoring/v1/targets/$TID"
check_error "targets delete again 404" 404 target_not_found
auth "$READ" GET "/api/monitoring/v1/targets/$TID"
check_error "targets get deleted 404" 404 target_not_found

# The one list of job states: C's (job_state.def) and SQL's (job_states()) are the same, in order,
# with the same terminal ones; the routes' ?state= takes exactly those.
DSN=$(sed -n 's/^db.dsn *= *//p' "$(readlink -f "$ROOT/var")/aifb.conf" | tail -n 1)
c_states=$(sed -nE 's/^JOB_STATE\([A-Z_]+, "([a-z_]+)", (true|false)\)$/\1 \2/p' "$ROOT/lib/job_state.def")
sql_states=$(psql "$DSN" -XAt -F ' ' -c "SELECT state, CASE WHEN terminal THEN 'true' ELSE 'false' END
    FROM job_states() WITH ORDINALITY AS s(state, terminal, n) ORDER BY n")
[ -n "$c_states" ] && [ "$c_states" = "$sql_states" ] && pass "job states: C and SQL name the same states, terminal alike" ||
    fail "job states: C and SQL agree" "C: $(tr '\n' ',' <<<"$c_states") SQL: $(tr '\n' ',' <<<"$sql_states")"
odd=$(psql "$DSN" -XAt -c "SELECT string_agg(state, ',') FROM job_states()
    WHERE job_state_terminal(state) IS DISTINCT FROM terminal")
[ -z "$odd" ] && [ -z "$(psql "$DSN" -XAt -c "SELECT job_state_terminal('suspended')")" ] &&
    pass "job_state_terminal() agrees with job_states(), and knows no other state" || fail "job_state_terminal" "differs on: $odd"
for st in $(cut -d' ' -f1 <<<"$c_states"); do
    auth "$READ" GET "/api/client/v1/runs?state=$st&limit=1"
    [ "$STATUS" = 200 ] || fail "runs?state=$st" "status $STATUS"
done
pass "runs?state= takes every state of the list"
auth "$READ" GET "/api/server/v1/services?state=suspended"
check_error "services?state= refuses a name outside the list" 400 invalid_input
# A run that ended "unknown" has ended: its energy is not "measured once it has ended".
urid=$(psql "$DSN" -XAt -c "INSERT INTO runs (name, target_url, state, ended_at) VALUES ('t10-unknown',
    'http://127.0.0.1:1', 'unknown', now()) RETURNING id" | head -n 1)
auth "$READ" GET "/api/monitoring/v1/runs/$urid/energy"
check_error "the energy of a run that ended unknown: no data, not 'not ended'" 409 no_energy_data
psql "$DSN" -XAtq -c "DELETE FROM runs WHERE id = $urid"
psql "$DSN" -XAtq -c "INSERT INTO runs (name, state) VALUES ('t10-bad', 'suspended')" 2>/dev/null &&
    fail "a state outside the list is refused by SQL" "inserted" || pass "a state outside the list is refused by SQL's CHECK"

# Every answer counted: the error counter moved.
http GET /api/server/v1/metrics
grep -qE '^aifb_errors_total\{code="unauthorized"\} [1-9]' <<<"$BODY" && pass "errors counted by code" ||
    fail "errors counted by code" "no unauthorized count"
grep -qE '^aifb_http_request_duration_seconds_bucket\{route="/api/server/v1/health",method="GET",le="\+Inf"\} [1-9]' <<<"$BODY" &&
    pass "latency histogram per route" || fail "latency histogram per route" "no health bucket"

finish
