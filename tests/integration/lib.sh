# shellcheck shell=bash
# Shared helpers of the integration suites: HTTP calls through nginx with curl, checks that count
# what passed and failed, and the closing "N passed, N failed" line that tests/run adds up.
# Source it; every suite ends with `finish`.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BASE="http://127.0.0.1:${AIFB_HTTP_PORT:-8080}"
PASSED=0
FAILED=0
TMP=$(mktemp -d)
PIDS=() # background processes a suite starts: killed when it exits
cleanup_suite() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup_suite EXIT

skip() { printf '  skip  %s\n' "$1"; }
info() { printf '  info  %s\n' "$1"; }
pass() { PASSED=$((PASSED + 1)); printf '  ok    %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf '  FAIL  %s: %s\n' "$1" "$2"; }

# http METHOD PATH [curl args...]: sets STATUS, BODY and HEADERS (lower-cased names).
http() {
    local method=$1 path=$2
    shift 2
    local how=(-X "$method")
    [ "$method" = HEAD ] && how=(--head) # -X HEAD would wait for a body that never comes
    : >"$TMP/body"
    STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" "${how[@]}" --max-time 10 "$@" \
        -w '%{http_code}' "$BASE$path") || STATUS=000
    BODY=$(cat "$TMP/body")
    HEADERS=$(tr -d '\r' <"$TMP/headers" | tr 'A-Z' 'a-z')
}

# With a token: auth TOKEN METHOD PATH [curl args...]
auth() {
    local token=$1
    shift
    http "$@" -H "Authorization: Bearer $token"
}

# check NAME WANT_STATUS: the last call answered WANT_STATUS.
check() {
    if [ "$STATUS" = "$2" ]; then pass "$1"; else fail "$1" "status $STATUS, want $2; body: ${BODY:0:300}"; fi
}

# check_json NAME JQ_EXPR: the last body satisfies the jq expression.
check_json() {
    if jq -e "$2" >/dev/null 2>&1 <<<"$BODY"; then pass "$1"; else fail "$1" "body fails '$2': ${BODY:0:300}"; fi
}

# check_error NAME STATUS CODE: the last call answered STATUS with the one error document:
# exactly error, hint, detail and request_id, error == CODE, and a request id that matches the header.
check_error() {
    local name=$1 want=$2 code=$3 rid
    if [ "$STATUS" != "$want" ]; then
        fail "$name" "status $STATUS, want $want; body: ${BODY:0:300}"
        return
    fi
    rid=$(sed -n 's/^x-request-id: //p' <<<"$HEADERS")
    if jq -e --arg code "$code" --arg rid "$rid" '
        (keys == ["detail", "error", "hint", "request_id"]) and .error == $code and
        (.hint | length > 0) and (.request_id | length > 0) and
        ($rid == "" or .request_id == $rid)' >/dev/null 2>&1 <<<"$BODY"; then
        pass "$name"
    else
        fail "$name" "not the error shape with error=$code: ${BODY:0:300}"
    fi
}

# check_detail NAME TEXT: the last error's detail mentions TEXT.
check_detail() {
    if jq -e --arg t "$2" '.detail | contains($t)' >/dev/null 2>&1 <<<"$BODY"; then
        pass "$1"
    else
        fail "$1" "detail lacks '$2': ${BODY:0:300}"
    fi
}

# check_header NAME HEADER VALUE: the last reply had this header with this value (case-insensitive).
check_header() {
    local got
    got=$(sed -n "s/^$2: //p" <<<"$HEADERS")
    if [ "$got" = "$(tr 'A-Z' 'a-z' <<<"$3")" ]; then pass "$1"; else fail "$1" "$2 is '$got', want '$3'"; fi
}

# wait_for SECONDS COMMAND...: retries COMMAND every 50 ms until it succeeds or time runs out.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

# start_sim NAME ARGS...: an aifb-simllm ($SIM, prefixed by the PRIO array) on a free port of
# 127.0.0.1; sets SIM_PID (also added to PIDS), PORT and SIM_URL. Its stdout and stderr go to
# $TMP/NAME.out and $TMP/NAME.log. Returns 1 (with a failure counted) when it does not start.
start_sim() {
    local name=$1
    shift
    "${PRIO[@]}" "$SIM" --port 0 --port-file "$TMP/$name.port" "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    if ! wait_for 10 test -s "$TMP/$name.port"; then
        fail "$name: simulator starts" "$(cat "$TMP/$name.log")"
        return 1
    fi
    PORT=$(cat "$TMP/$name.port")
    # shellcheck disable=SC2034 # for the suite that called it
    SIM_URL="http://127.0.0.1:$PORT"
}

# A token of ROLE, made through the stack script (the C program inserts only its hash).
new_token() {
    "$ROOT/scripts/stack" token "$1" "test-$1-$$" | tail -n 1
}

# ensure_agent INSTALLED BIN: installs the agent on the login node (scripts/agent-install) when the
# installed binary is missing or older than the build's (BIN/aifb-agent) or than a recipe.
ensure_agent() {
    local installed=$1 bin=$2 stale=0 f out
    [ -x "$installed" ] || stale=1
    for f in "$bin"/aifb-agent "$bin"/aifb-loadgen "$bin"/aifb-simllm "$ROOT"/remote-agent/recipes/*.json; do
        [ -e "$f" ] && [ "$f" -nt "$installed" ] && stale=1
    done
    [ "$stale" = 1 ] || return 0
    if out=$("$ROOT/scripts/agent-install" 2>&1); then
        pass "scripts/agent-install"
    else
        fail "scripts/agent-install" "$(tail -n 5 <<<"$out")"
    fi
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# same_figures NAME A B: aifb-loadgen's summary A (summary-<rank>.json) and run_summary_json's B of
# the same single-rank records give every figure alike: each number or boolean (or null) at a path
# both have is equal, numbers within float rounding (relative 1e-9, or 1e-9 absolute near 0). A path
# only one has must be one of A's facts of the rank (rank, ranks, run_id, started_at, ended_at,
# self_check.held_s) or of a variant's distribution (A gives each its std, min, max and the
# workload's percentiles; B gives mean, median, p99): any other one, under errors for instance, is a
# difference too.
same_figures() {
    local out
    if ! jq -e 'type == "object"' >/dev/null 2>&1 <<<"$2" || ! jq -e 'type == "object"' >/dev/null 2>&1 <<<"$3"; then
        fail "$1" "not two JSON objects: ${2:0:300} | ${3:0:300}"
        return
    fi
    out=$(jq -rn --argjson a "$2" --argjson b "$3" '
        def leaves($x): [$x | paths(type != "object" and type != "array" or . == {} or . == [])];
        def near($x; $y): if ($x | type) == "number" and ($y | type) == "number"
            then (($x - $y) | fabs) <= 1e-9 * ([($x | fabs), ($y | fabs)] | max) + 1e-9 else $x == $y end;
        def key: map(tostring) | join(".");
        leaves($a) as $la | leaves($b) as $lb | ($la | map(key)) as $ka | ($lb | map(key)) as $kb
        | [$la[] | select(. as $p | $lb | index([$p]))] as $both
        | [$both[] | . as $p | select(near($a | getpath($p); $b | getpath($p)) | not)
                   | "\(key): \($a | getpath($p)) vs \($b | getpath($p))"] as $diff
        | [$ka[] | . as $k | select($kb | index([$k]) | not)
                 | select(test("^(rank|ranks|run_id|started_at|ended_at|self_check[.](held_s|verdict))$|^(aiperf|guidellm)[.][a-z_]+[.][a-z0-9.]+$") | not)
                 | "only in the first: \(.)"] as $onlya
        | [$kb[] | . as $k | select($ka | index([$k]) | not)
                 | select(test("^(aiperf|guidellm)[.][a-z_]+[.](mean|median|p99)$") | not)
                 | "only in the second: \(.)"] as $onlyb
        | if ($diff + $onlya + $onlyb | length) == 0
          then "ok \($both | length) \([$both[] | . as $p | select(($a | getpath($p)) != null)] | length)"
          else ($diff + $onlya + $onlyb | join("; ")) end' 2>&1)
    local n=${out#ok }
    if [[ $out == ok\ * ]] && [ "${n%% *}" -ge 20 ]; then
        pass "$1: ${n%% *} figures alike (${n#* } of them not null)"
    else
        fail "$1" "${out:0:1500}"
    fi
}
