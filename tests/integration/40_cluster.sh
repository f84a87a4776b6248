#!/usr/bin/env bash
# The embedded cluster as the apps use it: munge, SLURM (one node, two fake GPUs) and the OpenSSH
# server standing in for the login node. Jobs are submitted over SSH as the cluster user, with
# SLURM_CONF coming from the server (SetEnv), not from the command; host keys are checked, passwords
# refused, and every port listens on 127.0.0.1 only. Needs `scripts/stack up` (as root).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
STACK="$ROOT/scripts/stack"
VAR=$(readlink -f "$ROOT/var")
CONF=$VAR/aifb.conf

conf() { sed -n -E "s/^[[:space:]]*${1//./\\.}[[:space:]]*=[[:space:]]*//p" "$CONF" | tail -n 1 | sed -E 's/[[:space:]]+$//'; }

# The four components are up.
status=$("$STACK" status 2>&1)
for c in munge slurmctld slurmd sshd; do
    if grep -qE "^$c  up  pid [0-9]+$" <<<"$status"; then
        pass "stack status: $c up"
    else
        fail "stack status: $c up" "$(grep -E "^$c " <<<"$status")"
    fi
done

if [ ! -r "$VAR/cluster.env" ] || [ ! -r "$CONF" ]; then
    fail "var/cluster.env and var/aifb.conf" "missing: run 'scripts/stack up' as root"
    finish
    exit
fi
# shellcheck source=/dev/null # written by scripts/stack: SLURM_CONF, AIFB_MUNGE_SOCKET
. "$VAR/cluster.env"
HOST=$(conf cluster.host)
PORT=$(conf cluster.port)
CUSER=$(conf cluster.user)
KEY=$(conf cluster.key)
KH=$(conf cluster.known_hosts)
NODE=$(hostname -s)
SSH_BASE=(ssh -F /dev/null -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes
    -o ConnectTimeout=5 -p "$PORT")
SSH=("${SSH_BASE[@]}" -i "$KEY" -o UserKnownHostsFile="$KH" "$CUSER@$HOST")
# A command on the login node, without SLURM_CONF in this side's environment.
on_login() { env -u SLURM_CONF "${SSH[@]}" "$@"; }
D="\$HOME/.aifb/test-$$" # the test's folder in the cluster user's home (expanded there)

# munge: a credential made and decoded through the stack's own socket.
out=$(munge -n -S "$AIFB_MUNGE_SOCKET" 2>&1 | unmunge -S "$AIFB_MUNGE_SOCKET" 2>&1)
if grep -qE '^STATUS: +Success \(0\)' <<<"$out"; then
    pass "munge round trip on $(basename "$AIFB_MUNGE_SOCKET")"
else
    fail "munge round trip" "$out"
fi

# sinfo: the one node, idle, with two GPUs, in the default partition batch.
node_is_idle() { [ "$(sinfo -h -N -o '%N %T %G %P' 2>&1)" = "$NODE idle gpu:2 batch*" ]; }
if wait_for 5 node_is_idle; then
    pass "sinfo: node $NODE idle with gres gpu:2 in partition batch"
else
    fail "sinfo: node idle with gpu:2" "'$(sinfo -h -N -o '%N %T %G %P' 2>&1)'"
fi

# Every SSH session gets SLURM_CONF from the server.
# shellcheck disable=SC2016 # expanded on the login node
got=$(on_login 'printf %s "$SLURM_CONF"' 2>&1)
if [ "$got" = "$SLURM_CONF" ]; then
    pass "an SSH session has SLURM_CONF from sshd (SetEnv)"
else
    fail "SLURM_CONF in an SSH session" "'$got', want '$SLURM_CONF'"
fi

