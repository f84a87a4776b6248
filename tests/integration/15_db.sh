#!/usr/bin/env bash
# The database layer (fcgi-apps/common/db.c) against the stack's real PostgreSQL, not through HTTP:
# transactions committed, rolled back and run again, backends terminated before, inside and at the
# COMMIT of a transaction and while the advisory lock is held (tests/db/test_db.c, check).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=$(dirname "${AIFB_BIN:-$ROOT/build/bin}")
DSN=$(sed -n 's/^db.dsn *= *//p' "$(readlink -f "$ROOT/var")/aifb.conf" | tail -n 1)
bin=$BUILD/tests/db/test_db
if [ ! -x "$bin" ] || [ -z "$DSN" ]; then
    fail "tests/db/test_db" "missing ($bin) or no db.dsn in var/aifb.conf: run make and scripts/stack up"
    finish
    exit
fi
out=$("$bin" "$DSN" 2>&1)
rc=$?
while IFS= read -r line; do
    name=$(sed -E 's/^[^:]+:[0-9]+:[A-Z]:db:([^:]+):.*/\1/' <<<"$line")
    case $line in
    *:P:db:*) pass "$name" ;;
    *) fail "$name" "${line#*:db:"$name":0: }" ;;
    esac
done < <(grep -E '^[^:]+:[0-9]+:[PFE]:db:' <<<"$out")
grep -qE '^100%: Checks: [1-9]' <<<"$out" || fail "test_db ran to its end" "exit $rc: $(grep -E 'Checks:|ERROR|runtime error' <<<"$out" | head -n 3)"
finish
