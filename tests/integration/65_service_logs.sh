#!/usr/bin/env bash
# A service's job log through the API (aifb-agent's `logs` verb over SSH): stdout and stderr of a
# simllm job, a tail of N bytes, refused parameters, unknown services and a service without a job.
# The Qdrant data plane's refusals (Qdrant itself cannot run here: no apptainer): an llm service on a
# vector-db route and a qdrant service on the LLM routes (service_kind_mismatch), a qdrant service that
# is not running (service_not_ready), bad collection names, roles, and the 16 MiB body limit of upserts.
# Cancels its services and waits until their jobs have left squeue.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
VAR=$(readlink -f "$ROOT/var")
# shellcheck source=/dev/null
. "$VAR/cluster.env"

# The agent on the login node must know the logs verb.
"$ROOT/scripts/agent-install" >/dev/null 2>&1 && pass "agent installed on the login node over SSH" ||
    fail "agent-install" "$("$ROOT/scripts/agent-install" 2>&1 | tail -n 3)"
READ=$(new_token read)
OP=$(new_token operate)
J='Content-Type: application/json'
API=/api/server/v1
SIDS=()
JOBS=()

state_is() { # state_is ID STATE
    [ "$(curl -s -H "Authorization: Bearer $READ" "$BASE$API/services/$1" | jq -r .state)" = "$2" ]
}
create() { # create BODY: sets SID and JOB, and records them for the cleanup
    auth "$OP" POST "$API/services" -H "$J" --data "$1"
    SID=$(jq -r '.id // empty' <<<"$BODY")
    JOB=$(jq -r '.slurm_job_id // empty' <<<"$BODY")
    [ -n "$SID" ] && SIDS+=("$SID")
    [ -n "$JOB" ] && JOBS+=("$JOB")
}
# A qdrant service first: it stays pending or fails at once (no apptainer), so it is never running.
create '{"recipe":"qdrant","name":"t65-qdrant","params":{"cpus":1},"time_limit":"00:02:00"}'
check "qdrant service create 201" 201
QID=$SID
create '{"recipe":"simllm","name":"t65-sim","params":{"ttft_ms":1,"itl_ms":1},"time_limit":"00:05:00"}'
check "simllm service create 201" 201
wait_for 30 state_is "$SID" running && pass "simllm service reaches running" ||
    fail "simllm running" "$(curl -s -H "Authorization: Bearer $READ" "$BASE$API/services/$SID" | jq -c .)"

# Its logs: the simulator's start line on stdout, the recipe's lines on stderr.
auth "$READ" GET "$API/services/$SID/logs"
check "logs 200 (role read)" 200
check_json "logs hold aifb-simllm's start line" '.text | contains("aifb-simllm: listening on")'
check_json "logs answer the job, stream out and a path under logs/" \
    "(.service_id == $SID) and (.job_id == $JOB) and .stream == \"out\" and (.path == \"logs/simllm/aifb-svc-$SID-$JOB.out\")"
check_json "a short log is whole: offset 0, not truncated, size its length" \
    '.offset == 0 and .truncated == false and .size == (.text | utf8bytelength)'
auth "$READ" GET "$API/services/$SID/logs?stream=err"
check "logs stream=err 200" 200
check_json "stderr is the .err file and holds the job's lines" \
    '.stream == "err" and (.path | endswith(".err")) and (.text | contains("aifb: ready at"))'
auth "$READ" GET "$API/services/$SID/logs?bytes=10"
check "logs bytes=10 200" 200
check_json "bytes=10: at most 10 bytes, the file's end, truncated" \
    '(.text | utf8bytelength) <= 10 and .truncated == true and .offset > 0 and .offset + (.text | utf8bytelength) == .size'
auth "$READ" GET "$API/services/$SID/logs?bytes=0"
check_error "bytes=0 400" 400 invalid_input
check_detail "bytes=0 names the field" "field=bytes"
auth "$READ" GET "$API/services/$SID/logs?bytes=4194305"
check_error "bytes over 4 MiB 400" 400 invalid_input
auth "$READ" GET "$API/services/$SID/logs?stream=foo"
check_error "stream=foo 400" 400 invalid_input
check_detail "stream=foo names the field" "field=stream"
auth "$READ" GET "$API/services/999999999/logs"
check_error "logs of an unknown service 404" 404 service_not_found
http GET "$API/services/$SID/logs"
check_error "logs without a token 401" 401 unauthorized
# A service whose job was never submitted cannot come from the API (its row is only kept once sbatch
# took the job): one is written straight into the table, ended already so that nothing acts on it.
DSN=$(sed -n -E 's/^[[:space:]]*db\.dsn[[:space:]]*=[[:space:]]*//p' "$VAR/aifb.conf" | tail -n 1)
NOJOB=$(psql "$DSN" -XAtq -c "INSERT INTO services (name, recipe, state) VALUES ('t65-no-job', 'simllm', 'failed') RETURNING id" 2>/dev/null | head -n 1)
auth "$READ" GET "$API/services/${NOJOB:-0}/logs"
check_error "logs of a service without a job 409" 409 service_not_ready

