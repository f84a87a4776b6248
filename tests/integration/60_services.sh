#!/usr/bin/env bash
# Services on the real local SLURM cluster, reached by aifb-server over real SSH (libssh2) through
# nginx: recipes, a simllm service from pending to running with its endpoint, prompts (whole and
# streamed), the metrics proxy, http_sd targets, delete, groups of replicas, restarts, jobs
# cancelled outside aifb, refused input, a wrong host key and a stopped sshd.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
STACK="$ROOT/scripts/stack"
VAR=$(readlink -f "$ROOT/var")
# shellcheck source=/dev/null
. "$VAR/cluster.env"

"$ROOT/scripts/agent-install" >/dev/null 2>&1 && pass "agent installed on the login node over SSH" ||
    fail "agent-install" "$("$ROOT/scripts/agent-install" 2>&1 | tail -n 3)"
READ=$(new_token read)
OP=$(new_token operate)
J='Content-Type: application/json'

in_squeue() { [ -n "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]; }
state_is() { # state_is ID STATE
    [ "$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$1" | jq -r .state)" = "$2" ]
}
create() { # create BODY: sets SID and JOB
    auth "$OP" POST /api/server/v1/services -H "$J" --data "$1"
    SID=$(jq -r '.id // empty' <<<"$BODY")
    JOB=$(jq -r '.slurm_job_id // empty' <<<"$BODY")
}

# Recipes come from the agent on the login node.
auth "$READ" GET /api/server/v1/recipes
check "recipes list 200" 200
check_json "recipes has simllm, vllm, vllm-replicas, qdrant" '[.recipes[].name] | contains(["simllm", "vllm", "vllm-replicas", "qdrant"])'
auth "$READ" GET /api/server/v1/recipes/simllm
check "recipe show 200" 200
check_json "recipe declares its parameters" '.params.itl_ms.type != null'
auth "$READ" GET /api/server/v1/recipes/nope
check_error "unknown recipe 404" 404 recipe_not_found
n_jobs=$(squeue -h -o %i | wc -l)
create '{"recipe":"loadgen","params":{"workload":"{}"}}'
check_error "a service from the load generator's recipe: 400" 400 invalid_input
check_detail "it names the recipe" "field=recipe: 'loadgen' is a loadgen recipe"
[ "$(squeue -h -o %i | wc -l)" = "$n_jobs" ] && pass "and submits nothing" || fail "loadgen as a service" "a job was submitted"

# A simllm service: pending, then running with an endpoint.
create '{"recipe":"simllm","name":"it-sim","params":{"ttft_ms":5,"itl_ms":2},"time_limit":"00:10:00"}'
check "services create 201" 201
check_json "created pending with a job" '.state == "pending" and .slurm_job_id > 0'
wait_for 40 state_is "$SID" running && pass "service reaches running (reconciler)" ||
    fail "service reaches running" "$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$SID")"
auth "$READ" GET "/api/server/v1/services/$SID"
check_json "endpoint known" '.endpoint_host != null and .port > 0 and .node != null'
auth "$READ" GET "/api/server/v1/services/$SID/status"
check "status 200" 200
check_json "status has the live job" '.job.state == "running" and .job.slurm_state == "RUNNING"'

auth "$OP" POST "/api/server/v1/services/$SID/prompt" -H "$J" --data '{"prompt":"Hello there","max_tokens":5}'
check "prompt 200" 200
check_json "prompt returns a completion of 5 tokens" '.choices[0].text != null and .usage.completion_tokens == 5'
auth "$OP" POST "/api/server/v1/services/$SID/prompt" -H "$J" --data '{"messages":[{"role":"user","content":"hi"}],"max_tokens":3}'
check_json "chat prompt returns a message" '.choices[0].message.content != null'
auth "$OP" POST "/api/server/v1/services/$SID/prompt" -H "$J" --data '{"prompt":"hi","max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}'
check "streamed prompt 200" 200
[ "$(grep -c '^data: ' <<<"$BODY")" -ge 6 ] && grep -q '^data: \[DONE\]' <<<"$BODY" &&
    pass "streamed prompt passes every SSE event through, to [DONE]" || fail "stream through" "${BODY:0:300}"
grep -q '^content-type: text/event-stream' <<<"$HEADERS" && pass "stream keeps its content type" ||
    fail "stream content type" "$HEADERS"
auth "$OP" POST "/api/server/v1/services/$SID/prompt" -H "$J" --data '{"max_tokens":4}'
check_error "prompt without prompt 400" 400 invalid_input
auth "$READ" GET "/api/server/v1/services/$SID/models"
check_json "models through the tunnel" '.data[0].id != null'
auth "$READ" GET "/api/server/v1/services/$SID/metrics"
check "metrics proxy 200" 200
grep -q '^vllm:num_requests_running' <<<"$BODY" && pass "the service's own metrics come through" ||
    fail "metrics through proxy" "${BODY:0:200}"
auth "$READ" GET /api/server/v1/targets
check_json "targets lists the service for Prometheus" "[.[] | select(.labels.aifb_service_id == \"$SID\") | .labels.__metrics_path__] == [\"/api/server/v1/services/$SID/metrics\"]"

PROM="http://127.0.0.1:${AIFB_PROM_PORT:-9090}"
discovered() {
    curl -s "$PROM/api/v1/targets?state=active" | jq -e --arg id "$SID" '
        [.data.activeTargets[] | select(.labels.job == "aifb-services" and .labels.aifb_service_id == $id
        and .health == "up")] | length == 1' >/dev/null
}
wait_for 25 discovered && pass "Prometheus discovers the service through targets and scrapes it through the proxy" ||
    fail "Prometheus discovers the service" "$(curl -s "$PROM/api/v1/targets" | jq -c '[.data.activeTargets[] | select(.labels.job == "aifb-services") | {labels, health, lastError}]')"

# Apps restarted while it runs: still there, same state.
"$STACK" down server >/dev/null 2>&1
"$STACK" up >/dev/null 2>&1
auth "$READ" GET "/api/server/v1/services/$SID"
check_json "after an app restart the service is listed running" '.state == "running"'

# Delete: the job leaves squeue.
auth "$OP" DELETE "/api/server/v1/services/$SID"
check "delete 200" 200
check_json "deleted service is cancelled" '.state == "cancelled"'
wait_for 10 bash -c "[ -z \"\$(squeue -h -j $JOB -o %i 2>/dev/null)\" ]" && pass "delete leaves no job in squeue" ||
    fail "no job after delete" "$(squeue -j "$JOB")"
slurm_final() { # the row shows SLURM's final state, and no endpoint
    curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$SID" |
        jq -e '.state == "cancelled" and .slurm_state == "CANCELLED" and .port == null and .endpoint_host == null' >/dev/null
}
wait_for 15 slurm_final && pass "after the delete the row shows SLURM's final state (CANCELLED) and no port" ||
    fail "SLURM's final state after a delete" "$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$SID" | jq -c '{state, slurm_state, port, endpoint_host}')"
