#!/usr/bin/env bash
# What a monitoring session keeps of Prometheus, against the stack's Prometheus and Pushgateway: the
# GPU exporter replaying the recorded H200 pushes as a service's SLURM job; a session over that
# service collects it (one CSV row per step and series, the JSON artifact, min/mean/p95/max that
# agree with the points); a run's GPU energy over its window and per output token (the exporter
# under either name set); Prometheus
# stopped: 503 and the earlier collection kept, then collected again once it is back; delete takes
# the data along. Then scrape targets registered through the API: discovered, scraped without the
# API token, gone once removed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
VAR=$(readlink -f "$ROOT/var")
DSN=$(sed -n 's/^db\.dsn *= *//p' "$VAR/aifb.conf" | tail -n 1)
sql() { psql "$DSN" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
PROM="http://127.0.0.1:${AIFB_PROM_PORT:-9090}"
PUSH="http://127.0.0.1:${AIFB_PUSH_PORT:-9091}"
EXP=$ROOT/build/bin/aifb-gpu-exporter
NVML_CSV=$ROOT/tests/unit/fixtures/gpu/nvml-load.csv
READ=$(new_token read)
OP=$(new_token operate)
M=/api/monitoring/v1
J='Content-Type: application/json'
JOB=$((900000000 + $$ % 1000000)) # a SLURM job id no real job of the local cluster has
HOSTL=collect-$$

prom_q() { curl -s "$PROM/api/v1/query" --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"}; }

if ! curl -sf -o /dev/null "$PROM/-/ready" || ! curl -sf -o /dev/null "$PUSH/-/ready"; then
    skip "the stack's Prometheus or Pushgateway does not answer: collection checks"
    finish
    exit
fi

echo "== a session over a service whose job's GPU the exporter replays"
SVC=$(sql "INSERT INTO services (name, recipe, config, slurm_job_id) VALUES ('collect-svc', 'vllm', '{}', $JOB)
           RETURNING id" | head -n 1)
SLURM_JOB_ID=$JOB "$EXP" --replay "$NVML_CSV" --push "$PUSH" --interval 0.5 --host "$HOSTL" 2>"$TMP/gx.log" &
GX=$!
PIDS+=("$GX")
# a second service whose job's exporter uses dcgm-exporter's names (energy in mJ)
JOB2=$((JOB + 1))
SVC2=$(sql "INSERT INTO services (name, recipe, config, slurm_job_id) VALUES ('collect-dcgm', 'vllm', '{}', $JOB2)
            RETURNING id" | head -n 1)
SLURM_JOB_ID=$JOB2 "$EXP" --replay "$NVML_CSV" --push "$PUSH" --interval 0.5 --host "$HOSTL-dcgm" --dcgm-names \
    2>"$TMP/gx2.log" &
GX2=$!
PIDS+=("$GX2")
pushed() { prom_q "aifb_gpu_power_watts{slurm_job_id=\"$JOB\"}" | jq -e '.data.result | length == 1' >/dev/null; }
wait_for 20 pushed && pass "Prometheus has the replayed GPU of job $JOB" || fail "replayed GPU in Prometheus" "$(cat "$TMP/gx.log")"
# and the second, before the runs' windows start (a slow machine, make san, may push it seconds later)
pushed2() { prom_q "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{slurm_job_id=\"$JOB2\"}" | jq -e '.data.result | length == 1' >/dev/null; }
wait_for 20 pushed2 && pass "Prometheus has the dcgm-named GPU of job $JOB2" || fail "dcgm-named GPU in Prometheus" "$(cat "$TMP/gx2.log")"
auth "$OP" POST "$M/sessions" -H "$J" --data "{\"label\":\"collect\",\"duration_s\":8,\"step_s\":1,\"services\":[$SVC]}"
check "session over the service 201" 201
S=$(jq -r .id <<<"$BODY")
# a run of the service, loading it over 5 whole seconds of the session's window
RUN=$(sql "INSERT INTO runs (name, service_id, state, started_at, ended_at) VALUES ('collect-run', $SVC, 'running',
           now(), now()) RETURNING id" | head -n 1)
T0=$(date +%s)
sql "INSERT INTO run_timeline (run_id, rank, second, started, completed, failed, output_tokens, in_flight)
     SELECT $RUN, 0, s, 10, 10, 0, 1000, 0 FROM generate_series($((T0 + 1)), $((T0 + 5))) AS s" >/dev/null
RUN2=$(sql "INSERT INTO runs (name, service_id, state, started_at, ended_at) VALUES ('collect-run-dcgm', $SVC2,
            'running', now(), now()) RETURNING id" | head -n 1)
sql "INSERT INTO run_timeline (run_id, rank, second, started, completed, failed, output_tokens, in_flight)
     SELECT $RUN2, 0, s, 10, 10, 0, 2000, 0 FROM generate_series($((T0 + 1)), $((T0 + 5))) AS s" >/dev/null

auth "$OP" POST "$M/sessions/$S/collect"
check_error "collecting an active session 409" 409 session_state_conflict
auth "$READ" GET "$M/sessions/$S/data"
check_error "its data before collection 409" 409 session_state_conflict
auth "$READ" GET "$M/runs/$RUN/energy"
check_error "the energy of a run still running 409" 409 run_state_conflict
closed() { [ "$(curl -s -H "Authorization: Bearer $READ" "$BASE$M/sessions/$S" | jq -r .state)" = closed ]; }
wait_for 15 closed && pass "the session's window closed" || fail "window closes" "$(curl -s -H "Authorization: Bearer $READ" "$BASE$M/sessions/$S")"
sql "UPDATE runs SET state = 'completed', ended_at = now() WHERE id IN ($RUN, $RUN2)" >/dev/null

auth "$READ" POST "$M/sessions/$S/collect"
check_error "a read token may not collect" 403 forbidden
auth "$OP" POST "$M/sessions/$S/collect?step_s=0"
check_error "a step of zero 400" 400 invalid_input
check_detail "names step_s" "step_s"
auth "$OP" POST "$M/sessions/$S/collect?step_s=0.00005"
check_error "a step below a millisecond 400" 400 invalid_input
auth "$OP" POST "$M/sessions/999999/collect"
check_error "collecting an unknown session 404" 404 session_not_found

auth "$OP" POST "$M/sessions/$S/collect"
check "collect 200" 200
check_json "collected: state, step, points and series counted" \
    '.state == "collected" and .collected_step_s == 1 and .collected_points > 0 and .collected_series >= 7'
SERIES=$(jq .collected_series <<<"$BODY")
POINTS=$(jq .collected_points <<<"$BODY")
info "collected $SERIES series, $POINTS points"
[ "$(sql "SELECT count(*) FROM session_samples x JOIN session_series s ON s.id = x.series_id WHERE s.session_id = $S")" = "$POINTS" ] &&
    pass "PostgreSQL holds the $POINTS points the answer counts" || fail "points stored" "$(sql "SELECT count(*) FROM session_series WHERE session_id = $S")"
sql "SELECT DISTINCT labels->>'slurm_job_id' FROM session_series WHERE session_id = $S" >"$TMP/jobs"
[ "$(cat "$TMP/jobs")" = "$JOB" ] && pass "only the watched job's series were collected" || fail "series of other jobs" "$(cat "$TMP/jobs")"

auth "$READ" GET "$M/sessions/$S/data?format=csv"
check "CSV 200" 200
check_header "CSV content type" content-type "text/csv; charset=utf-8"
printf '%s\n' "$BODY" >"$TMP/data.csv"
[ "$(head -n 1 "$TMP/data.csv")" = "time,metric,labels,value" ] && pass "CSV header" || fail "CSV header" "$(head -n 1 "$TMP/data.csv")"
# one row per step and series: as many rows as points, no (time, metric, labels) twice, and each
# series on the session's 1 s grid
python3 - "$TMP/data.csv" "$POINTS" "$SERIES" >"$TMP/csv.out" 2>&1 <<'EOF'
import csv, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1])))
keys = {(r["time"], r["metric"], r["labels"]) for r in rows}
series = {(r["metric"], r["labels"]) for r in rows}
assert len(rows) == int(sys.argv[2]), f"{len(rows)} rows, {sys.argv[2]} points"
assert len(keys) == len(rows), "a (time, series) twice"
assert len(series) == int(sys.argv[3]), f"{len(series)} series, {sys.argv[3]} counted"
ts = lambda r: datetime.datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
for m, l in series:
    t = sorted(ts(r) for r in rows if (r["metric"], r["labels"]) == (m, l))
    gaps = {round(b - a, 3) for a, b in zip(t, t[1:])}
    assert gaps <= {1.0}, f"{m}: steps {gaps}"
    assert 'replay="true"' in l and 'gpu="0"' in l, l
    float(next(r["value"] for r in rows if r["metric"] == m))
