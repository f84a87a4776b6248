#!/usr/bin/env bash
# The read-only PostgreSQL role people and Grafana query the history as (aifb_read, made by
# scripts/stack): its password file, its attributes and settings, and, connected as it over TCP with
# that password, every relation of the schema walked from pg_class so that the ones later
# migrations add are covered too: every table and view but the deny-list can be read; no table can
# be written, not even with the session's read-only default turned off (the privileges hold, not
# the setting); the deny-list (api_tokens: the token hashes) cannot be read; nothing can be created
# (tables, views, functions, schemas, temporary tables, large objects), no sequence advanced, no
# other role taken.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
VAR=$(readlink -f "$ROOT/var")
READER=aifb_read
DENY=(api_tokens) # scripts/stack's READER_DENY: what the reader must not read
PASSFILE=$VAR/$READER.pgpass
RDSN="host=127.0.0.1 port=${AIFB_PG_PORT:-5433} dbname=aifb user=$READER passfile=$PASSFILE connect_timeout=5"
DSN=$(sed -n 's/^db\.dsn *= *//p' "$VAR/aifb.conf" 2>/dev/null | tail -n 1)

# owner SQL: as aifb (the catalogue walks; what the role is, even when it cannot log in).
owner() { psql "$DSN" -X -q -At -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
# reader SQL...: as the reader; its output, errors included; non-zero status on error.
reader() { psql "$RDSN" -X -w -q -At -v ON_ERROR_STOP=1 "$@" 2>&1 </dev/null; }

# denied NAME SQL: SQL, run as the reader in a transaction that is rolled back and with its
# read-only default off, fails with "permission denied".
denied() {
    local out
    if out=$(PGOPTIONS='-c default_transaction_read_only=off' reader -c BEGIN -c "$2" -c ROLLBACK); then
        fail "$1" "it ran: ${out:0:200}"
    elif grep -q 'permission denied' <<<"$out"; then
        pass "$1"
    else
        fail "$1" "not refused for want of a privilege: ${out:0:300}"
    fi
}

# allowed NAME SQL: SQL runs as the reader (in its own read-only session).
allowed() {
    local out
    if out=$(reader -c "$2"); then pass "$1"; else fail "$1" "${out:0:300}"; fi
}

in_deny() {
    local d
    for d in "${DENY[@]}"; do [ "$d" = "$1" ] && return 0; done
    return 1
}

echo "== the role and its password"
if [ -z "$DSN" ] || ! owner 'SELECT 1' >/dev/null; then
    fail "PostgreSQL as aifb" "no db.dsn in $VAR/aifb.conf, or PostgreSQL does not answer: run scripts/stack up"
    finish
    exit
fi
if [ ! -f "$PASSFILE" ]; then
    fail "var/$READER.pgpass" "missing: scripts/stack up writes it"
else
    mode=$(stat -c %a "$PASSFILE")
    [ "$mode" = 600 ] && pass "var/$READER.pgpass has mode 0600" || fail "var/$READER.pgpass mode" "$mode, want 600"
    pw=$(sed -n -E "s/^\*:\*:aifb:$READER:([0-9a-f]{48})\$/\1/p" "$PASSFILE")
    if [ -n "$pw" ] && ! grep -q "password=$pw" "$VAR/aifb.conf"; then
        pass "var/$READER.pgpass holds a password of its own for $READER"
    else
        fail "var/$READER.pgpass" "no '*:*:aifb:$READER:<48 hex>' line, or the same password as aifb"
    fi
fi
attrs=$(owner "SELECT concat_ws(' ', rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls)
               FROM pg_roles WHERE rolname = '$READER'")
[ "$attrs" = "t f f f f f" ] && pass "$READER: LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS" ||
    fail "$READER: attributes" "login super createdb createrole replication bypassrls = '$attrs'"
limit=$(owner "SELECT rolconnlimit FROM pg_roles WHERE rolname = '$READER'")
[[ $limit =~ ^[0-9]+$ ]] && ((limit >= 1 && limit <= 64)) && pass "$READER: connection limit $limit" ||
    fail "$READER: connection limit" "'$limit', want 1..64"
conf=$(owner "SELECT array_to_string(rolconfig, ' ') FROM pg_roles WHERE rolname = '$READER'")
[[ " $conf " == *" default_transaction_read_only=on "* && $conf =~ (^| )statement_timeout=([1-9][0-9]*[a-z]*)( |$) ]] &&
    pass "$READER: read-only and statement_timeout=${BASH_REMATCH[2]} by default" ||
    fail "$READER: settings" "'$conf', want default_transaction_read_only=on and a statement_timeout"
member=$(owner "SELECT string_agg(m.roleid::regrole::text, ' ') FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member
                WHERE r.rolname = '$READER'")
[ -n "$attrs" ] && [ -z "$member" ] && pass "$READER is a member of no role" || fail "$READER: member of" "$member"

echo "== connected as $READER over TCP"
if ! who=$(reader -c "SELECT current_user || ' ' || host(inet_server_addr())"); then
    fail "$READER logs in over TCP with the password of var/$READER.pgpass" "$who"
    finish # every check below would fail the same way
    exit
elif [ "$who" != "$READER 127.0.0.1" ]; then
    fail "$READER logs in over TCP" "current_user and server address: $who"
else
    pass "$READER logs in over TCP 127.0.0.1 with the password of var/$READER.pgpass"
fi
got=$(reader -c 'SHOW default_transaction_read_only' -c 'SHOW statement_timeout' | tr '\n' ' ')
[[ $got =~ ^on\ ([1-9][0-9]*[a-z]*)\ $ ]] && pass "a session of $READER is read-only, statement_timeout ${BASH_REMATCH[1]}" ||
    fail "$READER session settings" "default_transaction_read_only, statement_timeout: '$got'"
out=$(reader -c "INSERT INTO schema_migrations (version, name) VALUES (-1, 'reader')")
grep -q 'read-only transaction' <<<"$out" && pass "a write in its default session: refused as read-only" ||
    fail "a write in its default session" "${out:0:300}"
allowed "run_summary_json() runs as $READER" "SELECT run_summary_json((SELECT coalesce(max(id), 0) FROM runs))"

echo "== every relation of the schema"
rels=$(owner "SELECT c.relname || ' ' || c.relkind::text FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              ORDER BY c.relkind, c.relname") || {
    fail "the schema's relations" "$rels"
    rels=
}
nread=0
nwrite=0
for d in "${DENY[@]}"; do
    grep -q "^$d [rp]\$" <<<"$rels" && pass "the deny-list's $d is a table of the schema" ||
        fail "deny-list" "$d is not a table of the schema: the suite's deny-list is stale"
done
while read -r rel kind; do
    [ -n "$rel" ] || continue
    case $kind in
    S)
        denied "nextval('$rel') is refused" "SELECT nextval('public.\"$rel\"')"
        continue
        ;;
    esac
    if in_deny "$rel"; then
        denied "SELECT from $rel is refused" "SELECT * FROM public.\"$rel\" LIMIT 1"
    elif out=$(reader -c "SELECT count(*) FROM (SELECT * FROM public.\"$rel\" LIMIT 1) s"); then
        nread=$((nread + 1))
        pass "SELECT from $rel ($kind)"
    else
        fail "SELECT from $rel ($kind)" "${out:0:300}"
    fi
    [[ $kind == [rp] ]] || continue
    nwrite=$((nwrite + 1))
    col=$(owner "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = 'public.\"$rel\"'::regclass
                 AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1")
    denied "INSERT into $rel is refused" "INSERT INTO public.\"$rel\" DEFAULT VALUES"
    denied "UPDATE of $rel is refused" "UPDATE public.\"$rel\" SET $col = DEFAULT WHERE false"
    denied "DELETE from $rel is refused" "DELETE FROM public.\"$rel\" WHERE false"
    denied "TRUNCATE of $rel is refused" "TRUNCATE public.\"$rel\""
done <<<"$rels"
info "$nread relations read, $nwrite tables not written"
((nread >= 10)) && pass "the walk read $nread relations" || fail "the walk" "only $nread relations read"

echo "== no way around the deny-list"
# A view runs with its owner's (aifb's) privileges and a SECURITY DEFINER function as aifb: one over
# a denied table would hand it to the reader.
deny_sql="ARRAY[$(printf "'%s'," "${DENY[@]}" | sed 's/,$//')]"
leaky=$(owner "SELECT string_agg(DISTINCT v.relname || ' reads ' || t.relname, ', ')
               FROM pg_rewrite r JOIN pg_class v ON v.oid = r.ev_class
               JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                                AND d.refclassid = 'pg_class'::regclass
               JOIN pg_class t ON t.oid = d.refobjid
               WHERE v.relnamespace = 'public'::regnamespace AND v.oid <> t.oid
                 AND t.relname = ANY ($deny_sql) AND NOT v.relname = ANY ($deny_sql)")
[ -z "$leaky" ] && pass "no readable view is built on ${DENY[*]}" || fail "views over the deny-list" "$leaky"
definer=$(owner "SELECT string_agg(proname, ', ') FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prosecdef")
[ -z "$definer" ] && pass "no SECURITY DEFINER function in the schema" || fail "SECURITY DEFINER functions" "$definer"
denied "SET ROLE aifb is refused" "SET ROLE aifb"
denied "SET SESSION AUTHORIZATION aifb is refused" "SET SESSION AUTHORIZATION aifb"

echo "== nothing can be created"
denied "CREATE TABLE is refused" "CREATE TABLE public.reader_probe (x int)"
denied "CREATE VIEW is refused" "CREATE VIEW public.reader_probe AS SELECT 1 AS x"
denied "CREATE FUNCTION is refused" "CREATE FUNCTION public.reader_probe() RETURNS int LANGUAGE sql AS 'SELECT 1'"
denied "CREATE SCHEMA is refused" "CREATE SCHEMA reader_probe"
denied "CREATE TEMP TABLE is refused" "CREATE TEMP TABLE reader_probe (x int)"
denied "a new large object is refused (lo_from_bytea)" "SELECT lo_from_bytea(0, 'reader')"
denied "a new large object is refused (lo_create)" "SELECT lo_create(0)"
denied "a new large object is refused (lo_creat)" "SELECT lo_creat(-1)"

echo "== the apps' periodic work cannot be stalled"
# aifb-server's reconciler locks this key (fcgi-apps/server/services.c RECONCILE_LOCK)
denied "an advisory lock is refused (pg_try_advisory_lock)" "SELECT pg_try_advisory_lock(1634297442)"
denied "an advisory lock is refused (pg_advisory_lock_shared)" "SELECT pg_advisory_lock_shared(1634297442)"
denied "an advisory lock is refused (two keys)" "SELECT pg_try_advisory_xact_lock(1, 2)"

finish
