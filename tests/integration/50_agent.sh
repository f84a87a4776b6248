#!/usr/bin/env bash
# aifb-agent on the embedded cluster's login node, called over SSH as the cluster user exactly as the
# server calls it: version and recipes; a simllm job from pending to running with a ready endpoint
# that answers; status of many ids in one call; cancel; a job whose service fails; hostile values in
# every string parameter of simllm and in job_name and partition (refused with 400 naming the field,
# or passed through only inside single quotes, and no canary file ever made); the error answers.
# Installs the agent with scripts/agent-install when the cluster's copy is missing or older than the
# build's. Needs `scripts/stack up` (as root). Cancels every job it started.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
VAR=$(readlink -f "$ROOT/var")
CONF=$VAR/aifb.conf
BIN=${AIFB_BIN:-$ROOT/build/bin}
TAG=aifb-t50-$$
CANARY=/tmp/CANARY_$TAG
JOBS=()

conf() { sed -n -E "s/^[[:space:]]*${1//./\\.}[[:space:]]*=[[:space:]]*//p" "$CONF" | tail -n 1 | sed -E 's/[[:space:]]+$//'; }

status=$("$ROOT/scripts/stack" status 2>&1)
if ! grep -qE '^slurmctld  up ' <<<"$status" || ! grep -qE '^sshd  up ' <<<"$status" || [ ! -r "$CONF" ]; then
    fail "cluster up" "slurmctld and sshd must run: scripts/stack up"
    finish
    exit
fi
CUSER=$(conf cluster.user)
AGENT=$(conf cluster.agent)
AGENT=${AGENT:-.aifb/bin/aifb-agent}
SSH=(ssh -F /dev/null -i "$(conf cluster.key)" -o UserKnownHostsFile="$(conf cluster.known_hosts)"
    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5
    -p "$(conf cluster.port)" "$CUSER@$(conf cluster.host)")
CHOME=$(getent passwd "$CUSER" | cut -d: -f6)
STATE=$CHOME/.aifb/state

ensure_agent "$CHOME/$AGENT" "$BIN"

