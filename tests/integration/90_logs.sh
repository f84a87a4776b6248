#!/usr/bin/env bash
# aifb-logs against the embedded cluster's sshd and real rsync: a simllm service's job logs indexed
# by the periodic sync with their category and links; a growing file fetched incrementally with its
# tail current; content by range, tail, search, download; links planted in the remote folder and in
# the mirror, and traversal in every form, reaching nothing outside; sshd stopped: the error in the
# status, the mirror still served, then recovery; refusals (unknown file, range past the end, bad line
# counts); delete (mirror and index, a tombstone so sync does not bring it back; the cluster's copy
# only when asked); retention; stats.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
VAR=$(readlink -f "$ROOT/var")
# shellcheck source=/dev/null
. "$VAR/cluster.env"
DSN=$(sed -n 's/^db\.dsn *= *//p' "$VAR/aifb.conf" | tail -n 1)
sql() { psql "$DSN" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
CUSER=$(sed -n 's/^cluster\.user *= *//p' "$VAR/aifb.conf" | tail -n 1)
CHOME=$(getent passwd "$CUSER" | cut -d: -f6)
ensure_agent "$CHOME/.aifb/bin/aifb-agent" "$ROOT/build/bin"
READ=$(new_token read)
OP=$(new_token operate)
J='Content-Type: application/json'
L=/api/logs/v1
STATE=$CHOME/.aifb/state
MIRROR=${AIFB_LOGS_MIRROR_DIR:-$VAR/mirror}
as_user() { runuser -u "$CUSER" -- "$@"; }
SID=

cleanup() {
    [ -n "$SID" ] && curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $OP" "$BASE/api/server/v1/services/$SID"
    as_user rm -rf "$STATE/logs/t90-$$" "$STATE/logs/t90-many-$$" "$STATE/logs/simllm/t90-grow-$$-1.out" "$STATE/logs/simllm/t90-evil-$$-1.out" \
        "$STATE/logs/t90evil$$" 2>/dev/null
    rm -f "$TMP/outside"
    cleanup_suite
}
trap cleanup EXIT

sync_now() { # a pass now (after the periodic one, when that holds the lock); BODY is its row
    local deadline=$((SECONDS + 120))
    auth "$OP" POST "$L/sync"
    while [ "$STATUS" = 409 ] && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.2
        auth "$OP" POST "$L/sync"
    done
}
file_id() { # file_id PATH: its id in the index, or nothing
    sql "SELECT id FROM log_files WHERE path = '$1'"
}

echo "== a real job's logs, by the periodic sync"
auth "$READ" GET "$L/sync"
check "sync status 200" 200
INTERVAL=$(jq -r .interval_s <<<"$BODY")
info "sync interval: $INTERVAL s"
auth "$OP" POST /api/server/v1/services -H "$J" \
    --data '{"recipe":"simllm","name":"t90-sim","params":{"ttft_ms":1,"itl_ms":1},"time_limit":"00:05:00"}'
check "simllm service create 201" 201
SID=$(jq -r '.id // empty' <<<"$BODY")
JOB=$(jq -r '.slurm_job_id // empty' <<<"$BODY")
OUT_PATH="logs/simllm/aifb-svc-$SID-$JOB.out"
indexed() {
    [ "$(sql "SELECT category || ' ' || coalesce(service_id::text, '-') || ' ' || slurm_job_id FROM log_files
              WHERE path = '$OUT_PATH' AND size_bytes > 0")" = "vllm $SID $JOB" ]
}
t0=$SECONDS
wait_for $((INTERVAL + 20)) indexed &&
    pass "the job's stdout is indexed by the periodic sync, category vllm, linked to service $SID and job $JOB ($((SECONDS - t0)) s)" ||
    fail "periodic sync indexes the job's log" "$(sql "SELECT path, category, service_id, slurm_job_id FROM log_files WHERE slurm_job_id = $JOB")"
ERR_ID=$(file_id "logs/simllm/aifb-svc-$SID-$JOB.err")
[ -n "$ERR_ID" ] && pass "and its stderr" || fail "stderr indexed" "none"
auth "$READ" GET "/api/server/v1/services/$SID"
check_json "the service links to its logs" ".logs == \"/api/logs/v1/files?service_id=$SID\""
auth "$READ" GET "$L/files?service_id=$SID"
check_json "the index lists the service's files" "[.files[].path] | sort == [\"logs/simllm/aifb-svc-$SID-$JOB.err\", \"$OUT_PATH\"]"
auth "$READ" GET "$L/files?category=vllm&since=2000-01-01T00:00:00Z&limit=1000"
check_json "filters by category and time" "[.files[] | select(.path == \"$OUT_PATH\")] | length == 1"
auth "$READ" GET "$L/files?job=$JOB&until=2000-01-01T00:00:00Z"
check_json "until before its time: not listed" '.files == []'
# a benchmark run against it: the load generator's job logs, category client, linked to the run
svc_running() { [ "$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$SID" | jq -r .state)" = running ]; }
wait_for 60 svc_running || fail "service running" "$(curl -s -H "Authorization: Bearer $READ" "$BASE/api/server/v1/services/$SID" | jq -c .)"
auth "$OP" POST /api/client/v1/runs -H "$J" --data "{\"name\":\"t90-run\",\"target\":{\"service_id\":$SID},
    \"workload\":{\"max_tokens\":8,\"requests\":5,\"load\":{\"concurrency\":1},\"prompts\":{\"source\":\"random\",\"input_len\":8}}}"
check "a run against it: 201" 201
RUN=$(jq -r '.id // empty' <<<"$BODY")
RJOB=$(jq -r '.slurm_job_id // empty' <<<"$BODY")
check_json "the run links to its logs and its energy" \
    ".logs == \"/api/logs/v1/files?run_id=$RUN\" and .energy == \"/api/monitoring/v1/runs/$RUN/energy\""
run_indexed() {
    [ "$(sql "SELECT category || ' ' || coalesce(run_id::text, '-') FROM log_files
              WHERE path = 'logs/loadgen/aifb-run-$RUN-$RJOB.out' AND size_bytes > 0")" = "client $RUN" ]
}
wait_for $((INTERVAL + 60)) run_indexed &&
    pass "the run's job log is indexed, category client, linked to run $RUN" ||
    fail "run log indexed" "$(sql "SELECT path, category, run_id, slurm_job_id FROM log_files WHERE slurm_job_id = ${RJOB:-0}")"
auth "$READ" GET "$L/files?run_id=$RUN"
check_json "listed by run" "[.files[].path] | index(\"logs/loadgen/aifb-run-$RUN-$RJOB.out\") != null"
curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $OP" "$BASE/api/server/v1/services/$SID"

echo "== a growing file: fetched incrementally, its tail current"
GROW=$STATE/logs/simllm/t90-grow-$$-1.out
python3 -c 'import sys; sys.stdout.write("".join("line %06d %s\n" % (i, "x" * 90) for i in range(1, 20001)))' |
    as_user tee "$GROW" >/dev/null
sync_now
check_json "a pass: ok, the new file fetched" '.ok == true and .files_transferred >= 1'
GID=$(file_id "logs/simllm/t90-grow-$$-1.out")
SIZE1=$(stat -c %s "$GROW")
python3 -c 'import sys; sys.stdout.write("".join("line %06d %s\n" % (i, "y" * 90) for i in range(20001, 20101)))' |
    as_user tee -a "$GROW" >/dev/null
SIZE2=$(stat -c %s "$GROW")
sync_now
jq -e --argjson s1 "$SIZE1" --argjson s2 "$SIZE2" \
    '.ok and .files_transferred == 1 and .bytes_transferred < ($s2 - $s1) + $s1 / 10' <<<"$BODY" >/dev/null &&
    pass "grown by $((SIZE2 - SIZE1)) bytes to $SIZE2: the pass moved $(jq .bytes_transferred <<<"$BODY") bytes" ||
    fail "incremental fetch" "${BODY:0:300}"
auth "$READ" GET "$L/files/$GID/tail?lines=2"
check "tail 200" 200
check_json "its tail is current: the last two lines" \
    '.lines == 2 and (.text | split("\n") | .[0] | startswith("line 020099 y")) and (.text | endswith("\n"))'
sync_now
check_json "a pass with nothing new moves nothing" '.ok and .files_wanted == 0 and .files_transferred == 0'
auth "$READ" GET "$L/files/$GID/content?offset=0&length=12"
check "content 200" 200
[ "$BODY" = "line 000001 " ] && pass "content by byte range" || fail "content range" "${BODY:0:40}"
auth "$READ" GET "$L/files/$GID/content?offset=$SIZE2"
check_error "a range past the end 416" 416 range_not_satisfiable
auth "$READ" GET "$L/files/$GID/search?q=line%20020050&max=5"
check_json "search: the line number of a fixed string" '.hits == [{"line": 20050, "text": ("line 020050 " + ("y" * 90))}] and .more == false'
auth "$READ" GET "$L/files/$GID/search?q=xxxx&max=3"
check_json "search: max hits, and more" '(.hits | length) == 3 and .more == true and .hits[2].line == 3'
auth "$READ" GET "$L/files/$GID/download"
check "download 200" 200
[ "$(printf '%s\n' "$BODY" | md5sum)" = "$(md5sum <"$GROW")" ] && pass "download is the file, byte for byte" ||
    fail "download" "md5 differs"
check_header "download is an attachment" content-disposition "attachment; filename=\"t90-grow-$$-1.out\""

echo "== refusals"
for lines in -1 0 100001 99999999999999999999 abc; do
    auth "$READ" GET "$L/files/$GID/tail?lines=$lines"
    check_error "tail lines=$lines 400" 400 invalid_input
done
auth "$READ" GET "$L/files/999999999/tail"
check_error "an unknown file 404" 404 log_file_not_found
auth "$READ" GET "$L/files/$GID/search"
check_error "search without q 400" 400 invalid_input
auth "$READ" GET "$L/files/$GID/content?offset=-5"
check_error "a negative offset 400" 400 invalid_input

echo "== traversal and planted links"
echo "outside the mirror: secret" >"$TMP/outside"
chmod 0644 "$TMP/outside"
for p in "..%2F..%2Fetc%2Fpasswd" "%2Fetc%2Fpasswd" "1%00" "..%252F..%252Fetc%252Fpasswd" "%2e%2e" "%2e%2e%2f%2e%2e%2fetc%2fpasswd" \
    "-1" "0x10" "1;cat%20%2Fetc%2Fpasswd"; do
    auth "$READ" GET "$L/files/$p/tail"
    case $STATUS in 400 | 404) pass "files/$p/tail: $STATUS" ;; *) fail "files/$p/tail" "status $STATUS: ${BODY:0:200}" ;; esac
