#!/usr/bin/env bash
# A row and its SLURM job, both or neither, for services and runs (common/submit.c): sbatch's
# refusal of a partition that does not exist is the caller's 400 naming the field; a connection
# lost at the COMMIT of a submit answers 503 db_outcome_unknown, never retried, and the
# reconciler cancels the job whose row was not committed (from the job's name).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
VAR=$(readlink -f "$ROOT/var")
# shellcheck source=/dev/null
. "$VAR/cluster.env"
DSN=$(sed -n 's/^db.dsn *= *//p' "$VAR/aifb.conf" | tail -n 1)
CUSER=$(sed -n 's/^cluster.user *= *//p' "$VAR/aifb.conf" | tail -n 1)
sql() { PGOPTIONS='-c client_min_messages=warning' psql "$DSN" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
OP=$(new_token operate)
J='Content-Type: application/json'
ensure_agent "$(getent passwd "$CUSER" | cut -d: -f6)/.aifb/bin/aifb-agent" "${AIFB_BIN:-$ROOT/build/bin}"
jobs_now() { squeue -h -u "$CUSER" -o %i | sort; }
slurm_errors() { # slurm_error answers counted by aifb-server and aifb-client
    local app
    for app in server client; do curl -s "$BASE/api/$app/v1/metrics"; done |
        awk '/^aifb_errors_total\{code="slurm_error"\}/ { n += $2 } END { print n + 0 }'
}

echo "== a partition that does not exist: 400 naming it, sbatch's words in detail, nothing made"
before_rows=$(sql "SELECT count(*) FROM services")
before_jobs=$(jobs_now)
before_errors=$(slurm_errors)
auth "$OP" POST /api/server/v1/services -H "$J" --data '{"recipe":"simllm","partition":"nosuchpart","time_limit":"00:02:00"}'
check_error "service: 400" 400 invalid_input
check_detail "service: names partition" "field=partition"
check_detail "service: sbatch says why" "invalid partition"
auth "$OP" POST /api/client/v1/runs -H "$J" --data '{"target":{"url":"http://127.0.0.1:9"},"slurm":{"partition":"nosuchpart"},
    "workload":{"model":"m","requests":1,"prompts":{"source":"inline","items":["hi"]}}}'
check_error "run: 400" 400 invalid_input
check_detail "run: names slurm.partition" "field=slurm.partition"
[ "$(sql "SELECT count(*) FROM services")" = "$before_rows" ] && [ "$(jobs_now)" = "$before_jobs" ] &&
    pass "no row and no job left" || fail "nothing made" "rows $(sql "SELECT count(*) FROM services") jobs $(jobs_now)"
[ "$(slurm_errors)" = "$before_errors" ] && pass "not counted as a slurm_error" ||
    fail "slurm_error counted" "$before_errors -> $(slurm_errors)"

# stall TABLE: COMMIT of a row named stall-at-commit takes 3 s (a deferred constraint trigger), so
# that the backend can be terminated while the app waits for COMMIT's answer.
sql "CREATE OR REPLACE FUNCTION aifb_test_stall() RETURNS trigger LANGUAGE plpgsql AS
    'BEGIN PERFORM pg_sleep(3); RETURN NULL; END'" >/dev/null
