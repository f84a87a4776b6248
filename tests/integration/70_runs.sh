#!/usr/bin/env bash
# Benchmark runs end to end on the real local cluster: aifb-client checks a run, submits aifb-loadgen
# as a SLURM job (over real SSH), the job drives a simllm service, the finisher loads its records
# into PostgreSQL with COPY, and the API and the SQL views give the figures: the stored summary of a
# single-rank run equal, figure by figure, to the summary-0.json its rank wrote. Also: refused input
# with nothing submitted, errors and cut streams counted by class, live series in Prometheus and
# gone from Pushgateway after, stop, two ranks merged into one run, CSV download, comparison. At 256
# streams only what load cannot move is checked (the medians are printed: saturation figures).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
VAR=$(readlink -f "$ROOT/var")
CONF="$VAR/aifb.conf"
BIN=${AIFB_BIN:-$ROOT/build/bin}
# shellcheck source=/dev/null
. "$VAR/cluster.env"
conf() { sed -n "s/^$1 *= *//p" "$CONF" | tail -n 1; }

status=$("$ROOT/scripts/stack" status 2>&1)
if ! grep -qE '^slurmctld  up ' <<<"$status" || ! grep -qE '^client  up ' <<<"$status"; then
    fail "stack up" "slurmctld and aifb-client must run: scripts/stack up"
    finish
    exit
fi
CUSER=$(conf cluster.user)
CHOME=$(getent passwd "$CUSER" | cut -d: -f6)
AGENT=$(conf cluster.agent)
ensure_agent "$CHOME/${AGENT:-.aifb/bin/aifb-agent}" "$BIN"
READ=$(new_token read)
OP=$(new_token operate)
J='Content-Type: application/json'
PROM="http://127.0.0.1:${AIFB_PROM_PORT:-9090}"
PUSH="http://127.0.0.1:${AIFB_PUSH_PORT:-9091}"
DSN=$(conf db.dsn)
sql() { psql "$DSN" -X -At -v ON_ERROR_STOP=1 -c "$1"; }

run_jobs() { squeue -h -u "$CUSER" -n "$1" -o %i 2>/dev/null | wc -l; }
run_state() { curl -s -H "Authorization: Bearer $READ" "$BASE/api/client/v1/runs/$1" | jq -r .state; }
run_done() { case $(run_state "$1") in completed | failed | cancelled | timeout | unknown) return 0 ;; esac; return 1; }
service_running() {
    [ "$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$1" | jq -r .state)" = running ]
}
# create_run BODY: sets RID (empty when refused).
create_run() {
    auth "$OP" POST /api/client/v1/runs -H "$J" --data "$1"
    RID=$(jq -r '.id // empty' <<<"$BODY")
}
# new_run NAME BODY: create_run, which must answer 201.
new_run() {
    create_run "$2"
    check "$1: create 201" 201
}
# wait_run ID SECONDS NAME: the run ends completed.
wait_run() {
    if wait_for "$2" run_done "$1" && [ "$(run_state "$1")" = completed ]; then
        pass "$3: run completes and its records are loaded"
    else
        fail "$3: run completes" "$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/client/v1/runs/$1" | jq -c '{state, error, slurm_job_id}')"
    fi
}
results() { auth "$READ" GET "/api/client/v1/runs/$1/results"; }
# both_ways ID NAME: the stored summary of single-rank run ID (run_summary_json, SQL) and the
# summary-0.json its rank wrote (aifb-loadgen's C), read through the agent, give every figure alike.
both_ways() {
    local job rank0
    job=$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/client/v1/runs/$1" | jq -r .slurm_job_id)
    rank0=$(runuser -u "$CUSER" -- "$CHOME/${AGENT:-.aifb/bin/aifb-agent}" output "$job" summary-0.json 2>&1)
    results "$1"
    same_figures "$2: the stored summary and the rank's summary-0.json" "$rank0" "$(jq -c '.summary | del(.ranks)' <<<"$BODY")"
}
# near NAME VALUE WANT TOLERANCE: |VALUE - WANT| <= TOLERANCE.
near() {
    if awk -v v="$2" -v w="$3" -v t="$4" 'BEGIN { d = v - w; if (d < 0) d = -d; exit !(v != "" && d <= t) }'; then
        pass "$1 ($2, want $3 +- $4)"
    else
        fail "$1" "$2, want $3 +- $4"
    fi
}
new_service() { # new_service PARAMS: sets SID once running
    auth "$OP" POST /api/server/v1/services -H "$J" \
        --data "{\"recipe\":\"simllm\",\"name\":\"runs-sim\",\"params\":$1,\"time_limit\":\"00:20:00\"}"
    SID=$(jq -r '.id // empty' <<<"$BODY")
    wait_for 60 service_running "$SID" && pass "simllm service $SID running" ||
        fail "simllm service running" "$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$SID")"
}
drop_service() { auth "$OP" DELETE "/api/server/v1/services/$1" >/dev/null; }

