#!/usr/bin/env bash
# aifb-logs measured and printed (not a test; the issue's aims: a no-change resync of 100,000 files
# under 10 s, a tail under 10 ms), against the running stack (scripts/stack up) and its cluster:
# 1. FILES (100000) small files (200 bytes) written in the cluster's log folder; a sync through the
#    API (list, diff, fetch, index), then a sync with nothing changed; each against plain rsync of the
#    same folder into a scratch folder over the same SSH (the reference: what the transfer alone costs).
# 2. A 1 GB log file in the mirror, indexed; GET .../tail?lines=100 through nginx, TAILS (200) times:
#    p50 and p99, against the same on a 1 KB file (what the HTTP round trip alone costs) and against
#    coreutils tail -n 100 on the file.
# Everything it makes is removed at the end (the cluster's folder, the mirror's, the index rows).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VAR=$(readlink -f "$ROOT/var")
FILES=${FILES:-100000}
TAILS=${TAILS:-200}
BASE="http://127.0.0.1:${AIFB_HTTP_PORT:-8080}"
DSN=$(sed -n 's/^db\.dsn *= *//p' "$VAR/aifb.conf" | tail -n 1)
conf() { sed -n "s/^$1 *= *//p" "$VAR/aifb.conf" | tail -n 1; }
CUSER=$(conf cluster.user)
CHOME=$(getent passwd "$CUSER" | cut -d: -f6)
STATE=$CHOME/.aifb/state
MIRROR=${AIFB_LOGS_MIRROR_DIR:-$VAR/mirror}
TAG=bench-$$
sql() { psql "$DSN" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
TOK=$("$ROOT/scripts/stack" token operate "bench-logs-$$" | tail -n 1)
TMP=$(mktemp -d /tmp/aifb-bench-logs.XXXXXX)
cleanup() {
    runuser -u "$CUSER" -- rm -rf "$STATE/logs/$TAG" "$STATE/$TAG.staging"
    rm -rf "$MIRROR/logs/$TAG" "$TMP"
    sql "DELETE FROM log_files WHERE path LIKE 'logs/$TAG/%'; DELETE FROM log_tombstones WHERE path LIKE 'logs/$TAG/%'" >/dev/null
}
trap cleanup EXIT
api() { curl -s -H "Authorization: Bearer $TOK" "$@"; }
ms() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) * 1000))" "$1"; }

curl -sf -o /dev/null "$BASE/api/logs/v1/health" 2>/dev/null || curl -sf -o /dev/null "$BASE/api/logs/v1/ready" ||
    { echo "bench: aifb-logs does not answer at $BASE: scripts/stack up" >&2; exit 1; }

echo "== $FILES files of 200 bytes in the cluster's log folder (logs/$TAG/)"
# written beside the log folder, then moved in by one rename, so that one pass finds them all
runuser -u "$CUSER" -- python3 - "$STATE/$TAG.staging" "$FILES" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
line = ("x" * 199 + "\n").encode()
for i in range(n):
    with open(os.path.join(d, "aifb-bench-%d.out" % (i + 1)), "wb") as f:
        f.write(line)
EOF
api -X POST "$BASE/api/logs/v1/sync" >/dev/null # whatever else was new goes now
before=$(sql "SELECT coalesce(max(id), 0) FROM log_syncs")
runuser -u "$CUSER" -- mv "$STATE/$TAG.staging" "$STATE/logs/$TAG"

sync_pass() { # sync_pass NAME FILE: a pass through the API (or the periodic one running then), printed
    local row tries=0
    until row=$(api -X POST "$BASE/api/logs/v1/sync") && ! jq -e '.error == "sync_in_progress"' <<<"$row" >/dev/null; do
        tries=$((tries + 1))
        [ "$tries" -lt 600 ] || { echo "bench: no pass could start: $row" >&2; exit 1; }
        sleep 0.2
    done
    # the first pass after $before: the periodic sync may have been the one to find the files
    row=$(sql "SELECT row_to_json(s) FROM (SELECT id, trigger, round(extract(epoch FROM finished_at - started_at) * 1000)
               AS duration_ms, ok, files_listed, files_transferred, bytes_transferred, files_indexed, list_ms, diff_ms,
               fetch_ms, index_ms FROM log_syncs
               WHERE id > $before AND finished_at IS NOT NULL ORDER BY id LIMIT 1) s")
    before=$(jq .id <<<"$row")
    jq -e .ok <<<"$row" >/dev/null || { echo "bench: the pass failed: $row" >&2; exit 1; }
    printf '%-28s %7s ms  (%s pass: listed %s, fetched %s, %s bytes, indexed %s)\n' "$1" \
        "$(jq .duration_ms <<<"$row")" "$(jq -r .trigger <<<"$row")" "$(jq .files_listed <<<"$row")" \
        "$(jq .files_transferred <<<"$row")" "$(jq .bytes_transferred <<<"$row")" "$(jq .files_indexed <<<"$row")"
    printf '%-28s list %s ms, diff %s ms, fetch %s ms, index %s ms\n' "" "$(jq .list_ms <<<"$row")" \
        "$(jq .diff_ms <<<"$row")" "$(jq .fetch_ms <<<"$row")" "$(jq .index_ms <<<"$row")"
    echo "$row" >"$TMP/$2.json"
}
sync_pass "aifb sync, first" first
sync_pass "aifb sync, nothing changed" again