# Two jobs submitted over SSH as the cluster user: hostname, and one GPU.
job1=$(on_login "mkdir -p $D && sbatch --parsable --chdir $D -o $D/host-%j.out --wrap hostname" 2>&1)
job1=${job1%%;*}
job2=$(on_login "sbatch --parsable --gres=gpu:1 --chdir $D -o $D/gpu-%j.out --wrap 'echo CVD=\$CUDA_VISIBLE_DEVICES; id -un; id -u'" 2>&1)
job2=${job2%%;*}
job_state() { scontrol show job "$1" 2>/dev/null | grep -oE 'JobState=[A-Z_]+' | cut -d= -f2; }
sacct_completed() { sacct -c -n -j "$1" 2>/dev/null | grep -q COMPLETED; }
finished() { case $(job_state "$1") in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) return 0 ;; *) return 1 ;; esac; }
for j in "$job1" "$job2"; do
    if ! [[ $j =~ ^[0-9]+$ ]]; then
        fail "sbatch over SSH" "no job id: $j"
        continue
    fi
    if wait_for 15 finished "$j" && [ "$(job_state "$j")" = COMPLETED ]; then
        pass "job $j submitted over SSH completed (scontrol show job)"
    else
        fail "job $j completed" "state '$(job_state "$j")'"
    fi
    st=$(squeue -h -t all -j "$j" -o %T 2>&1)
    if [ "$st" = COMPLETED ]; then pass "squeue -t all: job $j COMPLETED"; else fail "squeue -t all job $j" "'$st'"; fi
    if wait_for 3 sacct_completed "$j"; then
        pass "sacct -c (job completion file): job $j COMPLETED"
    else
        fail "sacct -c job $j" "$(sacct -c -n -j "$j" 2>&1)"
    fi
done

out=$(on_login "cat $D/host-$job1.out" 2>&1)
if [ "$out" = "$(hostname)" ]; then
    pass "the job's output file has the node's host name"
else
    fail "job output has the host name" "'$out', want '$(hostname)'"
fi
out=$(on_login "cat $D/gpu-$job2.out" 2>&1)
if grep -qx 'CVD=0' <<<"$out"; then
    pass "a job with --gres=gpu:1 sees CUDA_VISIBLE_DEVICES=0"
else
    fail "--gres=gpu:1 job sees CUDA_VISIBLE_DEVICES=0" "$out"
fi
uid=$(sed -n 3p <<<"$out")
if [ "$(sed -n 2p <<<"$out")" = "$CUSER" ] && [ -n "$uid" ] && [ "$uid" != 0 ] &&
    scontrol show job "$job2" 2>/dev/null | grep -q "UserId=$CUSER("; then
    pass "the job ran as $CUSER (uid $uid), not root"
else
    fail "the job ran as $CUSER" "output: $out"
fi
owner=$(on_login "stat -c %U $D/host-$job1.out" 2>&1)
if [ "$owner" = "$CUSER" ]; then pass "the job's output file belongs to $CUSER"; else fail "output file owner" "'$owner'"; fi

# Host keys: a known_hosts holding another key for the login node, or none, is refused (strict
# checking) and no command runs.
ssh-keygen -q -t ed25519 -N '' -C other -f "$TMP/other"
printf '[%s]:%s %s\n' "$HOST" "$PORT" "$(cut -d' ' -f1,2 "$TMP/other.pub")" >"$TMP/kh_other"
: >"$TMP/kh_empty"
declare -A what=([other]="a different host key" [empty]="no key")
for kh in other empty; do
    out=$(env -u SLURM_CONF "${SSH_BASE[@]}" -i "$KEY" -o UserKnownHostsFile="$TMP/kh_$kh" "$CUSER@$HOST" \
        "touch $D/ran-$kh" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ] && grep -q 'Host key verification failed' <<<"$out" && on_login "test ! -e $D/ran-$kh"; then
        pass "ssh with a known_hosts holding ${what[$kh]} is refused; no command ran"
    else
        fail "ssh with known_hosts $kh refused" "rc $rc: $out"
    fi
done