print(len(rows), "rows", len(series), "series")
EOF
[ $? = 0 ] && pass "CSV: one row per step and series ($(cat "$TMP/csv.out"))" || fail "CSV rows" "$(cat "$TMP/csv.out")"

auth "$READ" GET "$M/sessions/$S/data?format=json"
check "JSON artifact 200" 200
check_json "JSON: the session and its series with their points and summaries" \
    "(.session.id == $S) and (.series | length == $SERIES) and ([.series[].points | length] | add == $POINTS)
     and all(.series[]; .summary.samples == (.points | length))"
printf '%s' "$BODY" >"$TMP/data.json"
auth "$READ" GET "$M/sessions/$S/summary"
check "summary 200" 200
jq -n --slurpfile d "$TMP/data.json" --argjson s "$BODY" '
    [$d[0].series[] | {metric, labels, v: [.points[][1]] | sort}] as $pts
    | all($s.metrics[]; . as $m | ($pts[] | select(.metric == $m.metric and .labels == $m.labels)) as $p
        | ($m.min == $p.v[0]) and ($m.max == $p.v[-1]) and ($m.samples == ($p.v | length))
        and (($m.mean - ($p.v | add / length)) | fabs) < 1e-6 * (1 + ($m.mean | fabs))
        and ($m.p95 >= $p.v[0] and $m.p95 <= $p.v[-1]))' >/dev/null &&
    pass "summary: min, mean, p95, max agree with the points" || fail "summary" "${BODY:0:300}"