echo "== a simllm service to benchmark (TTFT 20 ms, ITL 5 ms)"
new_service '{"ttft_ms":20,"itl_ms":5,"max_num_seqs":512}'

echo "== refused input: 400 naming the field, no row and no job"
rows_before=$(sql "SELECT count(*) FROM runs")
jobs_before=$(squeue -h -u "$CUSER" -o %i | wc -l)
W='"model":"aifb/sim-model","max_tokens":8,"prompts":{"source":"inline","items":["hi"]}'
refuse() { # refuse NAME BODY FIELD
    create_run "$2"
    check_error "$1: 400" 400 invalid_input
    check_detail "$1: names $3" "field=$3"
}
refuse "rate 0" "{\"target\":{\"service_id\":$SID},\"workload\":{$W,\"requests\":10,\"load\":{\"mode\":\"open\",\"rate\":0}}}" workload.load.rate
refuse "negative rate" "{\"target\":{\"service_id\":$SID},\"workload\":{$W,\"requests\":10,\"load\":{\"mode\":\"open\",\"rate\":-5}}}" workload.load.rate
refuse "zero duration" "{\"target\":{\"service_id\":$SID},\"workload\":{$W,\"duration_s\":0}}" workload.duration_s
refuse "concurrency above the cap" "{\"target\":{\"service_id\":$SID},\"workload\":{$W,\"requests\":10,\"load\":{\"concurrency\":20001}}}" workload.load.concurrency
refuse "unknown service" "{\"target\":{\"service_id\":999999},\"workload\":{$W,\"requests\":10}}" target.service_id
refuse "seed's requests_per_second 0" "{\"service_id\":$SID,\"requests_per_second\":0,\"duration_seconds\":5}" requests_per_second
refuse "seed's duration_seconds 0" "{\"service_id\":$SID,\"num_clients\":2,\"duration_seconds\":0}" duration_seconds
refuse "two targets" "{\"target\":{\"service_id\":$SID,\"url\":\"http://127.0.0.1:1\"},\"workload\":{$W,\"requests\":1}}" target
# a malformed prompts file on the cluster, found by aifb-loadgen --check before anything is made
runuser -u "$CUSER" -- mkdir -p "$CHOME/.aifb/datasets"
printf '{"prompt":"fine"}\nnot json at all\n' | runuser -u "$CUSER" -- tee "$CHOME/.aifb/datasets/bad.jsonl" >/dev/null
refuse "malformed prompts file" "{\"target\":{\"service_id\":$SID},\"workload\":{\"model\":\"aifb/sim-model\",\"requests\":5,\"prompts\":{\"source\":\"jsonl\",\"path\":\"bad.jsonl\"}}}" workload.prompts.path
refuse "prompts file outside the datasets folder" "{\"target\":{\"service_id\":$SID},\"workload\":{\"model\":\"aifb/sim-model\",\"requests\":5,\"prompts\":{\"source\":\"jsonl\",\"path\":\"../state/x\"}}}" workload.prompts.path
[ "$(sql "SELECT count(*) FROM runs")" = "$rows_before" ] && [ "$(squeue -h -u "$CUSER" -o %i | wc -l)" = "$jobs_before" ] &&
    pass "nothing refused left a run row or a SLURM job" || fail "refusals left nothing" "rows $(sql "SELECT count(*) FROM runs") vs $rows_before"
