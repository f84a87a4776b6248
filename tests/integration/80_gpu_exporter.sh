#!/usr/bin/env bash
# aifb-gpu-exporter without a GPU: the no-GPU exit; the recorded H200 (tests/unit/fixtures/gpu/) replayed
# through /metrics with its labels and the fixture's values in base units, row by row at --interval 0.2,
# under promtool in both name sets; the energy counter across replay laps; the nvidia-smi fallback
# through a fake nvidia-smi that prints the recording's lines; usage errors and the HTTP answers; and,
# with the stack's Pushgateway up, the pushed group in Prometheus and its DELETE on SIGTERM.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
BIN=${AIFB_BIN:-$ROOT/build/bin}
EXP=$BIN/aifb-gpu-exporter
FIX=$ROOT/tests/unit/fixtures/gpu
NVML_CSV=$FIX/nvml-load.csv
SMI_CSV=$FIX/nvidia-smi-query-load.csv
PUSH="http://127.0.0.1:${AIFB_PUSH_PORT:-9091}"
PROM="http://127.0.0.1:${AIFB_PROM_PORT:-9090}"
UUID=GPU-24ed5512-1c52-cc5f-1ef3-80a906fc33ae
HOSTL=aifb-it-$$ # a host label of this run's own, so that nothing else's series match
unset SLURM_JOB_ID # a suite run inside a job would label everything with it

for f in "$EXP" "$NVML_CSV" "$SMI_CSV"; do
    [ -e "$f" ] || { fail "prerequisites" "need $f (make all; the fixtures in tests/unit/fixtures/gpu)"; finish; exit; }
done

# start NAME ARGS...: the exporter listening on a free port of 127.0.0.1, stderr to $TMP/NAME.log;
# sets XPID and URL. Returns 1 (a failure counted) when it does not start.
start() {
    local name=$1
    shift
    "$EXP" --listen 127.0.0.1:0 --port-file "$TMP/$name.port" --host "$HOSTL" "$@" 2>"$TMP/$name.log" &
    XPID=$!
    PIDS+=("$XPID")
    if ! wait_for 10 test -s "$TMP/$name.port"; then
        fail "$name: the exporter starts" "$(cat "$TMP/$name.log")"
        return 1
    fi
    URL="http://127.0.0.1:$(cat "$TMP/$name.port")"
}

# stop NAME: SIGTERM; sets STOP_RC.
stop() {
    kill -TERM "$XPID" 2>/dev/null
    wait "$XPID" 2>/dev/null
    STOP_RC=$?
    cat "$TMP/$1.log" >>"$TMP/all.log"
}

# value FILE NAME: the value of the series NAME (one GPU) in an exposition.
value() { awk -v n="$2" 'index($0, n "{") == 1 { print $NF; exit }' "$1"; }

# want_nvml ROW: "name value" of every aifb series the NVML recording's data row ROW (1-based) gives,
# converted to base units (% -> ratio, mW -> W, mJ -> J, MHz -> Hz).
want_nvml() {
    awk -F, -v r="$1" 'NR == r + 1 {
        printf "aifb_gpu_utilization_ratio %.10g\naifb_gpu_memory_utilization_ratio %.10g\n", $5 / 100, $6 / 100
        printf "aifb_gpu_memory_total_bytes %s\naifb_gpu_memory_used_bytes %s\n", $7, $8
        printf "aifb_gpu_power_watts %.10g\naifb_gpu_temperature_celsius %s\n", $9 / 1000, $10
        printf "aifb_gpu_sm_clock_hertz %.10g\naifb_gpu_memory_clock_hertz %.10g\n", $11 * 1e6, $12 * 1e6
        printf "aifb_gpu_energy_joules_total %.10g\n", $13 / 1000 }' "$NVML_CSV"
}