# Passwords: the server offers public keys only; root may not log in at all.
out=$(env -u SLURM_CONF "${SSH_BASE[@]}" -v -o UserKnownHostsFile="$KH" -o PubkeyAuthentication=no \
    -o PreferredAuthentications=password,keyboard-interactive "$CUSER@$HOST" true 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'Permission denied (publickey)' <<<"$out" &&
    ! grep -qE 'can continue: .*(password|keyboard-interactive)' <<<"$out"; then
    pass "password and keyboard-interactive authentication are refused (server offers publickey only)"
else
    fail "password auth refused" "rc $rc: $(grep -E 'can continue|denied' <<<"$out" | head -n 3)"
fi
out=$(env -u SLURM_CONF "${SSH_BASE[@]}" -i "$KEY" -o UserKnownHostsFile="$KH" "root@$HOST" true 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'Permission denied' <<<"$out"; then
    pass "root cannot log in, even with the stack's key"
else
    fail "root login refused" "rc $rc: $out"
fi

# Listening sockets: sshd, slurmd and slurmctld on 127.0.0.1 only (no 0.0.0.0, no IPv6).
ctld_port=$(sed -n 's/^SlurmctldPort=//p' "$SLURM_CONF")
slurmd_port=$(sed -n 's/^SlurmdPort=//p' "$SLURM_CONF")
declare -A ports=([sshd]=$PORT [slurmd]=$slurmd_port [slurmctld]=$ctld_port)
for d in sshd slurmd slurmctld; do
    p=${ports[$d]}
    addrs=$(ss -Hltn "( sport = :$p )" 2>&1 | awk '{ print $4 }' | sort -u | tr '\n' ' ')
    if [ "$addrs" = "127.0.0.1:$p " ]; then
        pass "$d listens on 127.0.0.1:$p only"
    else
        fail "$d listens on 127.0.0.1:$p only" "listeners: '$addrs'"
    fi
done

on_login "rm -rf $D" >/dev/null 2>&1

# A host name that does not resolve: the stack mends /etc/hosts, or says in one line what to do.
# Each case runs in namespaces of its own: its own host name, and mounts where a copy of /etc/hosts
# lies over the real one and names are looked up in it, then at a DNS server on 127.0.0.1 (none:
# nothing leaves the machine; glibc's default when there is no resolv.conf).
printf 'hosts: files dns\n' >"$TMP/nsswitch.conf"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$TMP/resolv.conf"
in_ns() { # in_ns HOSTS_FILE RO(0|1) NAME: scripts/stack check-host there; sets OUT and RC
    OUT=$(unshare "${NS[@]}" bash -c 'mount --bind "$1" /etc/hosts || exit 9
        [ "$2" = 0 ] || mount -o remount,ro,bind /etc/hosts || exit 9
        mount --bind "$5/nsswitch.conf" /etc/nsswitch.conf || exit 9
        [ ! -e /etc/resolv.conf ] || mount --bind "$5/resolv.conf" /etc/resolv.conf || exit 9 # absent: 127.0.0.1
        hostname "$3" && "$4" check-host' _ "$1" "$2" "$3" "$STACK" "$TMP" 2>&1)
    RC=$?
}
# A chroot cannot make its root's propagation private; where no mount is shared (nothing made in the
# new namespace can leak out) its propagation is left as it is.
NS=(--uts --mount)
if ! unshare "${NS[@]}" true 2>/dev/null; then
    NS=(--uts --mount --propagation unchanged)
    grep -q ' shared:' /proc/self/mountinfo && NS=()
fi
if [ ${#NS[@]} = 0 ] || ! unshare "${NS[@]}" true 2>/dev/null; then
    skip "host name cases: no namespace of its own can be made here (unshare --uts --mount)"
else
    name=aifb-nores-$$
    grep -v "$name" /etc/hosts >"$TMP/hosts"
    in_ns "$TMP/hosts" 0 "$name"
    if [ "$RC" = 0 ] && grep -q "^127.0.1.1[[:space:]]${name}[[:space:]]" "$TMP/hosts" && grep -q "added '127.0.1.1 $name'" <<<"$OUT"; then
        pass "a host name that does not resolve: /etc/hosts gets '127.0.1.1 $name', and it says so"
    else
        fail "an unresolved host name is mended" "exit $RC: $OUT"
    fi
    in_ns "$TMP/hosts" 0 "$name"
    [ "$RC" = 0 ] && [ "$(grep -c "$name" "$TMP/hosts")" = 1 ] && pass "once mended, nothing is added again" ||
        fail "mended once" "exit $RC, $(grep -c "$name" "$TMP/hosts") lines: $OUT"
    grep -v "$name" /etc/hosts >"$TMP/hosts-ro"
    in_ns "$TMP/hosts-ro" 1 "$name"
    if [ "$RC" != 0 ] && [ "$RC" != 9 ] && [ "$(wc -l <<<"$OUT")" = 1 ] && grep -q "add the line '127.0.1.1 $name'" <<<"$OUT"; then
        pass "a read-only /etc/hosts: one line saying what to add (exit $RC)"
    else
        fail "read-only /etc/hosts" "exit $RC: $OUT"
    fi
fi
finish