auth "$READ" POST /api/client/v1/runs -H "$J" --data "{\"service_id\":$SID}"
check_error "read token may not create runs" 403 forbidden

echo "== one stream: TTFT, TPOT and ITL equal the simulator's (median, within 1 ms)"
create_run "{\"name\":\"one-stream\",\"target\":{\"service_id\":$SID},\"workload\":{\"max_tokens\":32,\"requests\":40,\"load\":{\"concurrency\":1},\"prompts\":{\"source\":\"random\",\"input_len\":16}}}"
check "run create 201" 201
check_json "created pending with a job" '.state == "pending" and .slurm_job_id > 0'
R1=$RID
wait_run "$R1" 90 "one stream"
results "$R1"
check "results 200" 200
check_json "40 completed, none failed, 32 output tokens each" '.summary.completed == 40 and .summary.failed == 0 and .summary.total_output_tokens == 1280'
near "1 stream: median TTFT" "$(jq -r .summary.median_ttft_ms <<<"$BODY")" 20 1
near "1 stream: median TPOT" "$(jq -r .summary.median_tpot_ms <<<"$BODY")" 5 1
near "1 stream: median ITL" "$(jq -r .summary.median_itl_ms <<<"$BODY")" 5 1
check_json "percentiles per metric from the SQL view" '[.percentiles[].metric] | contains(["ttft_ms", "tpot_ms", "itl_ms", "e2el_ms", "client_wait_ms"])'
check_json "a per-second timeline" '(.timeline | length) >= 1 and ([.timeline[].completed] | add) == 40'
check_json "vllm bench serve's field names" '.summary | has("request_throughput") and has("output_throughput") and has("total_token_throughput") and has("p99_ttft_ms") and has("std_itl_ms") and has("max_concurrent_requests")'
check_json "the rank's self-check kept" '.summary.ranks[0].self_check != null'
check_json "AIPerf's and GuideLLM's variants, named as such" '(.summary.aiperf.inter_token_latency_ms.median - 5 | fabs) < 1 and
    (.summary.aiperf.output_token_throughput_per_user.median - 200 | fabs) < 40 and
    (.summary.guidellm.time_per_output_token_ms.median - (20 + 31 * 5) / 32 | fabs) < 1 and
    .summary.guidellm.request_latency_ms.median == .summary.median_e2el_ms'
[ "$(sql "SELECT count(*) FROM request_records WHERE run_id = $R1")" = 40 ] && pass "40 records in PostgreSQL" ||
    fail "records in PostgreSQL" "$(sql "SELECT count(*) FROM request_records WHERE run_id = $R1")"
v=$(sql "SELECT round(median::numeric, 6) FROM run_latency_summary WHERE run_id = $R1 AND metric = 'ttft_ms'")
[ "$v" = "$(jq -r '.summary.median_ttft_ms * 1000000 | round / 1000000' <<<"$BODY" | awk '{printf "%.6f", $1}')" ] &&
    pass "SQL view run_latency_summary agrees with the summary" || fail "view agrees" "$v vs $(jq .summary.median_ttft_ms <<<"$BODY")"
PCT=$(jq -c '.percentiles' <<<"$BODY")
# The distributions kept at load: every value in one bucket, the CDF's ends the min and the max,
# its median the summary's (both percentile_cont), and the counts those of the percentiles.
auth "$READ" GET "/api/client/v1/runs/$R1/distributions"
check "distributions 200" 200
check_json "a histogram and a CDF for ttft, tpot, itl and e2el" '.metrics | has("ttft_ms") and has("tpot_ms") and has("itl_ms") and has("e2el_ms")'
check_json "each histogram holds every value in 50 buckets" '[.metrics[] | (.histogram.counts | length) == 50 and (.histogram.counts | add) == .n] | all'
check_json "each CDF runs from 0 to 1 over 103 quantiles, its values rising" '[.metrics[] | .cdf.q[0] == 0 and .cdf.q[-1] == 1 and (.cdf.q | length) == 103 and (.cdf.value == (.cdf.value | sort))] | all'
check_json "31 ITLs for each of the 40 requests" '.metrics.itl_ms.n == 1240'
ok=$(jq --argjson p "$PCT" '[$p[] as $m | .metrics[$m.metric] as $d | select($d) |
    ($d.n == $m.n) and (($d.cdf.value[50] - $m.median) | fabs) < 1e-9 and $d.cdf.value[0] == $m.min and
    $d.cdf.value[-1] == $m.max and $d.histogram.lo == $m.min] | length > 4 and all' <<<"$BODY")
