# lib.sh: helpers shared by scripts/stack and the test scripts (source it, do not run it).
# Finds the repo root and the state folder var/ (a real folder, or a link into /var/tmp when
# PostgreSQL and nginx's workers could not reach the repo or socket paths would be too long),
# and checks pids the way the stack needs: zombies count as dead, the command line must match.
# Resolving the state folder also exports SLURM_CONF (the embedded cluster's slurm.conf).
# shellcheck shell=bash

AIFB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

aifb_die() {
	echo "aifb: $*" >&2
	exit 1
}

# Microseconds since the epoch / 1000, without a fork.
aifb_now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

# True when every folder from $1 up to / can be traversed by other users (mode o+x).
aifb_path_traversable() {
	local d=$1 mode
	while :; do
		mode=$(stat -L -c '%a' "$d") || return 1
		(((8#$mode & 1) == 1)) || return 1
		[[ $d == / ]] && return 0
		d=$(dirname "$d")
	done
}

# The state folder as it would be made for $AIFB_ROOT: prints "real" or "link".
aifb_var_kind() {
	local probe="$AIFB_ROOT/var/run/monitoring.sock"
	local LC_ALL=C # ${#...} counts bytes under C
	if aifb_path_traversable "$AIFB_ROOT" && ((${#probe} < 90)) &&
		[[ $AIFB_ROOT =~ ^[A-Za-z0-9._/+,@=~-]+$ ]]; then
		echo real
	else
		echo link
	fi
}

# Sets AIFB_VAR to the real (resolved) path of $AIFB_ROOT/var. With "create", makes it when it
# is missing (and remakes the target of a link whose /var/tmp folder was cleaned); without,
# returns 1 when there is no state folder yet.
aifb_var_resolve() {
	local mode=${1:-nocreate} link="$AIFB_ROOT/var" target
	if [[ -L $link ]]; then
		target=$(readlink -f "$link") || target=$(readlink "$link")
		if [[ ! -d $target ]]; then
			[[ $mode == create ]] || return 1
			mkdir -p "$target"
			chmod 0755 "$target"
		fi
	elif [[ -d $link ]]; then
		target=$(cd "$link" && pwd -P)
	elif [[ -e $link ]]; then
		aifb_die "$link exists but is not a folder or a link; move it away"
	else
		[[ $mode == create ]] || return 1
		if [[ $(aifb_var_kind) == real ]]; then
			mkdir -m 0755 "$link"
			target=$(cd "$link" && pwd -P)
		else
			target="/var/tmp/aifb-$(printf '%s' "$AIFB_ROOT" | sha256sum | cut -c1-10)"
			[[ -d $target ]] || mkdir -m 0755 "$target"
			[[ -O $target && ! -L $target ]] ||
				aifb_die "$target exists and is not owned by $(id -un); remove it"
			chmod 0755 "$target"
			ln -s "$target" "$link"
		fi
	fi
	[[ $target =~ ^[A-Za-z0-9._/+,@=~-]+$ ]] ||
		aifb_die "state folder path '$target' has characters nginx or PostgreSQL may misread; remove $link and run again"
	# shellcheck disable=SC2034 # read by the scripts that source this file
	AIFB_VAR=$target
	# Every SLURM client command (sinfo, sbatch, scontrol...) a script runs must reach the embedded
	# cluster's configuration, not /etc/slurm.
	export SLURM_CONF="$AIFB_VAR/slurm/slurm.conf"
}

# The account the embedded cluster runs jobs as and its SSH server lets in (a normal user, as on
# MeluXina).
# shellcheck disable=SC2034 # read by the scripts that source this file
AIFB_CLUSTER_USER=aifbuser

# aifb_conf_get FILE KEY: prints the last value of KEY in an aifb.conf-style file ("key = value",
# # comments), trailing blanks removed; prints nothing when the key is absent.
aifb_conf_get() {
	local key=${2//./\\.}
	[[ -r $1 ]] || return 0
	sed -n -E "s/^[[:space:]]*${key}[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1 | sed -E 's/[[:space:]]+$//'
}

# Reads a pid file; prints the pid or returns 1 when the file is missing or holds no pid.
aifb_read_pid() {
	local pid=
	[[ -r $1 ]] || return 1
	{ read -r pid <"$1"; } 2>/dev/null || [[ -n $pid ]] || return 1
	[[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
	echo "$pid"
}

# True when pid $1 is running and is not a zombie; with $2, its command line (or comm) must also
# contain $2, so that a pid reused by another program is not taken for ours.
aifb_pid_alive() {
	local pid=$1 want=${2:-} stat rest cmd
	[[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
	{ read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
	rest=${stat##*) }
	[[ ${rest%% *} != [ZX] ]] || return 1
	[[ -z $want ]] && return 0
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmd == *"$want"* || $stat == *"($want"* ]]
}

# Prints the pids (not zombies) whose session id is $1 and whose command line contains $2:
# the workers left behind when a master started with setsid was killed with -9.
aifb_session_pids() {
	local sid=$1 want=$2 f stat rest st s cmd
	for f in /proc/[0-9]*/stat; do
		{ read -r stat <"$f"; } 2>/dev/null || continue
		rest=${stat##*) }
		read -r st _ _ s _ <<<"$rest"
		[[ $s == "$sid" && $st != [ZX] ]] || continue
		cmd=$(tr '\0' ' ' <"${f%stat}cmdline" 2>/dev/null) || continue
		[[ $cmd == *"$want"* ]] && echo "${f//[!0-9]/}"
	done
	return 0
}

# Waits until pid $1 is gone (zombies count as gone), at most $2 ms. Returns 1 on timeout.
aifb_wait_gone() {
	local pid=$1 deadline
	deadline=$(($(aifb_now_ms) + $2))
	while aifb_pid_alive "$pid"; do
		(($(aifb_now_ms) < deadline)) || return 1
		sleep 0.05
	done
}