jq -e '[.metrics[].metric] | contains(["gpu_power_watts", "gpu_energy_joules_total", "gpu_utilization_ratio"])' \
    <<<"$BODY" >/dev/null && pass "summary: power, energy and utilisation" || fail "summary metrics" "${BODY:0:300}"

echo "== the energy of a run"
auth "$READ" GET "$M/runs/$RUN/energy"
check "energy 200" 200
ENERGY=$BODY
WS=$(sql "SELECT extract(epoch FROM window_start)::bigint FROM run_window WHERE run_id = $RUN")
WE=$(sql "SELECT extract(epoch FROM window_end)::bigint FROM run_window WHERE run_id = $RUN")
[ "$WS" = "$((T0 + 1))" ] && [ "$WE" = "$((T0 + 6))" ] && pass "the run's window: the seconds its load generator counted" ||
    fail "run window" "$WS..$WE, want $((T0 + 1))..$((T0 + 6))"
# the counter's increase as Prometheus holds it at both ends, asked independently
e0=$(prom_q "aifb_gpu_energy_joules_total{slurm_job_id=\"$JOB\"}" "$WS" | jq -r '.data.result[0].value[1]')
e1=$(prom_q "aifb_gpu_energy_joules_total{slurm_job_id=\"$JOB\"}" "$WE" | jq -r '.data.result[0].value[1]')
jq -e --argjson e0 "$e0" --argjson e1 "$e1" '(.joules - ($e1 - $e0) | fabs) < 1e-6 and .joules > 0 and .gpus == 1
    and .output_tokens == 5000 and ((.joules_per_output_token - .joules / 5000) | fabs) < 1e-9
    and .seconds == 5 and ((.mean_power_w - .joules / 5) | fabs) < 1e-9
    and (.per_gpu | length == 1) and .per_gpu[0].gpu == "0"' <<<"$ENERGY" >/dev/null &&
    pass "energy: $(jq -r '"\(.joules) J over \(.seconds) s (\(.mean_power_w) W), \(.joules_per_output_token) J per output token"' <<<"$ENERGY") = counter $e1 - $e0" ||
    fail "energy" "counter $e0..$e1; ${ENERGY:0:400}"
