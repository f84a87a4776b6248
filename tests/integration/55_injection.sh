#!/usr/bin/env bash
# Shell injection through aifb-agent submit, for every recipe the agent lists: every string parameter,
# every element of an array-of-string parameter and the submit fields job_name, partition, account,
# qos and time_limit, each given hostile values ($(touch C), backticks, ;, |, &&, a newline, both
# quotes, ../ and /../, %x%j\, 100 KB), alone and after a valid value, all other values valid. Each
# must be refused with 400 invalid_input naming the field, or accepted and passed through only as one
# single-quoted word of the kept script (parsed by bash -n and a quote scanner); the job then runs
# (simllm until its endpoint is up, the container recipes until they fail for want of apptainer) and
# is cancelled. The canary file C, in a folder the cluster user may write to, must never appear; the
# script kept in STATE/jobs/ID is the one SLURM holds (what it runs), unchanged from submit to the
# end of the job, 0700 or stricter and owned by the cluster user, in a folder only that user writes.
# Prints refused/accepted per recipe. Needs `scripts/stack up` (as root); installs the agent when
# the cluster's copy is older than the build's; cancels every job it started.
set -uo pipefail
export LC_ALL=C
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
VAR=$(readlink -f "$ROOT/var")
CONF=$VAR/aifb.conf
BIN=${AIFB_BIN:-$ROOT/build/bin}
TAG=aifb-t55-$$
ACCEPTED=()   # job ids
declare -A RECIPE_OF SHA_SUBMIT SHA_SLURM UP RUNNABLE

conf() { sed -n -E "s/^[[:space:]]*${1//./\\.}[[:space:]]*=[[:space:]]*//p" "$CONF" | tail -n 1 | sed -E 's/[[:space:]]+$//'; }

status=$("$ROOT/scripts/stack" status 2>&1)
if ! grep -qE '^slurmctld  up ' <<<"$status" || ! grep -qE '^sshd  up ' <<<"$status" || [ ! -r "$CONF" ] ||
    [ ! -r "$VAR/cluster.env" ]; then
    fail "cluster up" "slurmctld and sshd must run: scripts/stack up"
    finish
    exit
fi
# shellcheck source=/dev/null
. "$VAR/cluster.env"
CUSER=$(conf cluster.user)
AGENT=$(conf cluster.agent)
AGENT=${AGENT:-.aifb/bin/aifb-agent}
# One SSH connection, one exec channel per agent call (as the server's sessions do): ~10 ms a call.
SSH_OPTS=(-F /dev/null -i "$(conf cluster.key)" -o UserKnownHostsFile="$(conf cluster.known_hosts)"
    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5
    -o ControlPath="$TMP/ssh-%C" -p "$(conf cluster.port)")
SSH_HOST=$CUSER@$(conf cluster.host)
SSH=(ssh "${SSH_OPTS[@]}" -o ControlMaster=no "$SSH_HOST")
CHOME=$(getent passwd "$CUSER" | cut -d: -f6)
STATE=$CHOME/.aifb/state
JOBCOMP=$(scontrol show config 2>/dev/null | sed -n -E 's/^JobCompLoc *= *//p')
JOBCOMP_OFF=$(stat -c %s "$JOBCOMP" 2>/dev/null || echo 0)
CDIR=$(mktemp -d /tmp/aifb-t55-canary.XXXXXX)
chmod 1777 "$CDIR"
CANARY=$CDIR/C

cleanup() {
    if [ "${#ACCEPTED[@]}" -gt 0 ]; then scancel "${ACCEPTED[@]}" >/dev/null 2>&1; fi
    scancel -u "$CUSER" -n "$TAG" >/dev/null 2>&1
    ssh "${SSH_OPTS[@]}" -O exit "$SSH_HOST" >/dev/null 2>&1
    rm -rf "$TMP" "$CDIR"
}
trap cleanup EXIT

ensure_agent "$CHOME/$AGENT" "$BIN"

