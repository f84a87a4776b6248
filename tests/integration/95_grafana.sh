#!/usr/bin/env bash
# The Grafana dashboards of grafana/dashboards against the real schema and Prometheus. As files: every
# dashboard is valid JSON with a uid, a title and the aifb tag, its panel ids are unique, and every
# data source it names is one grafana/provisioning/datasources provisions (by uid, with its type); the
# provisioning YAML parses (when python3-yaml is installed); every metric a Prometheus query names is
# one that remote-agent/ exports. Then every query as Grafana would send it, one check each, named
# after the dashboard and the panel: each PostgreSQL target and template variable, with $run the
# newest run and the macros expanded as Grafana's postgres data source expands them over the last
# 7 days, run as aifb_read (the read-only role the data source logs in as, with its own statement
# timeout) in a read-only transaction that is rolled back (an empty result is fine; a time_series
# target must give a "time" column); each Prometheus expression and template variable, with
# $__rate_interval 1m, $__range 1h, $__interval 15s and template variables at All (.*), asked of
# Prometheus's query API (status success; an empty result is fine).
# shellcheck disable=SC2016 # Grafana's $variables and macros are literal text here
set -uo pipefail
. "$(dirname "$0")/lib.sh"
shopt -u patsub_replacement 2>/dev/null # an & in a replacement stays an &
DASHDIR=$ROOT/grafana/dashboards
PROVDIR=$ROOT/grafana/provisioning
PROM="http://127.0.0.1:${AIFB_PROM_PORT:-9090}"
VAR=$(readlink -f "$ROOT/var")
READER=aifb_read # the data source's user, made by scripts/stack with its password in var/aifb_read.pgpass
DSN="host=127.0.0.1 port=${AIFB_PG_PORT:-5433} dbname=aifb user=$READER passfile=$VAR/$READER.pgpass connect_timeout=5"
# the dashboards' time range for the checks: the last 7 days
T_TO=$(date -u +%s)
T_FROM=$((T_TO - 7 * 86400))
ISO_FROM=$(date -u -d "@$T_FROM" +%Y-%m-%dT%H:%M:%SZ)
ISO_TO=$(date -u -d "@$T_TO" +%Y-%m-%dT%H:%M:%SZ)
RUNQ='(SELECT coalesce(max(id), 0) FROM runs)' # what $run stands for
ALL='.*'                                       # a Prometheus template variable at All

trim() {
    local s=$1
    s=${s#"${s%%[![:space:]]*}"}
    printf '%s' "${s%"${s##*[![:space:]]}"}"
}

# interval_s INTERVAL: Grafana's interval ('1h', 5m, 30s, 500ms, 1d, 1w) in seconds, as Go's %v prints them.
interval_s() {
    local re="^'?([0-9]+)(ms|s|m|h|d|w)'?\$"
    [[ $1 =~ $re ]] || return 1
    case ${BASH_REMATCH[2]} in
    ms) awk -v n="${BASH_REMATCH[1]}" 'BEGIN { printf "%g", n / 1000 }' ;;
    s) printf '%s' "${BASH_REMATCH[1]}" ;;
    m) printf '%s' $((BASH_REMATCH[1] * 60)) ;;
    h) printf '%s' $((BASH_REMATCH[1] * 3600)) ;;
    d) printf '%s' $((BASH_REMATCH[1] * 86400)) ;;
    w) printf '%s' $((BASH_REMATCH[1] * 604800)) ;;
    esac
}