auth "$OP" POST "/api/server/v1/services/$SID/prompt" -H "$J" --data '{"prompt":"x"}'
check_error "prompt to a cancelled service 409" 409 service_not_ready

# scancel outside aifb: seen within seconds.
create '{"recipe_name":"simllm","config":{"itl_ms":1}}'
check "create with the seed's field names 201" 201
wait_for 40 state_is "$SID" running || true
scancel "$JOB"
wait_for 10 state_is "$SID" cancelled && pass "scancel outside aifb: cancelled within seconds" ||
    fail "external scancel seen" "$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$SID" | jq -c '{state, slurm_state}')"

# A group of two replicas: prompts from both, and still served when one is cancelled by hand.
auth "$OP" POST /api/server/v1/service-groups -H "$J" --data '{"recipe":"simllm","replicas":2,"params":{"itl_ms":1}}'
check "group create 201" 201
GID=$(jq -r .id <<<"$BODY")
mapfile -t MEMBERS < <(jq -r '.services[].id' <<<"$BODY")
mapfile -t JOBS < <(jq -r '.services[].slurm_job_id' <<<"$BODY")
[ "${#MEMBERS[@]}" -eq 2 ] && pass "group has two services" || fail "group members" "$BODY"
for m in "${MEMBERS[@]}"; do wait_for 40 state_is "$m" running || fail "replica $m running" "no"; done
seen=""
for _ in 1 2 3 4; do
    auth "$OP" POST "/api/server/v1/service-groups/$GID/prompt" -H "$J" --data '{"prompt":"hi","max_tokens":2}'
    [ "$STATUS" = 200 ] || fail "group prompt" "$STATUS $BODY"
    seen="$seen $(sed -n 's/^x-aifb-service-id: //p' <<<"$HEADERS")"
done
[ "$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c .)" -eq 2 ] && pass "prompts answered by both replicas" ||
    fail "both replicas answer" "seen:$seen"
scancel "${JOBS[0]}"
ok=1
for _ in 1 2 3 4 5 6; do
    auth "$OP" POST "/api/server/v1/service-groups/$GID/prompt" -H "$J" --data '{"prompt":"hi","max_tokens":2}'
    [ "$STATUS" = 200 ] || ok=0
done
[ $ok = 1 ] && pass "one replica cancelled by hand: prompts still succeed" || fail "failover" "$STATUS $BODY"
# The group read back: the list, the group with its members, the models of its replicas, and 404.
auth "$READ" GET "/api/server/v1/service-groups?limit=5"
check "group list 200" 200
jq -e --argjson g "$GID" 'any(.groups[]?; .id == $g)' <<<"$BODY" >/dev/null && pass "the list holds the group" ||
    fail "group in the list" "$BODY"