# want_dcgm ROW: the same row under dcgm-exporter's names and units (%, MiB, W, mJ, MHz).
want_dcgm() {
    awk -F, -v r="$1" 'NR == r + 1 {
        printf "DCGM_FI_DEV_GPU_UTIL %s\nDCGM_FI_DEV_MEM_COPY_UTIL %s\n", $5, $6
        printf "DCGM_FI_DEV_FB_TOTAL %.10g\nDCGM_FI_DEV_FB_USED %.10g\n", $7 / 1048576, $8 / 1048576
        printf "DCGM_FI_DEV_FB_FREE %.10g\nDCGM_FI_DEV_POWER_USAGE %.10g\n", ($7 - $8) / 1048576, $9 / 1000
        printf "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION %s\nDCGM_FI_DEV_GPU_TEMP %s\n", $13, $10
        printf "DCGM_FI_DEV_SM_CLOCK %s\nDCGM_FI_DEV_MEM_CLOCK %s\n", $11, $12 }' "$NVML_CSV"
}

# want_smi ROW: the aifb series the nvidia-smi recording's data row ROW gives, its columns found by
# the header's names (MiB -> bytes, W, MHz -> Hz, the reasons' hex -> a number; no energy counter).
want_smi() {
    awk -F', ' -v r="$1" 'NR == 1 { for (i = 1; i <= NF; i++) { n = $i; sub(/ \[.*\]$/, "", n); c[n] = i } }
        NR == r + 1 {
        printf "aifb_gpu_utilization_ratio %.10g\n", $c["utilization.gpu"] / 100
        printf "aifb_gpu_memory_utilization_ratio %.10g\n", $c["utilization.memory"] / 100
        printf "aifb_gpu_memory_total_bytes %.10g\n", $c["memory.total"] * 1048576
        printf "aifb_gpu_memory_used_bytes %.10g\n", $c["memory.used"] * 1048576
        printf "aifb_gpu_power_watts %.10g\naifb_gpu_temperature_celsius %s\n", $c["power.draw"], $c["temperature.gpu"]
        printf "aifb_gpu_sm_clock_hertz %.10g\n", $c["clocks.current.sm"] * 1e6
        printf "aifb_gpu_memory_clock_hertz %.10g\n", $c["clocks.current.memory"] * 1e6
        printf "aifb_gpu_clock_event_reasons %d\n", hex($c["clocks_event_reasons.active"]) }
        function hex(s, v, i) { s = tolower(substr(s, 3)); for (i = 1; i <= length(s); i++)
            v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }' "$SMI_CSV"
}