[ "$ok" = true ] && pass "the distributions agree with the percentiles (n, median, min, max)" ||
    fail "distributions agree" "$(jq -c '.metrics.ttft_ms' <<<"$BODY") vs $PCT"
auth "$READ" GET "/api/client/v1/runs/999999/distributions"
check_error "distributions of no such run" 404 run_not_found
both_ways "$R1" "one stream"

echo "== 256 streams (ramped up over 0.5 s, the first second left out as warm-up)"
new_run "many-streams" "{\"name\":\"many-streams\",\"target\":{\"service_id\":$SID},\"workload\":{\"max_tokens\":32,\"duration_s\":4,\"warmup_s\":1,\"load\":{\"concurrency\":256,\"ramp_s\":0.5},\"prompts\":{\"source\":\"random\",\"input_len\":16}}}"
R2=$RID
wait_run "$R2" 120 "256 streams"
results "$R2"
check_json "thousands completed in the measured 3 s, none failed" '.summary.completed > 2000 and .summary.failed == 0'
check_json "256 in flight at once" '.summary.max_concurrent_requests >= 250'
# two CPUs serve 256 streams, the simulator and the stack: the medians are the machine's (printed);
# no client reads a first chunk before the simulator's 20 ms
echo "  figures: $(jq -c '.summary | {median_ttft_ms, p99_ttft_ms, median_itl_ms, p99_itl_ms, request_throughput, output_throughput}' <<<"$BODY")"
n=$(sql "SELECT count(*) FROM run_request_metrics WHERE run_id = $R2 AND ok AND ttft_ms < 20")
[ "$n" = 0 ] && pass "256 streams: no TTFT below the simulator's 20 ms" || fail "256 streams: TTFT below 20 ms" "$n requests"
both_ways "$R2" "256 streams, a warm-up left out"

echo "== records: paged JSON, CSV, comparison"
auth "$READ" GET "/api/client/v1/runs/$R1/records?limit=25"
check_json "first page of 25 with where the next begins" '(.records | length) == 25 and .next.after_seq == 24'
auth "$READ" GET "/api/client/v1/runs/$R1/records?limit=25&after_rank=0&after_seq=24"
check_json "second page: the other 15, no next" '(.records | length) == 15 and .next == null and .records[0].seq == 25'
auth "$READ" GET "/api/client/v1/runs/$R1/records?format=csv"
check "CSV 200" 200
[ "$(printf '%s\n' "$BODY" | wc -l)" = 41 ] && grep -q '^content-disposition: attachment' <<<"$HEADERS" &&
    pass "CSV download: a header and 40 lines" || fail "CSV download" "$(printf '%s\n' "$BODY" | wc -l) lines"
printf '%s\n' "$BODY" >"$TMP/records.csv"
/usr/bin/python3 -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
bad = [i for i, r in enumerate(rows) if len(r) != len(rows[0])]
sys.exit(1 if bad or len(rows[0]) != 14 or rows[1][13] != "" or not rows[1][8].startswith("{") else 0)' "$TMP/records.csv" &&
    pass "every CSV row has the header's 14 fields, an absent value an empty one" ||
    fail "CSV fields" "$(head -n 2 "$TMP/records.csv")"
auth "$READ" GET "/api/client/v1/runs/$R1/compare/$R2"
check "compare 200" 200
check_json "compare gives each metric side by side with the difference" '[.metrics[] | select(.metric == "completed")][0] | .a == 40 and .b > 2000 and .difference == .b - 40'
auth "$READ" GET "/api/client/v1/runs/999999/results"
check_error "results of an unknown run 404" 404 run_not_found
auth "$READ" GET "/api/client/v1/runs?state=completed&service_id=$SID"
check_json "list filters by state and service" "[.runs[].id] | contains([$R1, $R2])"