# agent [ARGS...]: runs the agent over SSH with stdin from $IN (empty by default); sets BODY and RC.
IN=
agent() {
    BODY=$(printf '%s' "$IN" | "${SSH[@]}" "$AGENT" "$@" 2>"$TMP/agent.err")
    RC=$?
    IN=
}

# The connection the agent calls share (each call its own exec channel); without it, one each.
# (not -N: a master started with -N refuses sessions; ControlPersist puts it in the background and ends
# it 60 s after its last channel, should the cleanup's -O exit not run)
ssh "${SSH_OPTS[@]}" -o ControlMaster=yes -o ControlPersist=60 "$SSH_HOST" true >/dev/null 2>&1 ||
    echo "  (no shared SSH connection: each call connects on its own)"

# The cluster user can make the canary (so a command that ran would leave it), and it is gone again.
"${SSH[@]}" touch "$CANARY" 2>"$TMP/agent.err"
if [ -f "$CANARY" ] && [ "$(stat -c %U "$CANARY")" = "$CUSER" ]; then
    pass "$CUSER can write the canary $CANARY"
else
    fail "$CUSER can write the canary $CANARY" "$(head -c 300 "$TMP/agent.err")"
fi
rm -f "$CANARY"

agent recipes
if [ "$RC" != 0 ] || ! jq -e '.recipes | length > 0' >/dev/null 2>&1 <<<"$BODY"; then
    fail "agent recipes" "rc $RC: ${BODY:0:300} $(head -c 200 "$TMP/agent.err")"
    finish
    exit
fi
RECIPES_JSON=$BODY
mapfile -t RECIPES < <(jq -r '.recipes[].name' <<<"$RECIPES_JSON")
pass "agent recipes: ${RECIPES[*]}"

# sample DECL: a valid value (JSON) for a parameter declaration: its default when it has one (a string
# default only when not empty), else the first candidate that matches its pattern and length (bash
# matches with the same POSIX ERE as the agent), its min, its first enum value, false or [].
CANDIDATES=(a org/model /a/b --a 127.0.0.1 1 00:01:00 x1)
sample() {
    local type def pat lo hi c
    IFS=$'\x1f' read -r type def pat lo hi < <(jq -r '. as $d | if .type == "array" then .items + {type: "array"} else . end |
        [.type, ($d.default | if . == null or . == "" or . == [] then "" else tojson end),
         .pattern // "", .min // 0, .max // 1024] | map(tostring) | join("\u001f")' <<<"$1")
    [ -n "$def" ] && { echo "$def"; return; }
    case $type in
    string | array)
        for c in "${CANDIDATES[@]}"; do
            if [ "${#c}" -ge "$lo" ] && [ "${#c}" -le "$hi" ] && { [ -z "$pat" ] || [[ $c =~ ^($pat)$ ]]; }; then
                jq -cn --arg c "$c" --arg t "$type" 'if $t == "array" then [$c] else $c end'
                return
            fi
        done
        echo '"a"'
        ;;
    *) jq -c 'if .enum then .enum[0] elif .min != null then .min elif .type == "boolean" then false else 1 end' <<<"$1" ;;
    esac
}