# agent [ARGS...]: runs the agent over SSH with stdin from $IN (empty by default); sets BODY and RC.
IN=
agent() {
    BODY=$(printf '%s' "$IN" | "${SSH[@]}" "$AGENT" "$@" 2>"$TMP/agent.err")
    RC=$?
    IN=
}
# submit JSON: submits; sets JOB (the id, or empty) and records it for the cleanup.
submit() {
    IN=$1
    agent submit
    JOB=$(jq -r '.job_id // empty' <<<"$BODY" 2>/dev/null)
    [ -n "$JOB" ] && JOBS+=("$JOB")
}
cleanup() {
    if [ "${#JOBS[@]}" -gt 0 ]; then
        for j in "${JOBS[@]}"; do "${SSH[@]}" "$AGENT" cancel "$j" >/dev/null 2>&1; done
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# check_ok NAME JQ: exit status 0, one JSON object satisfying JQ.
check_ok() {
    if [ "$RC" = 0 ] && jq -e "$2" >/dev/null 2>&1 <<<"$BODY"; then
        pass "$1"
    else
        fail "$1" "rc $RC: ${BODY:0:300} $(head -c 200 "$TMP/agent.err")"
    fi
}
# check_agent_error NAME RC CODE [DETAIL]: the error shape with this code (and detail prefix), exit RC.
check_agent_error() {
    if [ "$RC" = "$2" ] && jq -e --arg c "$3" --arg d "${4:-}" '
        (keys == ["detail", "error", "hint", "request_id"]) and .error == $c and (.hint | length > 0)
        and .request_id == "" and (.detail | startswith($d))' >/dev/null 2>&1 <<<"$BODY"; then
        pass "$1"
    else
        fail "$1" "rc $RC, want $2 with error=$3 detail=${4:-}...: ${BODY:0:300}"
    fi
}
# wait_state ID STATE SECONDS: polls status until the job is in STATE.
wait_state() {
    local deadline=$((SECONDS + $3))
    while :; do
        agent status "$1"
        [ "$(jq -r '.jobs[0].state' <<<"$BODY" 2>/dev/null)" = "$2" ] && return 0
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.3
    done
}
# sq VALUE: VALUE as the agent quotes it.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# -- version and recipes
agent version
check_ok "version" '. == {"version": "0.1.0", "protocol": 1}'
agent recipes
check_ok "recipes lists the five" '[.recipes[].name] == ["loadgen", "qdrant", "simllm", "vllm", "vllm-replicas"]'
check_ok "recipes: gpus, kinds and typed params" '[.recipes[] | .gpus] == [false, false, false, true, true] and
    (.recipes[2].params.model | .type == "string" and .required == false and .default == "aifb/sim-model") and
    (.recipes[3].params.model.required) and (.recipes[1].kind == "vector-db") and (.recipes[0].kind == "loadgen")'
agent recipe vllm
check_ok "recipe vllm" '.name == "vllm" and .params.tensor_parallel_size.max == 8 and .params.dtype.type == "enum"'
agent recipe nope
check_agent_error "recipe nope: 404" 1 recipe_not_found "recipe=nope"

# -- a simllm job whose model holds every shell metacharacter: pending -> running -> answers
MODEL="m-$TAG \$(touch $CANARY)\`touch $CANARY\`;|&<>'\"../*?~!#{}"
submit "$(jq -cn --arg m "$MODEL" --arg n "$TAG-ok" \
    '{recipe: "simllm", params: {model: $m, ttft_ms: 5}, job_name: $n, time_limit: "00:05:00"}')"
OK=$JOB
check_ok "submit simllm" '.recipe == "simllm" and .state == "pending" and (.job_id | type) == "number"'
check_ok "submit answers its job name" ".job_name == \"$TAG-ok\""
if wait_state "$OK" running 60; then pass "simllm job reaches running"; else fail "simllm job reaches running" "$BODY"; fi
check_ok "running: node and endpoint" '.jobs[0] | .slurm_state == "RUNNING" and .node != null and
    (.endpoint.port | type) == "number" and .exit_code == null'
HOSTP=$(jq -r '.jobs[0].endpoint | "\(.host):\(.port)"' <<<"$BODY")
agent endpoint "$OK"
check_ok "endpoint: ready" ".ready == true and .job_id == $OK and \"\(.host):\(.port)\" == \"$HOSTP\""
models=$(curl -s --max-time 5 "http://$HOSTP/v1/models")
if jq -e --arg m "$MODEL" '.data[0].id == $m' >/dev/null 2>&1 <<<"$models"; then
    pass "the service answers /v1/models with the model name intact"
else
    fail "the service answers /v1/models with the model name intact" "${models:0:300}"
fi
script=$("${SSH[@]}" cat ".aifb/state/jobs/$OK/script.sh")
if grep -qF -- "--model $(sq "$MODEL")" <<<"$script"; then pass "script: model single-quoted"; else
    fail "script: model single-quoted" "$(grep -n -- --model <<<"$script")"
fi
perm=$(stat -c %a "$STATE/jobs/$OK/script.sh" "$STATE/jobs/$OK" 2>&1 | tr '\n' ' ')
[ "$perm" = "700 700 " ] && pass "job folder and script are 0700" || fail "job folder and script are 0700" "$perm"

# -- a job whose service cannot start: the SSH server holds its port on this node
submit '{"recipe": "simllm", "params": {"port": '"$(conf cluster.port)"'}, "job_name": "'"$TAG"'-bad", "time_limit": "00:05:00"}'
BAD=$JOB
if wait_state "$BAD" failed 60; then pass "failing service: job failed"; else fail "failing service: job failed" "$BODY"; fi
check_ok "failed: SLURM's state, no endpoint" '.jobs[0] | .slurm_state == "FAILED" and .endpoint == null'

# -- hostile values: 400 naming the field, or passed through only inside single quotes
values=(
    "v1-$TAG \$(touch $CANARY)" "v2-$TAG \`touch $CANARY\`" "v3-$TAG; touch $CANARY" "v4-$TAG | touch $CANARY"
    "v5-$TAG'; touch $CANARY; '" "v6-$TAG\"; touch $CANARY; \"" "v7-$TAG/../../etc/passwd"
    "v8-$TAG
touch $CANARY" "v9-$TAG $(head -c 100000 /dev/zero | tr '\0' x)"
)
for field in model bind job_name partition; do
    refused=0 passed=0 wrong=()
    for v in "${values[@]}"; do
        case $field in
        model | bind) req=$(jq -cn --arg f "$field" --arg v "$v" '{recipe: "simllm", params: {($f): $v}}') ;;
        *) req=$(jq -cn --arg f "$field" --arg v "$v" '{recipe: "simllm"} + {($f): $v}') ;;
        esac
        submit "$req"
        want=field=$field
        [ "$field" = model ] || [ "$field" = bind ] && want=field=params.$field
        if [ "$RC" = 1 ] && jq -e --arg w "$want" '.error == "invalid_input" and (.detail | startswith($w))' \
            >/dev/null 2>&1 <<<"$BODY"; then
            refused=$((refused + 1))
        elif [ "$RC" = 0 ] && [ -n "$JOB" ]; then
            s=$("${SSH[@]}" cat ".aifb/state/jobs/$JOB/script.sh")
            "${SSH[@]}" "$AGENT" cancel "$JOB" >/dev/null
            rest=${s//"$(sq "$v")"/}
            if [ "$rest" != "$s" ] && [[ $rest != *"${v:0:6}"* ]]; then passed=$((passed + 1)); else wrong+=("${v:0:40}"); fi
        else
            wrong+=("${v:0:40} rc=$RC ${BODY:0:120}")
        fi
    done
    if [ "${#wrong[@]}" -eq 0 ]; then
        pass "hostile $field: $refused refused naming the field, $passed passed through quoted"
    else
        fail "hostile $field" "${wrong[*]}"
    fi
done
[ "$refused" -eq 9 ] && pass "partition takes none of them" || fail "partition takes none of them" "$refused refused"

# -- errors
IN='{"recipe": "nope"}'
agent submit
check_agent_error "unknown recipe 404" 1 recipe_not_found "recipe=nope"
IN='{"recipe": "vllm", "params": {}}'
agent submit
check_agent_error "missing required param 400" 1 invalid_input "field=params.model: is required"
IN='{"recipe": "simllm", "params": {"max_num_seqs": 0}}'
agent submit
check_agent_error "out of range 400" 1 invalid_input "field=params.max_num_seqs: must be an integer in"
IN='{"recipe": "simllm", "params": {"colour": "red"}}'
agent submit
check_agent_error "unknown param 400" 1 invalid_input "field=params.colour: unknown field"
IN='{"recipe": "simllm", "time_limit": "1 hour"}'
agent submit
check_agent_error "bad time_limit 400" 1 invalid_input "field=time_limit: must match"
IN='{"recipe": "simllm", "params": {"model": "x"'
agent submit
check_agent_error "malformed stdin JSON 400" 1 invalid_json "stdin: line 1"
IN='[1, 2]'
agent submit
check_agent_error "stdin not an object 400" 1 invalid_json
IN='{"recipe": "simllm", "partition": "nosuchpartition"}'
agent submit
check_agent_error "sbatch refuses the caller's partition: invalid_input naming it, with sbatch's line" 1 invalid_input \
    "field=partition: sbatch: error: invalid partition"
pending=$("${SSH[@]}" 'ls .aifb/state/pending | wc -l')
[ "$pending" = 0 ] && pass "failed submits leave no pending folder" || fail "failed submits leave no pending folder" "$pending left"
agent cancel 999999999
check_agent_error "cancel of a job never submitted 404" 1 job_not_found "job_id=999999999"
agent endpoint 999999999
check_agent_error "endpoint of a job never submitted 404" 1 job_not_found
agent status 12x
check_agent_error "status of a non-id 400" 1 invalid_input "field=job_id"
agent frobnicate
check_agent_error "unknown verb: usage, exit 2" 2 usage "unknown verb"
agent status
check_agent_error "status without ids: usage, exit 2" 2 usage

# -- status of many ids in one call, list
ids=("$OK" "$BAD" 999999999 "$OK" "${JOBS[@]}")
agent status "${ids[@]}"
n=$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)
check_ok "status of many ids in one call" "(.jobs | length) == $n and .jobs[0].state == \"running\" and
    .jobs[1].state == \"failed\" and .jobs[2] == {\"job_id\": 999999999, \"state\": \"unknown\", \"slurm_state\": null,
    \"node\": null, \"reason\": null, \"exit_code\": null, \"endpoint\": null}"