mp=$(prom_q "avg_over_time(aifb_gpu_power_watts{slurm_job_id=\"$JOB\"}[5s])" "$WE" | jq -r '.data.result[0].value[1]')
jq -e --argjson p "$mp" '.mean_power_w > 0.3 * $p and .mean_power_w < 3 * $p' <<<"$ENERGY" >/dev/null &&
    pass "its mean power is of the order of the power gauge ($mp W)" || fail "energy vs power" "gauge $mp W; ${ENERGY:0:200}"
d0=$(prom_q "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{slurm_job_id=\"$JOB2\"}" "$WS" | jq -r '.data.result[0].value[1]')
d1=$(prom_q "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{slurm_job_id=\"$JOB2\"}" "$WE" | jq -r '.data.result[0].value[1]')
auth "$READ" GET "$M/runs/$RUN2/energy"
check "energy of a run whose exporter uses dcgm-exporter's names: 200" 200
jq -e --argjson d0 "$d0" --argjson d1 "$d1" '(.joules - ($d1 - $d0) / 1000 | fabs) < 1e-6 and .joules > 0 and .gpus == 1
    and ((.joules_per_output_token - .joules / 10000) | fabs) < 1e-9' <<<"$BODY" >/dev/null &&
    pass "its joules: DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION's increase in mJ / 1000 ($(jq .joules <<<"$BODY") J)" ||
    fail "dcgm energy" "counter $d0..$d1 mJ; ${BODY:0:300}"
[ "$(sql "SELECT round(joules::numeric, 6) = round(($(jq .joules <<<"$ENERGY"))::numeric, 6) FROM run_energy WHERE run_id = $RUN")" = t ] &&
    pass "kept in run_energy" || fail "run_energy row" "$(sql "SELECT * FROM run_energy WHERE run_id = $RUN")"
URLRUN=$(sql "INSERT INTO runs (name, target_url, state, started_at, ended_at) VALUES ('collect-url', 'http://x:1',
              'completed', now() - interval '5 s', now()) RETURNING id" | head -n 1)
auth "$READ" GET "$M/runs/$URLRUN/energy"
check_error "a run against a URL has no service job: 409" 409 no_energy_data
auth "$READ" GET "$M/runs/999999/energy"
check_error "an unknown run 404" 404 run_not_found

echo "== Prometheus stopped, then back"
kill "$GX" "$GX2" 2>/dev/null
"$ROOT/scripts/stack" down prometheus >"$TMP/down.log" 2>&1
auth "$OP" POST "$M/sessions/$S/collect"
check_error "collect with Prometheus stopped: 503" 503 prometheus_unavailable
check_detail "says where it tried" "127.0.0.1:${AIFB_PROM_PORT:-9090}"
[ "$(sql "SELECT count(*) FROM session_samples x JOIN session_series s ON s.id = x.series_id WHERE s.session_id = $S")" = "$POINTS" ] &&
    [ "$(sql "SELECT state FROM monitoring_sessions WHERE id = $S")" = collected ] &&
    pass "the failed collection left the earlier one whole" || fail "rollback" "$(sql "SELECT state, collected_points FROM monitoring_sessions WHERE id = $S")"