# The Qdrant routes refuse an llm service, whatever the route.
auth "$READ" GET "$API/services/$SID/collections"
check_error "collections of a simllm service 409" 409 service_kind_mismatch
check_detail "the detail names the recipe" "recipe=simllm"
auth "$READ" GET "$API/services/$SID/collections/docs"
check_error "collection get on simllm 409" 409 service_kind_mismatch
auth "$OP" PUT "$API/services/$SID/collections/docs" -H "$J" --data '{"vectors":{"size":4,"distance":"Cosine"}}'
check_error "collection create on simllm 409" 409 service_kind_mismatch
auth "$OP" DELETE "$API/services/$SID/collections/docs"
check_error "collection delete on simllm 409" 409 service_kind_mismatch
auth "$OP" PUT "$API/services/$SID/collections/docs/points" -H "$J" --data '{"points":[{"id":1,"vector":[0.1,0.2,0.3,0.4]}]}'
check_error "points upsert on simllm 409" 409 service_kind_mismatch
auth "$READ" POST "$API/services/$SID/collections/docs/points/search" -H "$J" --data '{"vector":[0.1,0.2,0.3,0.4],"limit":3}'
check_error "points search on simllm 409 (role read)" 409 service_kind_mismatch
# Names, roles, unknown services and the body limit, before anything reaches a service.
auth "$READ" GET "$API/services/$SID/collections/bad.name"
check_error "collection name with a dot 400" 400 invalid_input
check_detail "bad name names the field" "field=name"
auth "$READ" GET "$API/services/$SID/collections/$(printf 'a%.0s' {1..256})"
check_error "collection name of 256 bytes 400" 400 invalid_input
auth "$READ" PUT "$API/services/$SID/collections/docs" -H "$J" --data '{}'
check_error "collection create with a read token 403" 403 forbidden
auth "$READ" DELETE "$API/services/$SID/collections/docs"
check_error "collection delete with a read token 403" 403 forbidden
auth "$READ" GET "$API/services/999999999/collections"
check_error "collections of an unknown service 404" 404 service_not_found
{ printf '{"points":[]}'; head -c $((16 * 1024 * 1024 - 13)) /dev/zero | tr '\0' ' '; } >"$TMP/16m.json"
auth "$OP" PUT "$API/services/$SID/collections/docs/points" -H "$J" --data-binary @"$TMP/16m.json"
check_error "an upsert body of exactly 16 MiB reaches the route (then kind mismatch)" 409 service_kind_mismatch
printf ' ' >>"$TMP/16m.json"
auth "$OP" PUT "$API/services/$SID/collections/docs/points" -H "$J" --data-binary @"$TMP/16m.json"
[ "$STATUS" = 413 ] && jq -e '.error == "body_too_large"' >/dev/null 2>&1 <<<"$BODY" &&
    pass "an upsert body over 16 MiB 413" || fail "upsert over 16 MiB" "status $STATUS: ${BODY:0:200}"
rm -f "$TMP/16m.json"

# A qdrant service: not running, so its data plane is not ready; the LLM routes refuse its kind.
auth "$READ" GET "$API/services/$QID/collections"
check_error "collections of a qdrant service not running 409" 409 service_not_ready
auth "$OP" PUT "$API/services/$QID/collections/docs/points" -H "$J" --data '{"points":[]}'
check_error "upsert to a qdrant service not running 409" 409 service_not_ready
auth "$OP" POST "$API/services/$QID/prompt" -H "$J" --data '{"prompt":"hi"}'
check_error "prompt to a qdrant service 409" 409 service_kind_mismatch
check_detail "the detail names the recipe" "recipe=qdrant"
auth "$READ" GET "$API/services/$QID/models"
check_error "models of a qdrant service 409" 409 service_kind_mismatch

# Cleanup: cancel both, and wait until their jobs have left squeue.
for s in "${SIDS[@]}"; do
    auth "$OP" DELETE "$API/services/$s"
    check "delete service $s" 200
done
gone() {
    local j
    for j in "${JOBS[@]}"; do [ -z "$(squeue -h -j "$j" -o %i 2>/dev/null)" ] || return 1; done
}
wait_for 15 gone && pass "no job of this suite left in squeue" || fail "jobs gone" "$(squeue)"
[ -n "${NOJOB:-}" ] && psql "$DSN" -XAtq -c "DELETE FROM services WHERE id = $NOJOB" >/dev/null 2>&1

finish