auth "$READ" GET "/api/server/v1/service-groups/$GID"
check "group get 200" 200
[ "$(jq -r '.services | length' <<<"$BODY")" = 2 ] && pass "the group lists its two services" || fail "group get" "$BODY"
auth "$READ" GET "/api/server/v1/service-groups/$GID/models"
check "group models 200" 200
jq -e '.data | length > 0' <<<"$BODY" >/dev/null && pass "the group's models come from a running replica" ||
    fail "group models" "$BODY"
auth "$READ" GET "/api/server/v1/service-groups/999999"
check_error "group get of no such group" 404 service_group_not_found
auth "$OP" DELETE "/api/server/v1/service-groups/$GID"
check "group delete 200" 200
wait_for 10 bash -c "[ -z \"\$(squeue -h -j ${JOBS[1]} -o %i 2>/dev/null)\" ]" && pass "group delete cancels its jobs" ||
    fail "group jobs gone" "$(squeue)"

# Refused input: 400 naming the field, nothing submitted.
jobs_before=$(squeue -h -u aifbuser -t all -o %i | wc -l)
create '{"recipe":"nope"}'
check_error "unknown recipe on create 400" 400 invalid_input
check_detail "names the recipe field" "field=recipe"
create '{"recipe":"simllm","params":{"itl_ms":-5}}'
check_error "out-of-range parameter 400" 400 invalid_input
check_detail "names the parameter" "itl_ms"
create '{"recipe":"simllm","params":{"colour":"red"}}'
check_error "unknown parameter 400" 400 invalid_input
create '{"recipe":"simllm","time_limit":"forever"}'
check_error "bad time limit 400" 400 invalid_input
check_detail "names time_limit" "field=time_limit"
canary="/tmp/aifb-canary-$$"
for payload in "\$(touch $canary)" "\`touch $canary\`" "; touch $canary" "| touch $canary" $'a\ntouch '"$canary" "'; touch $canary; '" "../../etc/passwd" "$(head -c 70000 /dev/zero | tr '\0' a)"; do
    for field in model name; do
        if [ "$field" = name ]; then
            body=$(jq -cn --arg v "$payload" '{recipe: "simllm", name: $v}')
        else
            body=$(jq -cn --arg v "$payload" '{recipe: "simllm", params: {model: $v}}')
        fi
        create "$body"
        if [ "$STATUS" = 400 ] || [ "$STATUS" = 413 ]; then
            continue
        elif [ "$STATUS" = 201 ]; then
            auth "$OP" DELETE "/api/server/v1/services/$SID" >/dev/null
        else
            fail "injection into $field" "status $STATUS"
        fi
    done
done
sleep 1
[ ! -e "$canary" ] && pass "no injected command ran (canary absent)" || fail "canary" "$canary exists"
rm -f "$canary"

# A wrong host key: 502 and no job submitted.
jobs_before=$(squeue -h -u aifbuser -t all -o %i | wc -l)
awk '{print $1, "ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIBadBadBadBadBadBadBadBadBadBadBadBadBadBadBadBadB"}' "$VAR/ssh/known_hosts" >"$TMP/bad_known_hosts"
"$STACK" down server >/dev/null 2>&1
AIFB_CLUSTER_KNOWN_HOSTS="$TMP/bad_known_hosts" "$STACK" up >/dev/null 2>&1
create '{"recipe":"simllm"}'
check_error "wrong host key 502" 502 cluster_host_key_mismatch
[ "$(squeue -h -u aifbuser -t all -o %i | wc -l)" -le "$jobs_before" ] && pass "no job submitted with a wrong host key" ||
    fail "no job with wrong key" "$(squeue -u aifbuser)"
"$STACK" down server >/dev/null 2>&1
"$STACK" up >/dev/null 2>&1

# An agent that is not there (the shell says so on stderr): a clear 502 at once, no hang.
"$STACK" down server >/dev/null 2>&1
AIFB_CLUSTER_AGENT=.aifb/bin/no-such-agent "$STACK" up >/dev/null 2>&1
t0=$SECONDS
auth "$READ" GET /api/server/v1/recipes
check_error "missing agent: 502 agent_failed" 502 agent_failed
[ $((SECONDS - t0)) -le 5 ] && pass "missing agent answered within 5 s" || fail "missing agent" "took $((SECONDS - t0)) s"
"$STACK" down server >/dev/null 2>&1
"$STACK" up >/dev/null 2>&1

# sshd stopped: 503; back: it works again without restarting the apps.
"$STACK" down sshd >/dev/null 2>&1
auth "$READ" GET /api/server/v1/recipes
check_error "sshd stopped: 503" 503 cluster_unavailable
"$STACK" up >/dev/null 2>&1
ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $READ" "$BASE/api/server/v1/recipes")" = 200 ]; }
wait_for 10 ok && pass "sshd back: recovered without restarting the apps" || fail "ssh recovery" "still failing"

finish