auth "$OP" POST "$M/runs/$RUN/energy"
check_error "measuring energy with Prometheus stopped: 503" 503 prometheus_unavailable
"$ROOT/scripts/stack" up prometheus >"$TMP/up.log" 2>&1 || fail "Prometheus restarts" "$(tail -n 3 "$TMP/up.log")"
auth "$OP" POST "$M/sessions/$S/collect"
check "collected again once Prometheus is back" 200
check_json "the same points again" ".collected_points == $POINTS and .collected_series == $SERIES"

echo "== delete"
auth "$OP" DELETE "$M/sessions/$S"
check "delete 204" 204
[ "$(sql "SELECT count(*) FROM session_series WHERE session_id = $S")" = 0 ] &&
    [ "$(sql "SELECT count(*) FROM session_samples x WHERE NOT EXISTS (SELECT 1 FROM session_series s WHERE s.id = x.series_id)")" = 0 ] &&
    pass "deleting the session deleted its series and points" || fail "delete cascade" "rows left"

echo "== scrape targets registered through the API"
# a target that records the Authorization header it is sent, and serves one metric
cat >"$TMP/target.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        open(sys.argv[2], "a").write((self.headers.get("Authorization") or "none") + "\n")
        body = b"# TYPE aifb_test_target gauge\naifb_test_target 7\n"
        self.send_response(200); self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$TMP/target.py" "$TMP/target.port" "$TMP/target.auth" &
PIDS+=($!)
wait_for 10 test -s "$TMP/target.port" || fail "test target starts" "no port"
TPORT=$(cat "$TMP/target.port")
auth "$OP" POST "$M/targets" -H "$J" --data "{\"kind\":\"exporter\",\"address\":\"127.0.0.1:$TPORT\",\"labels\":{\"rack\":\"r$$\"}}"
check "register 201" 201
TID=$(jq -r .id <<<"$BODY")
auth "$OP" POST "$M/targets" -H "$J" --data '{"kind":"exporter","address":"127.0.0.1:9","labels":{"__aifb_proxy":"true"}}'
check_error "a label with Prometheus's reserved __ prefix 400" 400 invalid_input
active() {
    curl -s "$PROM/api/v1/targets?state=active" | jq -e --arg id "$TID" \
        '[.data.activeTargets[] | select(.labels.aifb_target_id == $id and .labels.job == "aifb-targets" and .health == "up")] | length == 1' >/dev/null
}
wait_for 30 active && pass "Prometheus discovered the registered target and scrapes it" ||
    fail "discovery" "$(curl -s "$PROM/api/v1/targets" | jq -c '[.data.activeTargets[] | {job: .labels.job, id: .labels.aifb_target_id, health, lastError}]')"
prom_q "aifb_test_target{rack=\"r$$\",aifb_kind=\"exporter\"}" | jq -e '.data.result[0].value[1] == "7"' >/dev/null &&
    pass "its series carries the registered labels" || fail "target series" "$(prom_q "aifb_test_target")"
[ -s "$TMP/target.auth" ] && ! grep -qv '^none$' "$TMP/target.auth" &&
    pass "the API token was never sent to it" || fail "token leak" "$(sort -u "$TMP/target.auth")"
auth "$OP" DELETE "$M/targets/$TID"
check "remove 204" 204
gone() {
    curl -s "$PROM/api/v1/targets?state=active" | jq -e --arg id "$TID" \
        '[.data.activeTargets[] | select(.labels.aifb_target_id == $id)] | length == 0' >/dev/null
}
wait_for 30 gone && pass "a removed target disappears from Prometheus" || fail "removal" "still active"

sql "DELETE FROM runs WHERE id IN ($RUN, $RUN2, $URLRUN); DELETE FROM services WHERE id IN ($SVC, $SVC2)" >/dev/null
curl -s -X DELETE "$PUSH/metrics/job/aifb-gpu-exporter/host/$HOSTL/slurm_job_id/$JOB" >/dev/null
finish