echo "== open loop, Poisson at 200/s over 2000 requests: live series in Prometheus, gone from Pushgateway after"
new_run live "{\"name\":\"live\",\"target\":{\"service_id\":$SID},\"workload\":{\"max_tokens\":16,\"requests\":2000,\"seed\":3,\"load\":{\"mode\":\"open\",\"rate\":200,\"arrival\":\"poisson\"},\"prompts\":{\"source\":\"random\",\"input_len\":8}}}"
R3=$RID
in_prom() {
    curl -s "$PROM/api/v1/query" --data-urlencode "query=aifb_loadgen_requests_started_total{run_id=\"$R3\"}" |
        jq -e '.data.result | length >= 1 and (.[0].value[1] | tonumber) > 0' >/dev/null
}
wait_for 40 in_prom && pass "aifb_loadgen_requests_started_total{run_id=$R3} in Prometheus while the run goes" ||
    fail "live series in Prometheus" "$(curl -s "$PROM/api/v1/query" --data-urlencode 'query=aifb_loadgen_requests_started_total' | head -c 300)"
wait_run "$R3" 60 "open loop"
curl -s "$PUSH/metrics" | grep -q "run_id=\"$R3\"" && fail "group gone from Pushgateway" "run_id=$R3 still there" ||
    pass "its group is gone from Pushgateway after the run"
# the gaps between consecutive sends, as the records say: mean 5 ms and coefficient of variation 1
read -r mean cv < <(sql "SELECT avg(g), stddev_pop(g) / avg(g) FROM (SELECT sent_us - lag(sent_us) OVER (ORDER BY sent_us) AS g
    FROM request_records WHERE run_id = $R3) x WHERE g IS NOT NULL" | tr '|' ' ')
near "Poisson: mean gap between sends (us)" "$mean" 5000 250
near "Poisson: coefficient of variation of the gaps" "$cv" 1 0.05
results "$R3"
check_json "open loop: 2000 sent, achieved rate within 5% of the requested 200/s" '.records_loaded == 2000 and .summary.self_check.requested_rate == 200 and (.summary.self_check.achieved_rate > 190 and .summary.self_check.achieved_rate < 210)'
both_ways "$R3" "open loop"

echo "== stop"
new_run "stopped" "{\"name\":\"stopped\",\"target\":{\"service_id\":$SID},\"workload\":{\"max_tokens\":16,\"duration_s\":120,\"load\":{\"concurrency\":4},\"prompts\":{\"source\":\"random\",\"input_len\":8}}}"
R4=$RID
is_running() { [ "$(run_state "$R4")" = running ]; }
wait_for 40 is_running && sleep 2
auth "$OP" POST "/api/client/v1/runs/$R4/stop"
check "stop 202" 202
wait_for 60 run_done "$R4" && [ "$(run_state "$R4")" = cancelled ] && pass "a stopped run ends cancelled" ||
    fail "stopped run" "$(run_state "$R4")"
n=$(sql "SELECT count(*) FROM request_records WHERE run_id = $R4")
[ "$n" -gt 0 ] && pass "what it did before the stop is kept ($n records)" || fail "records of a stopped run" "$n"
auth "$OP" POST "/api/client/v1/runs/$R4/stop"
check_error "stopping it again 409" 409 run_state_conflict

# a run stopped before its job ever ran: nothing to load, and nothing wrong
node_cpus=$(sinfo -h -o %c | head -n 1)
new_run pending "{\"name\":\"never-ran\",\"target\":{\"service_id\":$SID},\"slurm\":{\"cpus_per_task\":$node_cpus},\"workload\":{\"requests\":5}}"
R7=$RID
sleep 3
[ "$(run_state "$R7")" = pending ] && pass "a run that needs all $node_cpus CPUs waits while the service holds one" ||
    fail "run pending" "$(run_state "$R7")"