done
# nginx resolves dot segments: files/1/../$GID is file $GID, an indexed file inside the mirror
auth "$READ" GET "$L/files/1%2F..%2F$GID/tail?lines=1"
[ "$STATUS" = 200 ] && jq -e --arg p "logs/simllm/t90-grow-$$-1.out" '.path == $p' <<<"$BODY" >/dev/null &&
    pass "files/1%2F..%2F$GID: nginx's normalised path, the indexed file $GID" || fail "dot segments" "status $STATUS: ${BODY:0:200}"
as_user ln -sf /etc/passwd "$STATE/logs/simllm/t90-evil-$$-1.out"
as_user mkdir -p "$STATE/logs/t90-$$"
as_user ln -sfn /etc "$STATE/logs/t90evil$$"
sync_now
check_json "a pass with links planted in the remote folder: ok" '.ok == true'
[ -z "$(sql "SELECT path FROM log_files WHERE path LIKE '%t90-evil-$$%' OR path LIKE '%t90evil$$%'")" ] &&
    [ ! -e "$MIRROR/logs/simllm/t90-evil-$$-1.out" ] && [ ! -e "$MIRROR/logs/t90evil$$" ] &&
    pass "links in the remote folder are neither fetched nor indexed" ||
    fail "remote links" "$(find "$MIRROR/logs" -maxdepth 2 -name '*evil*'; sql "SELECT path FROM log_files WHERE path LIKE '%evil%'")"