# sql_macro NAME ARGS NEXT: one macro as Grafana's postgres macro engine expands it (NEXT: the
# character after the call; $__timeGroup followed by a comma gets the alias, as Grafana does).
# Status 1, with the reason, for an unknown macro or bad arguments.
sql_macro() {
    local name=$1 next=$3 a0 a1 secs tg
    local -a args=()
    IFS=',' read -r -a args <<<"${2//$'\n'/ }"
    a0=$(trim "${args[0]:-}")
    a1=$(trim "${args[1]:-}")
    case $name in
    __time | __timeEpoch | __timeFilter | __unixEpochFilter | __unixEpochNanoFilter | __timeGroup | \
        __timeGroupAlias | __unixEpochGroup | __unixEpochGroupAlias)
        [ -n "$a0" ] || {
            printf 'macro $%s without its column' "$name"
            return 1
        }
        ;;
    esac
    case $name in
    __timeGroup | __timeGroupAlias | __unixEpochGroup | __unixEpochGroupAlias)
        secs=$(interval_s "$a1") || {
            printf 'macro $%s: bad interval "%s"' "$name" "$a1"
            return 1
        }
        ;;
    esac
    case $name in
    __time) printf '%s AS "time"' "$a0" ;;
    __timeEpoch) printf 'extract(epoch from %s) as "time"' "$a0" ;;
    __timeFilter) printf "%s BETWEEN '%s' AND '%s'" "$a0" "$ISO_FROM" "$ISO_TO" ;;
    __timeFrom) printf "'%s'" "$ISO_FROM" ;;
    __timeTo) printf "'%s'" "$ISO_TO" ;;
    __timeGroup | __timeGroupAlias)
        tg="floor(extract(epoch from $a0)/$secs)*$secs"
        if [ "$name" = __timeGroupAlias ] || [ "$next" = , ]; then tg+=' AS "time"'; fi
        printf '%s' "$tg"
        ;;
    __unixEpochFilter) printf '%s >= %s AND %s <= %s' "$a0" "$T_FROM" "$a0" "$T_TO" ;;
    __unixEpochNanoFilter) printf '%s >= %s000000000 AND %s <= %s000000000' "$a0" "$T_FROM" "$a0" "$T_TO" ;;
    __unixEpochNanoFrom) printf '%s000000000' "$T_FROM" ;;
    __unixEpochNanoTo) printf '%s000000000' "$T_TO" ;;
    __unixEpochGroup | __unixEpochGroupAlias)
        tg="floor(($a0)/$secs)*$secs"
        [ "$name" = __unixEpochGroupAlias ] && tg+=' AS "time"'
        printf '%s' "$tg"
        ;;
    *)
        printf 'unknown macro $%s' "$name"
        return 1
        ;;
    esac
}