stall() {
    sql "DROP TRIGGER IF EXISTS aifb_test_stall ON $1; CREATE CONSTRAINT TRIGGER aifb_test_stall AFTER INSERT ON $1
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.name = 'stall-at-commit') EXECUTE FUNCTION aifb_test_stall()" >/dev/null
}
unstall() { sql "DROP TRIGGER IF EXISTS aifb_test_stall ON $1" >/dev/null; }
cleanup_stall() { unstall services; unstall runs; sql "DROP FUNCTION IF EXISTS aifb_test_stall()" >/dev/null; }
# Terminates, once, the backend that runs COMMIT for the apps (application_name aifb).
kill_at_commit() {
    for _ in $(seq 200); do
        # the stalled COMMIT (3 s in the trigger), not another worker's quick one
        [ "$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE application_name = 'aifb' AND query = 'COMMIT' AND state = 'active'
              AND now() - query_start > interval '300 ms'")" = 1 ] && return 0
        sleep 0.05
    done
    return 1
}
job_gone() { # job_gone JOB: SLURM ended it (cancelled), or forgot it
    local st
    st=$(squeue -h -j "$1" -t all -o %T 2>/dev/null)
    [ -z "$st" ] || [ "$st" = CANCELLED ]
}
# lost_commit KIND PATH BODY TABLE: the create's COMMIT is cut; 503, no row, the job cancelled later.
lost_commit() {
    local kind=$1 path=$2 body=$3 table=$4 id job
    stall "$table"
    kill_at_commit >"$TMP/killer" 2>&1 &
    local killer=$!
    auth "$OP" POST "$path" -H "$J" --data "$body"
    wait "$killer" && pass "$kind: the backend was terminated at COMMIT" || fail "$kind: kill at COMMIT" "never saw it"
    unstall "$table"
    check_error "$kind: 503 db_outcome_unknown" 503 db_outcome_unknown
    id=$(jq -r '.detail' <<<"$BODY" | sed -nE 's/.*id=([0-9]+),.*/\1/p')
    job=$(jq -r '.detail' <<<"$BODY" | sed -nE 's/.*SLURM job ([0-9]+) .*/\1/p')
    [ -n "$id" ] && [ -n "$job" ] && pass "$kind: detail names the row ($id) and the job ($job)" ||
        fail "$kind: detail names row and job" "$(jq -r .detail <<<"$BODY")"
    [ "$(sql "SELECT count(*) FROM $table WHERE id = ${id:-0}")" = 0 ] && pass "$kind: the row was not committed" ||
        fail "$kind: no row" "row $id exists"
    if [ -n "$job" ] && wait_for 60 job_gone "$job"; then
        pass "$kind: the reconciler cancelled job $job, whose row does not exist"
    else
        fail "$kind: orphan job cancelled" "job ${job:-?}: $(squeue -h -j "${job:-0}" -t all -o %T 2>&1)"
    fi
}

echo "== a connection lost at COMMIT: outcome unknown, settled by the reconciler"
trap 'cleanup_stall; cleanup_suite' EXIT
# a committed service beside: the sweep that the lost COMMIT below wakes must leave its job alone
auth "$OP" POST /api/server/v1/services -H "$J" --data '{"recipe":"simllm","name":"beside","time_limit":"00:05:00"}'
check "a committed service beside: 201" 201
SID=$(jq -r .id <<<"$BODY")
JOB=$(jq -r .slurm_job_id <<<"$BODY")
lost_commit service /api/server/v1/services \
    '{"recipe":"simllm","name":"stall-at-commit","time_limit":"00:05:00"}' services
# shellcheck disable=SC2034 # start_sim's inputs
SIM=${AIFB_BIN:-$ROOT/build/bin}/aifb-simllm
# shellcheck disable=SC2034
PRIO=()
start_sim sim --ttft-ms 50 --itl-ms 50
lost_commit run /api/client/v1/runs \
    "{\"name\":\"stall-at-commit\",\"target\":{\"url\":\"$SIM_URL\"},\"workload\":{\"model\":\"aifb/sim-model\",\"duration_s\":120,\"load\":{\"concurrency\":1},\"prompts\":{\"source\":\"inline\",\"items\":[\"hi\"]}}}" runs
sleep 2
[ -n "$(squeue -h -j "$JOB" -o %i 2>/dev/null)" ] && pass "the sweep left the committed service's job running" ||
    fail "committed job kept" "job $JOB is gone"
auth "$OP" DELETE "/api/server/v1/services/$SID" >/dev/null
finish