# a link planted in the mirror itself, where an indexed file was
mv "$MIRROR/logs/simllm/t90-grow-$$-1.out" "$TMP/grow.saved"
ln -s "$TMP/outside" "$MIRROR/logs/simllm/t90-grow-$$-1.out"
for what in "tail" "content" "download" "search?q=secret"; do
    auth "$READ" GET "$L/files/$GID/$what"
    if [ "${STATUS:0:1}" = 4 ] && ! grep -q secret <<<"$BODY"; then pass "a link in the mirror: $what refused ($STATUS)"; else
        fail "mirror link $what" "status $STATUS: ${BODY:0:200}"; fi
done
auth "$OP" DELETE "$L/files/$GID"
[ -f "$TMP/outside" ] && [ "$(cat "$TMP/outside")" = "outside the mirror: secret" ] &&
    pass "deleting it removed nothing outside the mirror" || fail "delete through a link" "the outside file changed"
rm -f "$MIRROR/logs/simllm/t90-grow-$$-1.out"
sync_now
[ -z "$(file_id "logs/simllm/t90-grow-$$-1.out")" ] && [ ! -e "$MIRROR/logs/simllm/t90-grow-$$-1.out" ] &&
    pass "a deleted file stays deleted: sync does not fetch it again" || fail "tombstone" "fetched again"