# sql_expand SQL: the query as Grafana sends it to PostgreSQL: the frontend's variables first ($run:
# the newest run; $__interval 15s), then the data source's macros. Each loop takes the last match
# (the greedy prefix), so that replacing it never touches another. Status 1 with the reason on error.
sql_expand() {
    local s=$1 re exp pre name margs post
    s=${s//'${__interval_ms}'/15000}
    s=${s//'$__interval_ms'/15000}
    s=${s//'${__interval}'/15s}
    s=${s//'$__interval'/15s}
    s=${s//'${run}'/"$RUNQ"}
    s=${s//'[[run]]'/"$RUNQ"}
    re='^(.*)\$\{run:[A-Za-z]+\}(.*)$'
    while [[ $s =~ $re ]]; do s="${BASH_REMATCH[1]}$RUNQ${BASH_REMATCH[2]}"; done
    re='^(.*)\$run([^A-Za-z0-9_].*)?$'
    while [[ $s =~ $re ]]; do s="${BASH_REMATCH[1]}$RUNQ${BASH_REMATCH[2]}"; done
    # Grafana's macro pattern: \$([_a-zA-Z0-9]+)\(([^\)]*)\)
    re='^(.*)\$([_a-zA-Z0-9]+)\(([^)]*)\)(.*)$'
    while [[ $s =~ $re ]]; do
        pre=${BASH_REMATCH[1]} name=${BASH_REMATCH[2]} margs=${BASH_REMATCH[3]} post=${BASH_REMATCH[4]}
        exp=$(sql_macro "$name" "$margs" "${post:0:1}") || {
            printf '%s' "$exp"
            return 1
        }
        s=$pre$exp$post
    done
    re='(\$\{?[A-Za-z_][A-Za-z0-9_]*)'
    if [[ $s =~ $re ]]; then
        printf 'unresolved variable or macro %s' "${BASH_REMATCH[1]}"
        return 1
    fi
    printf '%s' "$s"
}

# run_sql SQL: runs it as the reader in a read-only transaction that is rolled back, under the role's
# statement timeout, its rows thrown away; prints the result's columns (name|type, from \gdesc), or
# PostgreSQL's error with a non-zero status.
run_sql() {
    local q=$1 re='[[:space:];]$'
    while [[ $q =~ $re ]]; do q=${q%?}; done # \g runs the buffer: no trailing semicolon
    printf '%s\n' 'BEGIN READ ONLY;' "$q" '\g /dev/null' '\gdesc' 'ROLLBACK;' |
        psql "$DSN" -X -w -q -At -v ON_ERROR_STOP=1 2>&1
}

# prom_expand EXPR VAR...: Grafana's interval variables fixed, the dashboard's template variables
# (VAR...) at All.
prom_expand() {
    local s=$1 v re
    shift
    s=${s//'${__rate_interval}'/1m}
    s=${s//'$__rate_interval'/1m}
    s=${s//'${__range_s}'/3600}
    s=${s//'$__range_s'/3600}
    s=${s//'${__range_ms}'/3600000}
    s=${s//'$__range_ms'/3600000}
    s=${s//'${__range}'/1h}
    s=${s//'$__range'/1h}
    s=${s//'${__interval_ms}'/15000}
    s=${s//'$__interval_ms'/15000}
    s=${s//'${__interval}'/15s}
    s=${s//'$__interval'/15s}
    for v in "$@"; do
        s=${s//"\${$v}"/"$ALL"}
        s=${s//"[[$v]]"/"$ALL"}
        re='^(.*)\$\{'"$v"':[A-Za-z]+\}(.*)$'
        while [[ $s =~ $re ]]; do s="${BASH_REMATCH[1]}$ALL${BASH_REMATCH[2]}"; done
        re='^(.*)\$'"$v"'([^A-Za-z0-9_].*)?$'
        while [[ $s =~ $re ]]; do s="${BASH_REMATCH[1]}$ALL${BASH_REMATCH[2]}"; done
    done
    printf '%s' "$s"
}

# prom_check NAME PATH QUERY: asks Prometheus's API PATH (with QUERY as query= when given); passes
# on status success.
prom_check() {
    local name=$1 path=$2 q=$3 out
    if [ -n "$q" ]; then
        out=$(curl -s --max-time 30 "$PROM$path" --data-urlencode "query=$q")
    else
        out=$(curl -s --max-time 30 "$PROM$path")
    fi
    if jq -e '.status == "success"' >/dev/null 2>&1 <<<"$out"; then
        pass "$name"
    elif [ -z "$out" ]; then
        fail "$name" "$q: no answer from Prometheus at $PROM"
    else
        fail "$name" "$q: $(jq -r '"\(.errorType // "?"): \(.error // "?")"' 2>/dev/null <<<"$out" || echo "${out:0:300}")"
    fi
}

echo "== the provisioning files"
DSFILE=$PROVDIR/datasources/aifb.yaml
cat >"$TMP/prov.py" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert isinstance(d, dict) and d.get("apiVersion") == 1, "apiVersion is not 1"
if "datasources" in d:
    for s in d["datasources"]:
        assert s.get("uid") and s.get("type") and s.get("name"), f"a data source without uid, type or name: {s}"
        print(s["uid"], s["type"])
elif "providers" in d:
    for p in d["providers"]:
        assert p.get("type") == "file", f"provider {p.get('name')}: type is not file"
        path = str((p.get("options") or {}).get("path", ""))
        assert "AIFB_GRAFANA_DASHBOARDS" in path, f"provider {p.get('name')}: path {path!r} is not AIFB_GRAFANA_DASHBOARDS"
        assert p.get("folder") == "aifb", f"provider {p.get('name')}: folder is not aifb"
else:
    raise AssertionError("neither datasources nor providers")
EOF
if python3 -c 'import yaml' 2>/dev/null; then
    for y in "$DSFILE" "$PROVDIR"/dashboards/*.yaml; do
        rel=${y#"$ROOT"/}
        if out=$(python3 "$TMP/prov.py" "$y" 2>&1); then
            pass "$rel parses"
        else
            fail "$rel parses" "$(tail -n 1 <<<"$out")"
        fi
    done
    python3 "$TMP/prov.py" "$DSFILE" >"$TMP/ds" 2>/dev/null
else
    skip "python3-yaml is not installed: the provisioning YAML is not parsed"
    # uid and type of each data source, read line by line
    awk '/^ *- /{ if (u != "") print u, t; u = ""; t = "" } /^ *uid:/{ u = $2 } /^ *type:/{ t = $2 }
         END { if (u != "") print u, t }' "$DSFILE" >"$TMP/ds"
fi
DSMAP=$(jq -Rn '[inputs | split(" ") | select(length == 2) | {(.[0]): .[1]}] | add // {}' <"$TMP/ds")
jq -e '.["aifb-postgres"] == "postgres" and .["aifb-prometheus"] == "prometheus"' >/dev/null <<<"$DSMAP" &&
    pass "data sources provisioned: aifb-postgres (postgres), aifb-prometheus (prometheus)" ||
    fail "provisioned data sources" "$DSMAP"
dsuser=$(awk '/^ *- /{ f = 0 } /^ *uid: *aifb-postgres *$/{ f = 1 } f && /^ *user:/{ print $2; exit }' "$DSFILE")
[ "$dsuser" = "$READER" ] && pass "aifb-postgres logs in as $READER, the read-only role" ||
    fail "aifb-postgres's user" "'$dsuser', want $READER (not aifb, which owns the tables and reads the token hashes)"

echo "== the dashboards as files"
shopt -s nullglob
DASHES=("$DASHDIR"/*.json)
shopt -u nullglob
[ "${#DASHES[@]}" -gt 0 ] && pass "grafana/dashboards holds ${#DASHES[@]} dashboards" || fail "dashboards" "none in $DASHDIR"
declare -A UIDS=()
: >"$TMP/queries"
: >"$TMP/vars"
for f in "${DASHES[@]}"; do
    d=$(basename "$f" .json)
    if ! err=$(jq -e 'type == "object"' "$f" 2>&1 >/dev/null); then
        fail "$d: valid JSON" "${err:-not an object}"
        continue
    fi
    pass "$d: valid JSON"
    uid=$(jq -r '.uid // ""' "$f")
    if jq -e '(.uid | type == "string" and test("^[A-Za-z0-9_-]{1,40}$")) and (.title | type == "string" and length > 0)
              and any(.tags[]?; . == "aifb") and (.schemaVersion | type == "number")' "$f" >/dev/null 2>&1; then
        pass "$d: uid $uid, a title, the aifb tag"
    else
        fail "$d: uid, title, tags" "$(jq -c '{uid, title, tags, schemaVersion}' "$f")"
    fi
    if [ -n "$uid" ]; then
        if [ -n "${UIDS[$uid]:-}" ]; then
            fail "$d: uid $uid is its own" "${UIDS[$uid]} has it too"
        else
            UIDS[$uid]=$d
        fi
    fi
    jq -e 'def allpanels: .panels[]? | ., (.panels[]?);
           [allpanels | .id] as $ids
           | ($ids | length > 0) and ($ids | all(type == "number")) and (($ids | unique | length) == ($ids | length))' \
        "$f" >/dev/null 2>&1 && pass "$d: panel ids unique" ||
        fail "$d: panel ids unique" "$(jq -c '[.panels[]? | ., (.panels[]?) | .id]' "$f")"
    bad=$(jq -c 'def allpanels: .panels[]? | ., (.panels[]?);
                 [allpanels | select(.type != "row")
                  | select((.title // "") == "" or ((.targets // []) | length) == 0 or any(.targets[]; (.refId // "") == ""))
                  | {id, title}]' "$f")
    [ "$bad" = "[]" ] && pass "$d: every panel has a title and queries with refIds" || fail "$d: panel titles and queries" "$bad"
    bad=$(jq -c --argjson ds "$DSMAP" '[.. | objects | select(has("datasource")) | .datasource | select(. != null)
                                       | select(type != "object" or ($ds[.uid // ""] // "") != .type)] | unique' "$f")
    [ "$bad" = "[]" ] && pass "$d: data sources only by provisioned uid and type" ||
        fail "$d: data sources by provisioned uid" "$bad"
    # every query: template variables, then panel targets (a target without a data source uses its panel's)
    jq -c --arg d "$d" 'def allpanels: .panels[]? | ., (.panels[]?);
        (.templating.list[]? | select(.type == "query")
         | {dash: $d, name: ("variable $" + .name), ds: ((.datasource // {}).uid // ""), var: true, format: "table",
            query: (.query | if type == "object" then (.rawSql // .query // "") else (. // "") end)}),
        (allpanels as $p | $p.targets[]?
         | {dash: $d, name: "\($p.title) [\(.refId)]", ds: ((.datasource // $p.datasource // {}).uid // ""), var: false,
            format: (.format // "time_series"), query: (.rawSql // .expr // "")})' "$f" >>"$TMP/queries"
    jq -r --arg d "$d" '.templating.list[]? | "\($d) \(.name)"' "$f" >>"$TMP/vars"
done

while IFS=$'\t' read -r n ds; do
    fail "$n" "data source '$ds' is neither aifb-postgres nor aifb-prometheus"
done < <(jq -r 'select(.ds != "aifb-postgres" and .ds != "aifb-prometheus") | "\(.dash): \(.name)\t\(.ds)"' "$TMP/queries")

echo "== the metrics the dashboards read are ones remote-agent/ exports"
# metric names (histograms by their family's name); a regex on __name__ is left to Prometheus
jq -r 'select(.ds == "aifb-prometheus") | .dash as $d
       | .query | scan("(?:aifb_gpu_|aifb_loadgen_|vllm:)[A-Za-z0-9_:]+") | "\($d) \(sub("_(bucket|sum|count)$"; ""))"' \
    "$TMP/queries" | sort -u >"$TMP/metrics"
while read -r d m; do
    if grep -rqE --include='*.c' --include='*.h' -- "(^|[^A-Za-z0-9_:])$m([^A-Za-z0-9_:]|\$)" "$ROOT/remote-agent"; then
        pass "$d: $m is exported"
    else
        fail "$d: $m is exported" "no exporter in remote-agent/ writes $m"
    fi
done <"$TMP/metrics"

echo "== every PostgreSQL query, as Grafana sends it"
if [ ! -f "$VAR/$READER.pgpass" ]; then
    fail "PostgreSQL queries" "no var/$READER.pgpass: run scripts/stack up"
elif ! err=$(psql "$DSN" -X -w -At -c 'SELECT 1' 2>&1); then
    fail "PostgreSQL queries" "PostgreSQL does not answer $READER: $err"
else
    info "as $READER; time range $ISO_FROM .. $ISO_TO; \$run = $(psql "$DSN" -X -w -At -c "SELECT $RUNQ" 2>&1)"
    while IFS= read -r rec; do
        name=$(jq -r '"\(.dash): \(.name)"' <<<"$rec")
        q=$(jq -r .query <<<"$rec")
        format=$(jq -r .format <<<"$rec")
        isvar=$(jq -r .var <<<"$rec")
        if [ -z "$(trim "$q")" ]; then
            fail "$name" "an empty query"
            continue
        fi
        if ! sq=$(sql_expand "$q"); then
            fail "$name" "$sq"
            continue
        fi
        if ! cols=$(run_sql "$sq"); then
            msg=$(grep -m 3 -E 'ERROR|LINE|HINT|DETAIL' <<<"$cols" | tr '\n' ' ')
            fail "$name" "${msg:-${cols:0:300}} | $sq"
        elif [ "$isvar" = false ] && [ "$format" = time_series ] && ! grep -q '^time|' <<<"$cols"; then
            fail "$name" "format time_series without a time column: $(cut -d'|' -f1 <<<"$cols" | tr '\n' ' ')"
        elif [ "$isvar" = true ] && grep -q '^__value|' <<<"$cols" && ! grep -q '^__text|' <<<"$cols"; then
            fail "$name" "__value without __text"
        else
            pass "$name ($(grep -c '|' <<<"$cols") columns)"
        fi
    done < <(jq -c 'select(.ds == "aifb-postgres")' "$TMP/queries")
fi

echo "== every Prometheus query, as Grafana sends it"
if ! curl -sf -o /dev/null --max-time 5 "$PROM/-/ready"; then
    skip "the stack's Prometheus does not answer at $PROM: Prometheus queries"
else
    while IFS= read -r rec; do
        d=$(jq -r .dash <<<"$rec")
        name=$(jq -r '"\(.dash): \(.name)"' <<<"$rec")
        q=$(jq -r .query <<<"$rec")
        mapfile -t vars < <(sed -n "s/^$d //p" "$TMP/vars")
        q=$(prom_expand "$q" "${vars[@]}")
        if [ -z "$(trim "$q")" ]; then
            fail "$name" "an empty query"
            continue
        fi
        re='^[[:space:]]*label_values\((.*)\)[[:space:]]*$'
        if [[ $q =~ $re ]]; then
            # Grafana asks for a label's values over a series selector: check the selector and the label
            inner=${BASH_REMATCH[1]}
            label=$(trim "${inner##*,}")
            sel=
            [[ $inner == *,* ]] && sel=$(trim "${inner%,*}")
            if ! [[ $label =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
                fail "$name" "label_values: '$label' is not a label name"
            elif [ -n "$sel" ]; then
                prom_check "$name" /api/v1/query "$sel"
            else
                prom_check "$name" "/api/v1/label/$label/values" ""
            fi
            continue
        fi
        re='^[[:space:]]*query_result\((.*)\)[[:space:]]*$'
        [[ $q =~ $re ]] && q=${BASH_REMATCH[1]}
        prom_check "$name" /api/v1/query "$q"
    done < <(jq -c 'select(.ds == "aifb-prometheus")' "$TMP/queries")
fi

n=$(jq -s 'length' "$TMP/queries")
info "$n queries in ${#DASHES[@]} dashboards"
finish
