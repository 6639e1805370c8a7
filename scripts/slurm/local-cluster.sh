#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for tests of the emitted `hybrid-ir ablate` job arrays:
#
#   scripts/slurm/local-cluster.sh start    # munged + slurmctld + slurmd; waits until the node is idle
#   scripts/slurm/local-cluster.sh status   # daemons and `sinfo`; exit 0 only when the node takes jobs
#   scripts/slurm/local-cluster.sh stop     # stops the daemons this script started
#
# Needs root and Debian's `slurm-wlm` and `munge` packages. Containers have no systemd, so the
# daemons are run directly; their logs and state live under $LOCAL_SLURM_STATE
# (default /var/lib/hybrid-ir-slurm). slurm.conf goes to /etc/slurm/slurm.conf because that is
# where Debian's sbatch/sinfo/slurmctld look without SLURM_CONF; a slurm.conf this script did
# not write is never overwritten, unless LOCAL_SLURM_FORCE=1, which moves it aside (and `stop`
# puts it back).
#
# Environment: LOCAL_SLURM_STATE (state dir), LOCAL_SLURM_MEMORY_MB (node memory offered to jobs,
# default min(4096, machine)), LOCAL_SLURM_TIMEOUT (seconds to wait for an idle node, default 60).
set -euo pipefail

STATE=${LOCAL_SLURM_STATE:-/var/lib/hybrid-ir-slurm}
LOGS=$STATE/log
RUN=$STATE/run
CONF=/etc/slurm/slurm.conf
# The first line of every slurm.conf written here: how a later run recognises its own file.
MARKER="# Written by hybrid-ir scripts/slurm/local-cluster.sh: a one-node test cluster."
NODE=$(hostname -s)
TIMEOUT=${LOCAL_SLURM_TIMEOUT:-60}

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*"; }

# A pid file names a live process (of the expected program, so a recycled pid does not count).
alive() {
  local pidfile=$1 name=$2 pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -d "/proc/$pid" ] && grep -q "$name" "/proc/$pid/comm" 2>/dev/null
}

require_tools() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it starts munged, slurmctld and slurmd and writes $CONF)"
  local missing=()
  for tool in munged mungekey munge unmunge slurmctld slurmd sinfo sbatch; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] || die "not found: ${missing[*]}: install them with: apt-get install slurm-wlm munge"
}

print_logs() {
  for log in "$LOGS/slurmctld.log" "$LOGS/slurmd.log" /var/log/munge/munged.log; do
    [ -f "$log" ] || continue
    echo "----- $log (last 40 lines) -----" >&2
    tail -n 40 "$log" >&2
  done
}

# A credential round trip through munged: the check sbatch and slurmctld depend on.
munge_answers() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    # Debian's postinst normally creates the key; a bare image or a wiped /etc may not have one.
    say "creating /etc/munge/munge.key"
    install -d -o munge -g munge -m 0700 /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  munge_answers && return 0
  # munged runs as its own user (logging to /var/log/munge) and refuses directories others can write to.
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
  runuser -u munge -- munged --pid-file=/run/munge/munged.pid \
    || { print_logs; die "munged did not start"; }
  cp /run/munge/munged.pid "$RUN/munged.pid"
  for _ in $(seq 1 20); do
    munge_answers && return 0
    sleep 0.5
  done
  print_logs
  die "munged started but munge -n | unmunge fails"
}

# Memory offered to jobs: modest, because the machine is shared and tests need little.
node_memory_mb() {
  local machine=$1 want=${LOCAL_SLURM_MEMORY_MB:-4096}
  [ "$want" -lt "$machine" ] && echo "$want" || echo "$machine"
}