[ -f "$GROW" ] && pass "the cluster's copy was kept (remote not asked)" || fail "remote kept" "gone"

echo "== a whole new folder, fetched as one"
MANY=$STATE/logs/t90-many-$$
as_user mkdir -p "$MANY"
as_user python3 -c 'import sys
for i in range(70): open("%s/f-%d.out" % (sys.argv[1], i), "w").write("file %d\n" % i)' "$MANY"
as_user ln -s /etc/passwd "$MANY/link.out"
as_user sh -c "echo odd > '$MANY/odd name.out'"
as_user mkdir -p "$MANY/deeper"
as_user sh -c "echo deep > '$MANY/deeper/x.out'"
sync_now
check_json "a pass with a new folder of 70 files: all fetched" '.ok and .files_transferred >= 70'
[ "$(sql "SELECT count(*) FROM log_files WHERE path LIKE 'logs/t90-many-$$/%'")" = 70 ] &&
    [ "$(find "$MIRROR/logs/t90-many-$$" -type f | wc -l)" = 70 ] && [ ! -e "$MIRROR/logs/t90-many-$$/link.out" ] &&
    [ ! -e "$MIRROR/logs/t90-many-$$/odd name.out" ] && [ ! -e "$MIRROR/logs/t90-many-$$/deeper" ] &&
    pass "70 files indexed and mirrored; its link, odd name and sub-folder left out" ||
    fail "folder fetch" "$(sql "SELECT count(*) FROM log_files WHERE path LIKE 'logs/t90-many-$$/%'"); $(ls -A "$MIRROR/logs/t90-many-$$" | head -n 3; find "$MIRROR/logs/t90-many-$$" | wc -l)"
MID=$(file_id "logs/t90-many-$$/f-69.out")
auth "$READ" GET "$L/files/$MID/tail?lines=1"
check_json "one of them reads back" '.text == "file 69\n"'

echo "== delete on the cluster too"
as_user sh -c "echo to be deleted > '$STATE/logs/t90-$$/t90-rm-1.out'"
sync_now
RID=$(file_id "logs/t90-$$/t90-rm-1.out")
[ -n "$RID" ] && pass "a file of an unknown folder is indexed" || fail "indexed" "none"
[ "$(sql "SELECT category FROM log_files WHERE id = ${RID:-0}")" = uncategorized ] && pass "category uncategorized" ||
    fail "category" "$(sql "SELECT category FROM log_files WHERE id = ${RID:-0}")"
auth "$READ" DELETE "$L/files/$RID?remote=true"
check_error "a read token may not delete" 403 forbidden
auth "$OP" DELETE "$L/files/$RID?remote=true"
check "delete with remote=true 204" 204
[ ! -e "$STATE/logs/t90-$$/t90-rm-1.out" ] && [ ! -e "$MIRROR/logs/t90-$$/t90-rm-1.out" ] &&
    pass "gone from the cluster and from the mirror" || fail "remote delete" "$(ls -la "$STATE/logs/t90-$$")"