agent list
check_ok "list: the newest jobs with recipe and job name" "any(.jobs[]; .job_id == $OK and .recipe == \"simllm\" and
    .job_name == \"$TAG-ok\" and .state == \"running\") and ([.jobs[].job_id] | . == (sort | reverse))"

# -- cancel: cancelled within seconds, endpoint gone
agent cancel "$OK"
check_ok "cancel" ". == {\"job_id\": $OK, \"cancelled\": true}"
if wait_state "$OK" cancelled 10; then pass "cancelled within seconds"; else fail "cancelled within seconds" "$BODY"; fi
agent endpoint "$OK"
check_ok "endpoint after cancel: not ready" ". == {\"job_id\": $OK, \"ready\": false}"
if "${SSH[@]}" test ! -e ".aifb/state/jobs/$OK/endpoint.json"; then pass "endpoint file gone"; else
    fail "endpoint file gone" "still there"
fi
if ! curl -s --max-time 2 "http://$HOSTP/health" >/dev/null; then pass "the service stopped"; else
    fail "the service stopped" "http://$HOSTP still answers"
fi

# -- nothing ran, nothing left
[ ! -e "$CANARY" ] && pass "no canary file" || fail "no canary file" "$CANARY exists"
for j in "${JOBS[@]}"; do "${SSH[@]}" "$AGENT" cancel "$j" >/dev/null 2>&1; done
deadline=$((SECONDS + 15))
while :; do
    agent status "${JOBS[@]}"
    left=$(jq -r '[.jobs[] | select(.state | IN("pending", "starting", "running", "completing"))] | length' <<<"$BODY")
    [ "$left" = 0 ] || [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.5
done
[ "$left" = 0 ] && pass "no job of this suite left in squeue" || fail "no job of this suite left in squeue" "$left left"
JOBS=()
finish