auth "$OP" POST "/api/client/v1/runs/$R7/stop"
check "stop a pending run 202" 202
wait_for 30 run_done "$R7"
auth "$READ" GET "/api/client/v1/runs/$R7"
check_json "it ends cancelled with no records and no error" '.state == "cancelled" and .records_loaded == 0 and .error == null'

echo "== a submit whose answer is lost (sbatch ran, the reply timed out): the job is cancelled, no row"
# an agent that submits, then says nothing for longer than aifb-client waits
printf '#!/bin/sh\n"$(dirname "$0")/aifb-agent" "$@"\nrc=$?\n[ "$1" = submit ] && sleep 6\nexit $rc\n' |
    runuser -u "$CUSER" -- tee "$CHOME/.aifb/bin/aifb-agent-slow" >/dev/null
chmod 0755 "$CHOME/.aifb/bin/aifb-agent-slow"
"$ROOT/scripts/stack" down client >/dev/null 2>&1
AIFB_CLUSTER_AGENT=.aifb/bin/aifb-agent-slow AIFB_CLUSTER_TIMEOUT_MS=1500 "$ROOT/scripts/stack" up >/dev/null 2>&1
rows_before=$(sql "SELECT count(*) FROM runs")
create_run "{\"name\":\"lost-answer\",\"target\":{\"service_id\":$SID},\"workload\":{\"requests\":5}}"
check_error "the lost answer is a 504" 504 cluster_timeout
lost_job() { squeue -h -u "$CUSER" -t PENDING,RUNNING,CONFIGURING -o %j | grep -q '^aifb-run-'; }
sleep 7 # the slow agent's sleep, then the client's cancel of what it submitted
! lost_job && pass "the job it submitted was cancelled" || fail "lost answer" "$(squeue -h -u "$CUSER" -o '%i %j %T')"
[ "$(sql "SELECT count(*) FROM runs")" = "$rows_before" ] && pass "and no run row stays" || fail "lost answer row" "a row stayed"
grep -q 'submitted although its answer was lost' "$VAR/log/aifb-client.log" && pass "the client's log says what it did" ||
    fail "lost answer log" "$(tail -n 3 "$VAR/log/aifb-client.log")"
"$ROOT/scripts/stack" down client >/dev/null 2>&1
"$ROOT/scripts/stack" up >/dev/null 2>&1

echo "== errors and cut streams: counted by class, the run completes, no record lost"
drop_service "$SID"
new_service '{"ttft_ms":5,"itl_ms":2,"error_rate":0.2,"cut_rate":0.2,"seed":7}'
new_run "faults" "{\"name\":\"faults\",\"target\":{\"service_id\":$SID},\"workload\":{\"max_tokens\":16,\"requests\":300,\"load\":{\"concurrency\":8},\"prompts\":{\"source\":\"random\",\"input_len\":8}}}"
R5=$RID
wait_run "$R5" 90 "faulty server"
results "$R5"
check_json "300 records: completed + failed" '.summary.completed + .summary.failed == 300 and .records_loaded == 300'
check_json "500s counted as http_error, cuts as stream_cut" '.summary.errors.http_error > 20 and .summary.errors.stream_cut > 20'
[ "$(sql "SELECT count(DISTINCT seq) FROM request_records WHERE run_id = $R5")" = 300 ] &&
    pass "seq 0..299 each once" || fail "distinct seqs" "$(sql "SELECT count(DISTINCT seq) FROM request_records WHERE run_id = $R5")"
[ "$(sql "SELECT count(*) FROM request_records WHERE run_id = $R5 AND error_class = 'http_error' AND http_status = 500")" -gt 0 ] &&
    pass "http_error records keep status 500" || fail "http_error status" "none"
both_ways "$R5" "faulty server"
[ "$(sql "SELECT count(*) FILTER (WHERE connect_us > 0) FROM request_records WHERE run_id = $R5 AND seq < 8")" = 8 ] &&
    pass "the connect time is loaded: each of the 8 streams' first request opened its connection" ||
    fail "connect_us loaded" "$(sql "SELECT seq, connect_us FROM request_records WHERE run_id = $R5 ORDER BY seq LIMIT 10")"