# The hostile values; /../ climbs out of a valid value that comes first; the 100 KB one ends with a command.
LONG=$(head -c $((102400 - 20 - ${#CANARY})) /dev/zero | tr '\0' a)" \$(touch $CANARY)"
NL='
'
PAYLOADS=(
    "\$(touch $CANARY)" "\`touch $CANARY\`" "; touch $CANARY" "| touch $CANARY" "&& touch $CANARY"
    "${NL}touch $CANARY" "'; touch $CANARY; '" "\"; touch $CANARY; \"" "../../../etc/passwd"
    "/../../../etc/passwd" "%x%j\\" "$LONG"
)
PNAMES=("\$()" backticks ';' '|' '&&' newline "'" '"' '../' '/../' "%x%j\\" 100KB)

# sq VALUE: VALUE as the agent quotes it: one single-quoted word, ' written as '\''.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# quoted_only SCRIPT VALUE MARKER: bash -n accepts SCRIPT, and MARKER occurs in it only inside the
# word $(sq VALUE) standing where bash is outside every quote (not in "...", '...', $'...', a
# comment or a here-document). Prints "ok N" (N: how often the word occurs) or why not.
quoted_only() {
    local why
    if ! why=$(bash -n "$1" 2>&1); then
        echo "bash -n: ${why:0:200}"
        return 1
    fi
    AIFB_Q=$(sq "$2") AIFB_M=$3 awk '
        BEGIN { RS = "\001" }
        { s = (NR > 1 ? s RS : "") $0 }
        END {
            q = ENVIRON["AIFB_Q"]; m = ENVIRON["AIFB_M"]; lq = length(q); lm = length(m)
            q1 = substr(q, 1, 1); m1 = substr(m, 1, 1)
            n = length(s); st = 0; prev = "\n"; bad = ""; nq = 0
            for (i = 1; i <= n;) {
                c = substr(s, i, 1)
                if (st == 0 && c == q1 && substr(s, i, lq) == q) { nq++; i += lq; prev = "x"; continue }
                if (lm && c == m1 && substr(s, i, lm) == m) { bad = "the value outside its quoted word at byte " i; break }
                if (st == 0) {
                    if (c == "\\") { i += 2; prev = "x"; continue }
                    if (c == "\047") st = (prev == "$" ? 3 : 1)
                    else if (c == "\"") st = 2
                    else if (c == "#" && index(" \t\n;&|(", prev)) {
                        while (i <= n && substr(s, i, 1) != "\n") i++
                        prev = "\n"; continue
                    } else if (c == "<" && prev != "<" && substr(s, i, 3) ~ /^<<[^<]/) { bad = "a here-document"; break }
                } else if (st == 1) {
                    if (c == "\047") st = 0
                } else {
                    if (c == "\\") { i += 2; prev = "x"; continue }
                    if ((st == 2 && c == "\"") || (st == 3 && c == "\047")) st = 0
                }
                prev = c; i++
            }
            if (bad == "" && st) bad = "the script ends inside a quote"
            print (bad == "" ? "ok " nq : bad)
            exit (bad == "" ? 0 : 1)
        }' "$1"
}

# ended ID: the job is in the job completion file (written since this suite started); without one,
# squeue no longer lists it as pending, running, completing or suspended (200 ms a call).
ended() {
    if [ -r "$JOBCOMP" ]; then
        tail -c +$((JOBCOMP_OFF + 1)) "$JOBCOMP" | grep -q "^JobId=$1 "
    else
        [ -z "$(squeue -h -j "$1" -t PD,R,CG,CF,S -o %i 2>/dev/null)" ]
    fi
}
# up_or_ended ID: the job published its endpoint (so its script ran past the values) or has ended.
up_or_ended() { [ -e "$STATE/jobs/$1/endpoint.json" ] || ended "$1"; }

JOB_FAILS=()
# accepted_job ID RECIPE VALUE MARKER: the checks on a job the agent took, right after submit:
# SLURM holds the script kept in STATE/jobs/ID, it passes quoted_only; then waits (20 s at most)
# until the service is up (UP[ID]=1: the script ran past every value) or the job ended, and cancels it.
accepted_job() {
    local id=$1 script=$STATE/jobs/$1/script.sh why
    ACCEPTED+=("$id")
    RECIPE_OF[$id]=$2
    SHA_SUBMIT[$id]=$(sha256sum <"$script" 2>/dev/null | cut -c1-64)
    SHA_SLURM[$id]=$(scontrol write batch_script "$id" - 2>/dev/null | sha256sum | cut -c1-64)
    if ! why=$(quoted_only "$script" "$3" "$4"); then
        JOB_FAILS+=("job $id ($2): $why")
        return 1
    fi
    wait_for 20 up_or_ended "$id"
    [ -e "$STATE/jobs/$id/endpoint.json" ] && UP[$id]=1
    ended "$id" || "${SSH[@]}" "$AGENT" cancel "$id" >/dev/null 2>&1
    return 0
}

BASE_REQ=()
# -- a valid request per recipe (defaults; samples for required parameters): SLURM takes it
for r in "${RECIPES[@]}"; do
    params='{}'
    while IFS=$'\t' read -r name decl; do
        params=$(jq -c --arg n "$name" --argjson v "$(sample "$decl")" '. + {($n): $v}' <<<"$params")
    done < <(jq -r --arg r "$r" '.recipes[] | select(.name == $r) | .params | to_entries[] |
        select(.value.required) | [.key, (.value | tojson)] | join("\t")' <<<"$RECIPES_JSON")
    req=$(jq -cn --arg r "$r" --argjson p "$params" --arg n "$TAG" \
        '{recipe: $r, params: $p, job_name: $n, time_limit: "00:01:00", cpus_per_task: 1}')
    BASE_REQ+=("$req")
    IN=$req
    agent submit
    id=$(jq -r '.job_id // empty' <<<"$BODY" 2>/dev/null)
    if [ "$RC" = 0 ] && [ -n "$id" ]; then
        accepted_job "$id" "$r" "" "$CANARY"
        RUNNABLE[$r]=${UP[$id]:-0}
        pass "$r: a valid request is taken (job $id, params $params; $([ "${RUNNABLE[$r]}" = 1 ] &&
            echo "its service comes up" || echo "it cannot run here: its script stops early"))"
    else
        fail "$r: a valid request is taken" "rc $RC: ${BODY:0:300}"
    fi
done

# -- every hostile value in every field, alone and after a valid value
declare -A REFUSED TAKEN
SUBMIT_FIELDS=(job_name partition account qos time_limit)
declare -A SUBMIT_SAMPLE=([job_name]=$TAG [partition]=batch [account]=aifb [qos]=aifb [time_limit]=00:01:00)
for ri in "${!RECIPES[@]}"; do
    r=${RECIPES[ri]}
    base=${BASE_REQ[ri]}
    REFUSED[$r]=0 TAKEN[$r]=0
    fields=()
    while IFS=$'\t' read -r name kind decl; do
        fields+=("$kind $name $decl")
    done < <(jq -r --arg r "$r" '.recipes[] | select(.name == $r) | .params | to_entries[] |
        select(.value.type == "string" or (.value.type == "array" and (.value.items.type // "string") == "string")) |
        [.key, (if .value.type == "array" then "item" else "param" end), (.value | tojson)] | join("\t")' \
        <<<"$RECIPES_JSON")
    for f in "${SUBMIT_FIELDS[@]}"; do fields+=("submit $f"); done
    for entry in "${fields[@]}"; do
        read -r kind name decl <<<"$entry"
        case $kind in
        submit) prefix=${SUBMIT_SAMPLE[$name]} ;;
        *) prefix=$(sample "$decl" | jq -r 'if type == "array" then .[0] else . end') ;;
        esac
        # every value alone and after the valid one, as requests (one jq for all: jq takes 20 ms to start)
        mapfile -t reqs < <(jq -c --arg k "$kind" --arg f "$name" --arg s "$prefix" '. as $b |
            $ARGS.positional[] as $p | ([$p, 0], [$s + $p, 1]) as [$v, $after] | $b |
            if $k == "submit" then . + {($f): $v}
            elif $k == "item" then .params += {($f): (if $after == 0 then [$v] else [$s, $v] end)}
            else .params += {($f): $v} end' --args "${PAYLOADS[@]}" <<<"$base")
        refused=0 taken=0 wrong=() bodies=() rcs=()
        for i in "${!reqs[@]}"; do
            IN=${reqs[i]}
            agent submit
            rcs[i]=$RC bodies[i]=$BODY
            if [ "$RC" = 0 ]; then
                pi=$((i / 2)) v=${PAYLOADS[i / 2]}
                ((i % 2)) && v=$prefix$v
                marker=$v
                [[ $v == *"$CANARY"* ]] && marker=$CANARY
                id=$(jq -r '.job_id | numbers' <<<"$BODY" 2>/dev/null)
                if [ -n "$id" ]; then
                    taken=$((taken + 1))
                    accepted_job "$id" "$r" "$v" "$marker" || wrong+=("${PNAMES[pi]} #$i: ${JOB_FAILS[-1]}")
                else
                    wrong+=("${PNAMES[pi]} #$i: rc 0 without a job id: ${BODY:0:160}")
                fi
                bodies[i]='{}'
            fi
        done
        case $kind in
        submit) want=field=$name ;;
        *) want=field=params.$name ;;
        esac
        # refused: exit 1, invalid_input, detail "field=NAME: ..." (an element: NAME[0] alone, NAME[1] after)
        mapfile -t verdicts < <(jq -rn --arg w "$want" --arg k "$kind" '$ARGS.positional | to_entries[] |
            .key as $i | (.value | try fromjson catch null) as $b |
            (if $k == "item" then "\($w)[\($i % 2)]" else $w end) as $want |
            if ($b | type) == "object" and $b.error == "invalid_input" and ($b.detail | type) == "string" and
                ($b.detail | startswith($want + ":")) then "refused" else "other" end' --args "${bodies[@]}")
        for i in "${!reqs[@]}"; do
            [ "${rcs[i]}" = 0 ] && continue
            if [ "${rcs[i]}" = 1 ] && [ "${verdicts[i]:-}" = refused ]; then
                refused=$((refused + 1))
            else
                wrong+=("${PNAMES[i / 2]} #$i: rc ${rcs[i]} ${bodies[i]:0:160}")
            fi
        done
        REFUSED[$r]=$((REFUSED[$r] + refused))
        TAKEN[$r]=$((TAKEN[$r] + taken))
        what="$r $want"
        what=${what/field=/}
        if [ "${#wrong[@]}" -eq 0 ]; then
            pass "$what: $refused refused naming the field, $taken taken as one quoted word"
        else
            fail "$what" "$(printf '%s; ' "${wrong[@]}")"
        fi
    done
done

# up: accepted jobs whose service came up, so that the script ran every line with a value in it
declare -A NUP
for id in "${ACCEPTED[@]}"; do
    r=${RECIPE_OF[$id]}
    [ "${UP[$id]:-0}" = 1 ] && NUP[$r]=$((${NUP[$r]:-0} + 1))
done
echo "  refused/accepted per recipe (each field x ${#PAYLOADS[@]} values x alone/after a valid value):"
printf '    %-16s %8s %9s %11s\n' recipe refused accepted "service up"
for r in "${RECIPES[@]}"; do
    printf '    %-16s %8d %9d %11s\n' "$r" "${REFUSED[$r]}" "${TAKEN[$r]}" \
        "$([ "${RUNNABLE[$r]:-0}" = 1 ] && echo $((${NUP[$r]:-0} - 1)) || echo "- (no run)")"
done
# where the valid request's service comes up here, so must every accepted hostile one's (the value
# went through as a name, not as shell); elsewhere the scripts stop before the values (no apptainer)
down=()
for id in "${ACCEPTED[@]}"; do
    [ "${RUNNABLE[${RECIPE_OF[$id]}]:-0}" = 1 ] && [ "${UP[$id]:-0}" != 1 ] && down+=("$id (${RECIPE_OF[$id]})")
done
if [ "${#down[@]}" -eq 0 ]; then
    pass "every accepted job of a recipe that runs here brought its service up with the hostile value"
else
    fail "accepted jobs bring their service up" "not up within 20 s: ${down[*]}"
fi

# -- every accepted job ends (60 s at most), nothing of this suite is left in squeue
all_ended() {
    local id
    for id in "${ACCEPTED[@]}"; do ended "$id" || return 1; done
}
if [ "${#ACCEPTED[@]}" -gt 0 ]; then
    if wait_for 60 all_ended; then pass "all ${#ACCEPTED[@]} accepted jobs ended"; else
        left=()
        for id in "${ACCEPTED[@]}"; do ended "$id" || left+=("$id"); done
        fail "all accepted jobs ended" "still running after 60 s: ${left[*]}"
    fi
    scancel "${ACCEPTED[@]}" >/dev/null 2>&1
fi
scancel -u "$CUSER" -n "$TAG" >/dev/null 2>&1
mine() { [ -z "$(squeue -h -u "$CUSER" -n "$TAG" -o %i 2>/dev/null)" ]; }
if wait_for 20 mine; then pass "no job of this suite left in squeue"; else
    fail "no job of this suite left in squeue" "$(squeue -h -u "$CUSER" -n "$TAG" 2>&1 | head -n 5)"
fi

# -- no command ran: the canary folder is empty
made=$(find "$CDIR" -mindepth 1 2>&1 | head -n 5)
if [ -z "$made" ]; then pass "no canary file (nothing in $CDIR)"; else fail "no canary file" "$made"; fi

# -- no job ran a changed script: SLURM's copy (taken at submit) and the kept script.sh after the job
# are byte for byte what the agent wrote at submit; 0700 or stricter, the cluster user's, in a folder
# that no one else may write to (nor any folder above it).
bad=()
for id in "${ACCEPTED[@]}"; do
    s=$STATE/jobs/$id/script.sh
    now=$(sha256sum <"$s" 2>/dev/null | cut -c1-64)
    [ -n "${SHA_SUBMIT[$id]}" ] && [ "$now" = "${SHA_SUBMIT[$id]}" ] && [ "$now" = "${SHA_SLURM[$id]}" ] ||
        bad+=("$id (${RECIPE_OF[$id]}): submit ${SHA_SUBMIT[$id]:0:12} slurm ${SHA_SLURM[$id]:0:12} now ${now:0:12}")
done
if [ "${#bad[@]}" -eq 0 ]; then
    pass "the ${#ACCEPTED[@]} scripts SLURM ran are the agent's, unchanged from submit to the job's end"
else
    fail "no job runs a changed script" "${bad[*]}"
fi
bad=()
for id in "${ACCEPTED[@]}"; do
    read -r mode owner <<<"$(stat -c '%a %U' "$STATE/jobs/$id/script.sh" 2>&1)"
    { [ $((8#${mode:-777} & 8#077)) = 0 ] && [ "$owner" = "$CUSER" ]; } || bad+=("$id: script $mode $owner")
    d=$STATE/jobs/$id
    while :; do
        read -r mode owner <<<"$(stat -c '%a %U' "${d:-/}" 2>&1)"
        if [ $((8#${mode:-777} & 8#022)) != 0 ] || { [ "$owner" != "$CUSER" ] && [ "$owner" != root ]; }; then
            bad+=("$id: ${d:-/} is $mode $owner")
        fi
        [ -z "$d" ] && break
        d=${d%/*}
    done
done
if [ "${#bad[@]}" -eq 0 ]; then
    pass "every script 0700 or stricter and $CUSER's; its folder and all above writable by $CUSER or root only"
else
    fail "script and folder modes" "$(printf '%s; ' "${bad[@]:0:5}")"
fi
if [ "${#ACCEPTED[@]}" -gt 0 ]; then
    d=$STATE/jobs/${ACCEPTED[0]}
    if ! runuser -u nobody -- test -w "$d" 2>/dev/null && ! runuser -u nobody -- test -w "$d/script.sh" 2>/dev/null; then
        pass "another user (nobody) cannot write $d or its script.sh ($(stat -c '%a %U' "$d"))"
    else
        fail "another user cannot write the job folder" "nobody can write $d"
    fi
fi
pending=$(find "$STATE/pending" -mindepth 1 -maxdepth 1 | wc -l)
if [ "$pending" = 0 ]; then pass "no pending folder left"; else fail "no pending folder left" "$pending left"; fi
echo "  run time: ${SECONDS}s"
finish