# same_values NAME WANT_FILE GOT_FILE [PREFIX]: every "name value" of WANT equals (relative 1e-9) the
# value of that series in the exposition GOT, and GOT has no other series with PREFIX (aifb_gpu_ but
# the exporter's own, by default).
same_values() {
    local name=$1 want=$2 got=$3 prefix=${4:-aifb_gpu_} bad
    bad=$(awk -v p="$prefix" '
        NR == FNR { want[$1] = $2; next }
        /^#/ { next }
        { n = $1; sub(/\{.*/, "", n); if (index(n, p) != 1 || n ~ /^aifb_gpu_exporter_/) next
          seen[n] = 1
          if (!(n in want)) { printf "%s not wanted; ", n; next }
          d = $NF - want[n]; if (d < 0) d = -d; m = want[n] < 0 ? -want[n] : want[n]
          if (d > 1e-9 * (m > 1 ? m : 1)) printf "%s is %s, want %s; ", n, $NF, want[n] }
        END { for (n in want) if (!(n in seen)) printf "%s missing; ", n }' "$want" "$got")
    [ -z "$bad" ] && pass "$name" || fail "$name" "$bad"
}

# lint_dcgm FILE: promtool's findings on a --dcgm-names page. dcgm-exporter's own names draw two
# lint findings that no compatible output can avoid (the camelCase label modelName, and a counter
# without _total); anything else fails, and so does a page promtool cannot parse.
lint_dcgm() {
    local out rc rest
    out=$(promtool check metrics <"$1" 2>&1)
    rc=$?
    rest=$(grep -vE "^DCGM_FI_DEV_[A-Z_]+ label names should be written in 'snake_case' not 'camelCase'$" <<<"$out" |
        grep -vE '^DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter metrics should have "_total" suffix$' | grep -v '^$')
    if { [ "$rc" = 0 ] || [ "$rc" = 3 ]; } && [ -z "$rest" ]; then
        pass "promtool check metrics, --dcgm-names: parses; only dcgm-exporter's own naming is linted ($(grep -c . <<<"$out") findings)"
    else
        fail "promtool on --dcgm-names" "rc $rc: $rest"
    fi
}

promtool_ok() { # promtool_ok NAME FILE
    local out
    if out=$(promtool check metrics <"$2" 2>&1); then pass "$1"; else fail "$1" "$out"; fi
}

echo "== no GPU"
if ldconfig -p 2>/dev/null | grep -q 'libnvidia-ml\.so\.1' || command -v nvidia-smi >/dev/null; then
    skip "NVML or nvidia-smi is here: the no-GPU exit is for machines without them"
else
    for args in "--once" "--listen 127.0.0.1:0"; do
        # shellcheck disable=SC2086
        "$EXP" $args >"$TMP/nogpu.out" 2>"$TMP/nogpu.err"
        rc=$?
        lines=$(wc -l <"$TMP/nogpu.err")
        if [ "$rc" = 3 ] && [ "$lines" = 1 ] && grep -q 'no GPU' "$TMP/nogpu.err" && grep -q 'NVML: ' "$TMP/nogpu.err" &&
            grep -q 'nvidia-smi: ' "$TMP/nogpu.err" && [ ! -s "$TMP/nogpu.out" ]; then
            pass "no GPU, no --replay, $args: exit 3 and one line naming why NVML and nvidia-smi failed"
        else
            fail "no GPU ($args)" "rc $rc, $lines lines: $(head -c 400 "$TMP/nogpu.err")"
        fi
    done
    info "$(cat "$TMP/nogpu.err")"
fi

echo "== --once on the NVML recording"
"$EXP" --replay "$NVML_CSV" --once --host "$HOSTL" >"$TMP/once.txt" 2>"$TMP/once.log"
rc=$?
[ "$rc" = 0 ] && pass "--replay --once: exit 0" || fail "--once" "rc $rc $(cat "$TMP/once.log")"
want_nvml 1 >"$TMP/want1"
same_values "--once: every aifb_gpu_ series is the recording's first row in base units (power $(value "$TMP/once.txt" aifb_gpu_power_watts) W from $(awk -F, 'NR == 2 { print $9 }' "$NVML_CSV") mW)" "$TMP/want1" "$TMP/once.txt"
promtool_ok "promtool check metrics passes on the aifb names" "$TMP/once.txt"
grep -q "^aifb_gpu_exporter_info{source=\"replay\",host=\"$HOSTL\",slurm_job_id=\"\",replay=\"true\"} 1$" "$TMP/once.txt" &&
    pass "aifb_gpu_exporter_info{source=\"replay\"}" || fail "info series" "$(grep exporter_info "$TMP/once.txt")"
SLURM_JOB_ID=4242 "$EXP" --replay "$NVML_CSV" --once --host "$HOSTL" >"$TMP/job.txt" 2>>"$TMP/all.log"
labels="{gpu=\"0\",uuid=\"$UUID\",name=\"NVIDIA H200\",host=\"$HOSTL\",slurm_job_id=\"4242\",replay=\"true\"}"
n=$(grep -c '^aifb_gpu_' "$TMP/job.txt")
ok=$(grep '^aifb_gpu_' "$TMP/job.txt" | grep -v '^aifb_gpu_exporter_' | grep -cF "$labels ")
own=$(grep '^aifb_gpu_exporter_' "$TMP/job.txt" | grep -cF "host=\"$HOSTL\",slurm_job_id=\"4242\",replay=\"true\"}")
[ "$((ok + own))" = "$n" ] && [ "$ok" -ge 9 ] &&
    pass "every series labelled: $labels ($ok GPU series, $own of the exporter's own)" ||
    fail "labels" "$ok + $own of $n lines carry them: $(grep '^aifb_gpu_power' "$TMP/job.txt")"
SLURM_JOB_ID=4242 "$EXP" --replay "$NVML_CSV" --once --host "$HOSTL" --dcgm-names >"$TMP/dcgm.txt" 2>>"$TMP/all.log"
want_dcgm 1 >"$TMP/want1d"
same_values "--dcgm-names: dcgm-exporter's names and units (%, MiB, W, mJ, MHz) of the first row" "$TMP/want1d" \
    "$TMP/dcgm.txt" DCGM_
dl="{gpu=\"0\",UUID=\"$UUID\",modelName=\"NVIDIA H200\",Hostname=\"$HOSTL\",slurm_job_id=\"4242\",replay=\"true\"}"
[ "$(grep '^DCGM_' "$TMP/dcgm.txt" | grep -cvF "$dl ")" = 0 ] && pass "--dcgm-names labels: $dl" ||
    fail "dcgm labels" "$(grep '^DCGM_FI_DEV_GPU_UTIL' "$TMP/dcgm.txt")"
lint_dcgm "$TMP/dcgm.txt"

echo "== --listen, --interval 0.2: row by row"
start rows --replay "$NVML_CSV" --interval 0.2 || { finish; exit; }
t0=$EPOCHREALTIME
: >"$TMP/rows.seen"
while awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 3) }'; do
    curl -s --max-time 2 "$URL/metrics" >"$TMP/page.txt"
    printf '%s %s %s\n' "$EPOCHREALTIME" "$(value "$TMP/page.txt" aifb_gpu_energy_joules_total)" \
        "$(value "$TMP/page.txt" aifb_gpu_power_watts)" >>"$TMP/rows.seen"
    sleep 0.05