[ "$(sql "SELECT sum(output_tokens) = sum(chunks) AND sum(chunks) > 0 FROM run_timeline WHERE run_id = $R5")" = t ] &&
    pass "the timeline's chunks are loaded beside its tokens (one token per chunk here)" ||
    fail "timeline chunks" "$(sql "SELECT sum(output_tokens), sum(chunks) FROM run_timeline WHERE run_id = $R5")"
drop_service "$SID"

echo "== two ranks (srun) against a URL: one run"
SIMPORT_FILE="$TMP/sim.port"
"$BIN/aifb-simllm" --host 127.0.0.1 --port 0 --port-file "$SIMPORT_FILE" --ttft-ms 5 --itl-ms 2 >"$TMP/sim.log" 2>&1 &
SIMPID=$!
wait_for 10 test -s "$SIMPORT_FILE"
new_run "two-ranks" "{\"name\":\"two-ranks\",\"target\":{\"url\":\"http://127.0.0.1:$(cat "$SIMPORT_FILE")\"},\"slurm\":{\"ntasks\":2},\"workload\":{\"model\":\"aifb/sim-model\",\"max_tokens\":8,\"requests\":101,\"load\":{\"concurrency\":4},\"prompts\":{\"source\":\"inline\",\"items\":[\"one\",\"two\"]}}}"
R6=$RID
wait_run "$R6" 90 "two ranks"
[ "$(sql "SELECT string_agg(rank || ':' || n, ' ' ORDER BY rank) FROM (SELECT rank, count(*) n FROM request_records WHERE run_id = $R6 GROUP BY rank) x")" = "0:51 1:50" ] &&
    pass "101 requests split 51 + 50 over ranks 0 and 1, merged into one run" ||
    fail "two ranks" "$(sql "SELECT rank, count(*) FROM request_records WHERE run_id = $R6 GROUP BY rank")"
results "$R6"
check_json "its summary counts both ranks" '.summary.completed == 101 and (.summary.ranks | length) == 2'
kill "$SIMPID" 2>/dev/null
wait "$SIMPID" 2>/dev/null

echo "== the local node holds many jobs at once: 6 services and a run, all running"
SIDS=()
for i in 1 2 3 4 5 6; do
    auth "$OP" POST /api/server/v1/services -H "$J" \
        --data "{\"recipe\":\"simllm\",\"name\":\"many-$i\",\"params\":{\"ttft_ms\":5,\"itl_ms\":5},\"time_limit\":\"00:10:00\"}"
    SIDS+=("$(jq -r '.id // empty' <<<"$BODY")")
done
all_running() { local s; for s in "${SIDS[@]}"; do service_running "$s" || return 1; done; }
wait_for 60 all_running && pass "6 services running at once" ||
    fail "6 services running" "$(for s in "${SIDS[@]}"; do curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$s" | jq -c '{id, state}'; done)"
create_run "{\"name\":\"beside-six\",\"target\":{\"service_id\":${SIDS[0]}},\"workload\":{\"max_tokens\":16,\"duration_s\":30,\"load\":{\"concurrency\":2},\"prompts\":{\"source\":\"random\",\"input_len\":8}}}"
check "a run beside them: create 201" 201
R8=$RID
run_is_running() { [ "$(run_state "$R8")" = running ]; }
wait_for 30 run_is_running && pass "the run is running too" || fail "the run beside six services" "state $(run_state "$R8")"
# SLURM's own view, at one moment: every one of the seven jobs is R.
jobs=$(for s in "${SIDS[@]}"; do curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$s" | jq -r .slurm_job_id; done
    curl -s -H "Authorization: Bearer $READ" "$BASE/api/client/v1/runs/$R8" | jq -r .slurm_job_id)
states=$(squeue -h -j "$(tr '\n' ',' <<<"$jobs" | sed 's/,$//')" -o '%i %t' 2>&1)
[ "$(grep -c ' R$' <<<"$states")" = 7 ] && pass "squeue: the 7 jobs are all R at once" || fail "7 jobs R at once" "$states"
auth "$OP" POST "/api/client/v1/runs/$R8/stop"
check "the run stops: 202" 202
for s in "${SIDS[@]}"; do drop_service "$s"; done

finish