E="ssh -F /dev/null -i $(conf cluster.key) -o UserKnownHostsFile=$(conf cluster.known_hosts) -o StrictHostKeyChecking=yes -o BatchMode=yes -p $(conf cluster.port)"
raw() { # raw NAME: plain rsync -rt of the folder into a scratch folder, timed
    local t0 t1
    t0=$(date +%s.%N)
    rsync -rt -e "$E" "$CUSER@$(conf cluster.host):.aifb/state/logs/$TAG/" "$TMP/raw/"
    t1=$(date +%s.%N)
    printf '%-28s %7s ms\n' "$1" "$(ms "$(echo "$t1 - $t0" | bc)")"
}
mkdir -p "$TMP/raw"
raw "plain rsync -rt, first"
raw "plain rsync -rt, no change"
first=$(jq .duration_ms "$TMP/first.json")
again=$(jq .duration_ms "$TMP/again.json")
echo "no-change resync of $FILES files: $again ms (aim: under 10000 ms); first sync $first ms"

echo "== tail of a 1 GB file through the API"
mkdir -p "$MIRROR/logs/$TAG"
python3 - "$MIRROR/logs/$TAG/big-1.out" <<'EOF'
import sys
line = b"".join(b"%09d some log text of a busy inference server, as long as a real line is\n" % i for i in range(10000))
with open(sys.argv[1], "wb") as f:
    while f.tell() < (1 << 30):
        f.write(line)
EOF
echo "one line" >"$MIRROR/logs/$TAG/small-1.out"
for f in big-1.out small-1.out; do
    sql "INSERT INTO log_files (path, category, size_bytes, modified_at) VALUES ('logs/$TAG/$f', 'uncategorized',
         $(stat -c %s "$MIRROR/logs/$TAG/$f"), now())" >/dev/null
done
BIG=$(sql "SELECT id FROM log_files WHERE path = 'logs/$TAG/big-1.out'")
SMALL=$(sql "SELECT id FROM log_files WHERE path = 'logs/$TAG/small-1.out'")
times() { # times ID: TAILS GETs of its tail, one time (s) per line
    local i
    for ((i = 0; i < TAILS; i++)); do
        api -o /dev/null -w '%{time_total}\n' "$BASE/api/logs/v1/files/$1/tail?lines=100"
    done
}
pct() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; printf "%.2f", v[i] * 1000 }'; }
times "$BIG" >"$TMP/big.t"
times "$SMALL" >"$TMP/small.t"
api "$BASE/api/logs/v1/files/$BIG/tail?lines=100" | jq -e '.lines == 100' >/dev/null || { echo "bench: the tail is not 100 lines" >&2; exit 1; }
t0=$(date +%s.%N)
for ((i = 0; i < TAILS; i++)); do tail -n 100 "$MIRROR/logs/$TAG/big-1.out" >/dev/null; done
t1=$(date +%s.%N)
printf 'tail?lines=100 of 1 GB:   p50 %s ms, p99 %s ms (%s GETs through nginx)\n' "$(pct 50 <"$TMP/big.t")" "$(pct 99 <"$TMP/big.t")" "$TAILS"
printf 'tail?lines=100 of 1 KB:   p50 %s ms, p99 %s ms (the round trip alone)\n' "$(pct 50 <"$TMP/small.t")" "$(pct 99 <"$TMP/small.t")"
printf 'coreutils tail -n 100:    %s ms per run (process start included)\n' \
    "$(python3 -c "import sys; print('%.2f' % ((float(sys.argv[2]) - float(sys.argv[1])) * 1000 / int(sys.argv[3])))" "$t0" "$t1" "$TAILS")"