AID=$(file_id "logs/agent/agent.log")
if [ -n "$AID" ]; then
    [ "$(sql "SELECT category FROM log_files WHERE id = $AID")" = agent ] && pass "the agent's audit log is indexed, category agent" ||
        fail "agent.log category" "$(sql "SELECT category FROM log_files WHERE id = $AID")"
    sync_now # the audit log grew by the rmlog line: fetched in place
    auth "$READ" GET "$L/files/$AID/search?q=%22verb%22%3A%22rmlog%22"
    check_json "the remote delete is in the agent's audit log, as synced" \
        "[.hits[].text | fromjson | select(.verb == \"rmlog\" and .path == \"logs/t90-$$/t90-rm-1.out\" and .outcome == \"ok\")] | length == 1"
    auth "$OP" DELETE "$L/files/$AID?remote=true"
    check_error "the agent's audit log is not deleted on the cluster" 400 invalid_input
    check_detail "names remote" "field=remote"
    [ -f "$STATE/logs/agent/agent.log" ] && grep -q "\"path\":\"logs/t90-$$/t90-rm-1.out\"" "$STATE/logs/agent/agent.log" &&
        pass "agent.log kept, with the rmlog line" || fail "agent.log" "$(tail -n 2 "$STATE/logs/agent/agent.log")"
else
    fail "agent.log indexed" "no logs/agent/agent.log in the index"
fi

echo "== sshd stopped"
KEEP=$(file_id "$OUT_PATH")
"$ROOT/scripts/stack" down sshd >"$TMP/sshd.log" 2>&1
sync_now
check "a pass without sshd answers 200" 200
check_json "its row: not ok, the connection's error" '.ok == false and (.error | test("refused|closed|connect"; "i"))'
auth "$READ" GET "$L/sync"
check_json "status: the last error, and the last pass that worked" \
    '.last.ok == false and .last_error.error != null and .last_ok.ok == true'
auth "$READ" GET "$L/files/$KEEP/tail?lines=5"
check "the mirror is still served" 200
"$ROOT/scripts/stack" up sshd >>"$TMP/sshd.log" 2>&1 || fail "sshd restarts" "$(tail -n 3 "$TMP/sshd.log")"
sync_now
check_json "sync recovers once sshd is back" '.ok == true'

echo "== stats and retention"
auth "$READ" GET "$L/stats"
check_json "stats per category" '(.categories | map(.category) | index("vllm")) != null and .files > 0 and .bytes > 0'
before=$(sql "SELECT count(*) FROM log_files")
auth "$OP" POST "$L/retention" -H "$J" --data '{}'
check_error "retention without a limit 400" 400 invalid_input
auth "$OP" POST "$L/retention" -H "$J" --data '{"max_age_days": 0}'
check_error "retention with an age of 0 (everything) 400" 400 invalid_input
auth "$OP" POST "$L/retention" -H "$J" --data '{"max_age_days": 36500}'
check_json "retention by a wide age deletes nothing" '.files_deleted == 0'
newest=$(sql "SELECT size_bytes FROM log_files ORDER BY modified_at DESC, id DESC LIMIT 1")
want_bytes=$(sql "SELECT sum(size_bytes) FROM (SELECT size_bytes FROM log_files ORDER BY modified_at DESC, id DESC OFFSET 1) x")
oldest=$(sql "SELECT path FROM log_files ORDER BY modified_at, id LIMIT 1")
stones=$(sql "SELECT count(*) FROM log_tombstones")
auth "$OP" POST "$L/retention" -H "$J" --data "{\"max_total_bytes\": $newest, \"dry_run\": true}"
check "retention dry run 200" 200
check_json "a dry run says what would go: files, bytes and paths, oldest first" \
    ".dry_run == true and .files == $((before - 1)) and .bytes == $want_bytes and .files_deleted == 0 and
     (.paths | length) == $((before - 1)) and .paths[0].path == \"$oldest\" and .paths_truncated == false"
[ "$(sql "SELECT count(*) FROM log_files")" = "$before" ] && [ "$(sql "SELECT count(*) FROM log_tombstones")" = "$stones" ] &&
    pass "and deletes nothing, tombstones nothing" || fail "dry run deleted" "$(sql "SELECT count(*) FROM log_files")"
auth "$OP" POST "$L/retention" -H "$J" --data "{\"max_total_bytes\": $newest}"
check_json "retention by size keeps only the newest file" ".files_deleted == $((before - 1))"
check_json "and its answer names what went" ".dry_run == false and .files == $((before - 1)) and .bytes_freed == $want_bytes and (.paths | map(.path) | index(\"$oldest\")) != null"
[ "$(sql "SELECT count(*) FROM log_files")" = 1 ] && pass "one file left in the index" ||
    fail "retention" "$(sql "SELECT count(*) FROM log_files")"
finish