write_conf() {
  # `slurmd -C` reports this machine's layout; using its socket/core/thread counts verbatim keeps
  # slurmd from finding a mismatch and draining the node.
  local detected layout machine_mb memory_mb
  detected=$(slurmd -C | head -n 1)
  layout=$(tr ' ' '\n' <<<"$detected" | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
  machine_mb=$(tr ' ' '\n' <<<"$detected" | sed -n 's/^RealMemory=//p')
  [ -n "$layout" ] && [ -n "$machine_mb" ] || die "cannot read the node layout from slurmd -C: $detected"
  memory_mb=$(node_memory_mb "$machine_mb")

  local tmp
  tmp=$(mktemp "$STATE/slurm.conf.XXXXXX")
  cat >"$tmp" <<EOF
$MARKER
# Regenerated on every start; edit scripts/slurm/local-cluster.sh instead.
ClusterName=hybrid-ir-test
# Addresses given as 127.0.0.1: a container's hostname need not resolve.
SlurmctldHost=$NODE(127.0.0.1)
# root runs the daemons (there is no separate service account to set up in a container).
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# No cgroups in containers: track job processes through /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# A node that went down (daemon restart) comes back by itself once slurmd registers.
ReturnToService=2
SchedulerType=sched/backfill
# Cores and memory are both consumed, so array tasks share the node by what they ask for.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# A job that does not say --mem gets this much per CPU instead of the whole node.
DefMemPerCPU=512
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# Short timeouts: a test should learn fast that a daemon is gone.
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$NODE NodeAddr=127.0.0.1 ${layout}RealMemory=$memory_mb State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

  if [ -e "$CONF" ] && ! head -n 1 "$CONF" | grep -qxF "$MARKER"; then
    if [ "${LOCAL_SLURM_FORCE:-0}" != 1 ]; then
      rm -f "$tmp"
      die "$CONF exists and was not written by this script: not overwriting it (move it aside, or set LOCAL_SLURM_FORCE=1 to have it moved to $STATE/slurm.conf.orig and restored by stop)"
    fi
    [ -e "$STATE/slurm.conf.orig" ] || cp -p "$CONF" "$STATE/slurm.conf.orig"
    say "moved the existing $CONF to $STATE/slurm.conf.orig"
  elif [ -e "$CONF" ] && ! cmp -s "$tmp" "$CONF"; then
    cp -p "$CONF" "$CONF.local-cluster.bak"
  fi
  install -d -m 0755 "$(dirname "$CONF")"
  chmod 0644 "$tmp"
  mv "$tmp" "$CONF"
}

node_state() { sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n 1; }

running() {
  alive "$RUN/slurmctld.pid" slurmctld && alive "$RUN/slurmd.pid" slurmd
}

wait_idle() {
  local state="" deadline=$((SECONDS + TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    state=$(node_state)
    case "$state" in
      idle|mixed|allocated|completing) return 0 ;;
      # Drained by an earlier failed start: the state survives restarts, so resume it.
      drained|draining) scontrol update NodeName="$NODE" State=RESUME || true ;;
    esac
    alive "$RUN/slurmctld.pid" slurmctld || { print_logs; die "slurmctld exited while starting"; }
    alive "$RUN/slurmd.pid" slurmd || { print_logs; die "slurmd exited while starting"; }
    sleep 1
  done
  sinfo -N -l >&2 || true
  print_logs
  die "node $NODE not idle after ${TIMEOUT}s (last state: '${state:-no answer from slurmctld}')"
}

cmd_start() {
  # Up already: a no-op, which needs no root (a test calls start before every SLURM run).
  if running && munge_answers; then
    case "$(node_state)" in
      idle|mixed|allocated|completing) say "already running (node $NODE $(node_state))"; return 0 ;;
    esac
  fi
  require_tools
  install -d -m 0755 "$STATE" "$LOGS" "$RUN" "$STATE/ctld" "$STATE/d"
  # Half a cluster (one daemon left from a crash) is restarted whole.
  stop_daemons
  start_munge
  write_conf
  # -i: a state file left by an older run must not stop the controller from starting.
  slurmctld -i || { print_logs; die "slurmctld did not start"; }
  slurmd || { print_logs; die "slurmd did not start"; }
  wait_idle
  say "up: $(sinfo -h -o '%P %D %T %c cpus %m MB' | head -n 1) (logs in $LOGS)"
}

stop_one() {
  local pidfile=$1 name=$2 pid
  alive "$pidfile" "$name" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 40); do
    [ -d "/proc/$pid" ] || { rm -f "$pidfile"; return 0; }
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

stop_daemons() {
  stop_one "$RUN/slurmd.pid" slurmd
  stop_one "$RUN/slurmctld.pid" slurmctld
}

cmd_stop() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  stop_daemons
  # munged only if this script started it: another service on the machine may use it.
  stop_one "$RUN/munged.pid" munged
  if [ -e "$STATE/slurm.conf.orig" ]; then
    mv "$STATE/slurm.conf.orig" "$CONF"
    say "restored the original $CONF"
  fi
  say "stopped"
}

cmd_status() {
  local ok=0
  # munged may be a system service this script did not start: ask it rather than a pid file.
  if munge_answers; then echo "munged: answering"; else echo "munged: not answering"; ok=1; fi
  for d in slurmctld slurmd; do
    if alive "$RUN/$d.pid" "$d"; then echo "$d: running (pid $(cat "$RUN/$d.pid"))"; else echo "$d: not running"; ok=1; fi
  done
  local state
  state=$(node_state)
  echo "node $NODE: ${state:-unknown (no answer from slurmctld)}"
  case "$state" in idle|mixed|allocated|completing) ;; *) ok=1 ;; esac
  return $ok
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