done
cp "$TMP/page.txt" "$TMP/listen.txt"
# Each scrape's row (by its energy, which no two rows share), checked against that row's power too.
verdict=$(awk -F, 'NR == FNR { if (FNR > 1) { e[sprintf("%.6f", $13 / 1000)] = FNR - 1; p[FNR - 1] = $9 / 1000 }; next }
    { split($0, f, " "); r = e[sprintf("%.6f", f[2])]
      if (r == "") { printf "energy %s is no row; ", f[2]; bad = 1; next }
      d = f[3] - p[r]; if (d < 0) d = -d; if (d > 1e-9) { printf "row %d power %s; ", r, f[3]; bad = 1 }
      if (n == 0) { first = r; t1 = f[1] }
      else if (r < last || r - last > int((f[1] - tl) / 0.2) + 2) { printf "row %d after %d; ", r, last; bad = 1 }
      last = r; tl = f[1]; n++ }
    END { printf "|%d %d %d %.2f %d", first, last, n, (last - first) / (tl - t1), bad }' \
    "$NVML_CSV" FS=' ' "$TMP/rows.seen")
read -r first last scrapes rate bad <<<"${verdict##*|}"
info "$scrapes scrapes in 3 s: rows $first to $last, $rate rows/s (--interval 0.2: 5)"
if [ "$bad" = 0 ] && [ "$first" -le 2 ] && [ "$last" -ge 10 ] &&
    awk -v r="$rate" 'BEGIN { exit !(r >= 4 && r <= 6) }'; then
    pass "/metrics: the recording's rows in order from the first, one every 0.2 s, all fields of one row together"
else
    fail "row by row" "${verdict%|*} first $first last $last rate $rate"
fi
want_nvml "$last" >"$TMP/wantl"
same_values "/metrics: the last page is row $last in base units" "$TMP/wantl" "$TMP/listen.txt"
promtool_ok "promtool check metrics passes on /metrics" "$TMP/listen.txt"
health=$(curl -s -w ' %{http_code}' "$URL/health")
[ "$health" = "ok
 200" ] && pass "GET /health: 200 ok" || fail "/health" "$health"
st=$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope") st2=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/metrics")
[ "$st $st2" = "404 405" ] && pass "GET /nope: 404; POST /metrics: 405" || fail "other requests" "$st $st2"
ct=$(curl -s -o /dev/null -w '%{content_type}' "$URL/metrics")
[ "$ct" = "text/plain; version=0.0.4; charset=utf-8" ] && pass "Content-Type: $ct" || fail "content type" "$ct"
stop rows
[ "$STOP_RC" = 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM" "rc $STOP_RC"

start rowsd --replay "$NVML_CSV" --interval 0.2 --dcgm-names || { finish; exit; }
curl -s --max-time 2 "$URL/metrics" >"$TMP/listen-dcgm.txt"
stop rowsd
grep -q '^DCGM_FI_DEV_POWER_USAGE{' "$TMP/listen-dcgm.txt" && pass "--dcgm-names on /metrics" ||
    fail "dcgm /metrics" "$(head -c 300 "$TMP/listen-dcgm.txt")"
lint_dcgm "$TMP/listen-dcgm.txt"

echo "== the energy counter across replay laps (--interval 0.02, $(($(wc -l <"$NVML_CSV") - 1)) rows a lap)"
start laps --replay "$NVML_CSV" --interval 0.02 || { finish; exit; }
: >"$TMP/laps.seen"
for _ in $(seq 1 60); do
    curl -s --max-time 2 "$URL/metrics" >"$TMP/page.txt"
    echo "$(value "$TMP/page.txt" aifb_gpu_energy_joules_total) $(value "$TMP/page.txt" aifb_gpu_exporter_samples_total)" >>"$TMP/laps.seen"
    sleep 0.02
done
stop laps
lap_max=$(awk -F, 'NR > 1 && $13 / 1000 > m { m = $13 / 1000 } END { print m }' "$NVML_CSV")
laps=$(awk -v m="$lap_max" '$1 == "" { bad++ } $1 < prev { down++ } { prev = $1; s = $2 }
    END { printf "%d %d %s %s", down + 0, bad + 0, prev, s }' "$TMP/laps.seen")
read -r down empty elast samples <<<"$laps"
info "60 scrapes: last energy $elast J after $samples samples (one lap ends at $lap_max J)"
[ "$down" = 0 ] && [ "$empty" = 0 ] && awk -v e="$elast" -v m="$lap_max" 'BEGIN { exit !(e > m) }' &&
    [ "$samples" -gt 44 ] && pass "energy never decreases, and counts on past the recording's end, over $((samples / 22)) laps" ||
    fail "energy across laps" "decreases $down, empty $empty, last $elast, samples $samples"

echo "== the nvidia-smi fallback (a fake nvidia-smi printing the recording's lines)"
# It answers --query-gpu=F,... --format=csv,noheader,nounits with the fields asked for, taken by the
# header's names from row $(cat smi.row) of the nvidia-smi recording; a field it lacks is refused as
# nvidia-smi refuses it.
cat >"$TMP/nvidia-smi" <<EOF
#!/usr/bin/env bash
q=
for a in "\$@"; do case \$a in --query-gpu=*) q=\${a#--query-gpu=} ;; esac; done
[ -n "\$q" ] || { echo "fake nvidia-smi: only --query-gpu" >&2; exit 2; }
exec awk -F', ' -v want="\$q" -v row="\$(cat "$TMP/smi.row")" '
    NR == 1 { for (i = 1; i <= NF; i++) { n = \$i; sub(/ \\[.*\\]\$/, "", n); c[n] = i }
        k = split(want, w, ",")
        for (j = 1; j <= k; j++) if (!(w[j] in c)) { print "Field \"" w[j] "\" is not a valid field to query."; exit 2 }
        next }
    NR == row + 1 { for (j = 1; j <= k; j++) printf "%s%s", (j > 1 ? ", " : ""), \$c[w[j]]; print ""; exit }' "$SMI_CSV"
EOF
chmod +x "$TMP/nvidia-smi"
echo 1 >"$TMP/smi.row"
src=auto
ldconfig -p 2>/dev/null | grep -q 'libnvidia-ml\.so\.1' && src=nvidia-smi # here NVML would win over the fake
"$EXP" --source "$src" --nvidia-smi "$TMP/nvidia-smi" --once --host "$HOSTL" >"$TMP/smi.txt" 2>"$TMP/smi.log"
rc=$?
want_smi 1 >"$TMP/wants1"
[ "$rc" = 0 ] && grep -q 'aifb_gpu_exporter_info{source="nvidia-smi",' "$TMP/smi.txt" && ! grep -q 'replay=' "$TMP/smi.txt" &&
    pass "--source $src: nvidia-smi, not labelled replay" || fail "nvidia-smi source" "rc $rc $(cat "$TMP/smi.log")"
same_values "nvidia-smi row 1: the same numbers (power $(value "$TMP/smi.txt" aifb_gpu_power_watts) W, MiB as bytes, reasons 0x1; no energy counter)" \
    "$TMP/wants1" "$TMP/smi.txt"
promtool_ok "promtool check metrics passes on the nvidia-smi page" "$TMP/smi.txt"
start smi --source "$src" --nvidia-smi "$TMP/nvidia-smi" --interval 0.2 || { finish; exit; }
echo 12 >"$TMP/smi.row"
under_load() { curl -s --max-time 2 "$URL/metrics" >"$TMP/smi12.txt" && [ "$(value "$TMP/smi12.txt" aifb_gpu_utilization_ratio)" = 1 ]; }
wait_for 5 under_load
want_smi 12 >"$TMP/wants12"
same_values "nvidia-smi every 0.2 s from the sampling thread: row 12 under load (util 1, 0x4 reasons) once it prints it" \
    "$TMP/wants12" "$TMP/smi12.txt"
stop smi

echo "== usage"
for args in "--interval 0 --once" "--listen 127.0.0.1 --replay $NVML_CSV" "--replay $NVML_CSV" \
    "--source gpu --once" "--port-file $TMP/x --once" "--push ftp://x --replay $NVML_CSV" "--bogus" "--interval"; do
    # shellcheck disable=SC2086
    "$EXP" $args >/dev/null 2>"$TMP/usage.err"
    rc=$?
    [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/usage.err")" = 1 ] && pass "usage error, exit 2: $args: $(cat "$TMP/usage.err")" ||
        fail "usage: $args" "rc $rc $(cat "$TMP/usage.err")"
done

echo "== Pushgateway and Prometheus"
if curl -sf --max-time 2 "$PUSH/-/ready" >/dev/null 2>&1; then
    "$EXP" --replay "$NVML_CSV" --push "$PUSH" --interval 0.5 --host "$HOSTL" 2>"$TMP/push.log" &
    XPID=$!
    PIDS+=("$XPID")
    group() { curl -s --max-time 2 "$PUSH/metrics" | grep -c "^aifb_gpu_power_watts{.*host=\"$HOSTL\""; }
    grouped() { [ "$(group)" = 1 ]; }
    wait_for 5 grouped && pass "the group job=aifb-gpu-exporter, host=$HOSTL, slurm_job_id=none is on the Pushgateway" ||
        fail "pushed group" "$(cat "$TMP/push.log")"
    t0=$SECONDS
    queried() {
        curl -s --max-time 2 "$PROM/api/v1/query" --data-urlencode \
            "query=aifb_gpu_power_watts{replay=\"true\",host=\"$HOSTL\"}" >"$TMP/prom.json" &&
            jq -e --arg u "$UUID" '.data.result | length == 1 and .[0].metric.job == "aifb-gpu-exporter" and
                .[0].metric.slurm_job_id == "none" and .[0].metric.uuid == $u and .[0].metric.gpu == "0"' \
                "$TMP/prom.json" >/dev/null
    }
    if curl -sf --max-time 2 "$PROM/-/ready" >/dev/null 2>&1; then
        wait_for 15 queried && pass "Prometheus has aifb_gpu_power_watts{replay=\"true\",host=\"$HOSTL\"} after $((SECONDS - t0)) s" ||
            fail "Prometheus query" "$(head -c 400 "$TMP/prom.json")"
    else
        skip "Prometheus does not answer on $PROM"
    fi
    stop push
    [ "$STOP_RC" = 0 ] && [ "$(group)" = 0 ] && pass "SIGTERM: exit 0 and the group is gone from the Pushgateway" ||
        fail "DELETE on SIGTERM" "rc $STOP_RC, $(group) series left"
else
    skip "the stack's Pushgateway does not answer on $PUSH: push checks"
fi

bad=$(cat "$TMP"/*.log 2>/dev/null | grep -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|warn:' | head -n 3)
[ -z "$bad" ] && pass "no sanitizer report and no warning in the exporters' logs" || fail "logs" "$bad"
finish
