#!/usr/bin/env bash
# setup_slurm.sh STATE_DIR: a real single-node Slurm (Debian bookworm's 22.05) on localhost.
#
# Installs (apt) munge, slurmctld, slurmd and slurm-client if missing, writes
# /etc/slurm/slurm.conf (one node named "localhost" in partition "debug", the default), and
# starts munged, slurmctld and slurmd unless they already run. Idempotent: a second call with
# the daemons up changes nothing (0.1 s). If the running daemons have another configuration
# (e.g. another FAKE_GPUS), they are restarted when this STATE_DIR started them, else it fails.
#
#   STATE_DIR (default /tmp/cisim-slurm)  receives:
#     pids       "<name> <pid>" per daemon THIS call (or an earlier call with the same
#                STATE_DIR) started; tests/cluster/stop_slurm.sh STATE_DIR stops exactly these.
#     setup.log  apt and daemon start-up output.
#   FAKE_GPUS=N  (optional, default 0) adds N "gpu" GRES backed by dummy character devices
#                (clones of /dev/null), so that `sbatch --gpus=1` is accepted and the job sees
#                CUDA_VISIBLE_DEVICES, and a second partition "gpu" on the same node (the GPU
#                partition of profiles/slurm-gpu). No real GPU is involved.
#
# Needs root and apt-get (Debian). Prints one line on success; on failure prints the tail of
# the logs and exits non-zero. The recipe and its pitfalls: docs/cluster.md.
set -euo pipefail

STATE=${1:-/tmp/cisim-slurm}
FAKE_GPUS=${FAKE_GPUS:-0}
PKGS=(munge slurmctld slurmd slurm-client)
START=$(date +%s.%N)

mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
LOG="$STATE/setup.log"
PIDS="$STATE/pids"
: >> "$PIDS"
: > "$LOG"

fail() {
  echo "setup_slurm.sh: $*" >&2
  for f in "$LOG" /var/log/munge/munged.log /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log; do
    [ -s "$f" ] && { echo "--- tail $f" >&2; tail -n 25 "$f" >&2; }
  done
  exit 1
}
trap 'fail "command failed (line $LINENO): $BASH_COMMAND"' ERR

[ "$(id -u)" = 0 ] || fail "must run as root"
command -v apt-get >/dev/null || fail "apt-get not found (Debian/Ubuntu only)"
case "$FAKE_GPUS" in ''|*[!0-9]*) fail "FAKE_GPUS must be a non-negative integer, got '$FAKE_GPUS'";; esac

# alive PID COMM: PID exists, is not a zombie (PID 1 here may not reap) and runs COMM.
alive() {
  local pid=$1 comm=$2
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
pid_of() { [ -s "$1" ] && cat "$1" 2>/dev/null || true; }      # pid file -> pid (or empty)
recorded() { awk -v n="$1" '$1==n{print $2}' "$PIDS" | tail -n 1; }
record() {                                                        # record NAME PID
  awk -v n="$1" '$1!=n' "$PIDS" > "$PIDS.tmp" || true
  echo "$1 $2" >> "$PIDS.tmp"
  mv "$PIDS.tmp" "$PIDS"
}

# --- packages -------------------------------------------------------------------------------
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Without systemd, invoke-rc.d would start the init.d services during install, and slurmd
  # would come up without "-N localhost". Block that unless a policy already exists.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PKGS[@]}"; } >> "$LOG" 2>&1 \
    || { [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; fail "apt-get install ${missing[*]} failed"; }
  [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# --- munge ----------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then             # the munge postinst normally creates it
  mungekey --create --force >> "$LOG" 2>&1
  chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 0755 /run/munge     # systemd would create it; munged needs it
if ! alive "$(pid_of /run/munge/munged.pid)" munged; then
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged >> "$LOG" 2>&1   # daemonizes, writes its pid file
  for _ in $(seq 40); do alive "$(pid_of /run/munge/munged.pid)" munged && break; sleep 0.1; done
  alive "$(pid_of /run/munge/munged.pid)" munged || fail "munged did not start"
  record munged "$(pid_of /run/munge/munged.pid)"
fi
munge -n | unmunge > /dev/null 2>> "$LOG" || fail "munge round trip failed"

# --- slurm.conf / gres.conf -------------------------------------------------------------------
MEM=$(( $(free -m | awk '/^Mem:/{print $2}') - 1024 ))   # never above what slurmd detects
GRES_TYPES=""; GRES_NODE=""; GPU_PART=""
GRES_CONF=""
if [ "$FAKE_GPUS" -gt 0 ]; then
  GRES_TYPES="GresTypes=gpu"; GRES_NODE="Gres=gpu:$FAKE_GPUS"
  # a second partition on the same node, so that profiles/slurm-gpu (GPU partition "gpu") works
  GPU_PART="PartitionName=gpu Nodes=localhost Default=NO MaxTime=INFINITE State=UP"
  mkdir -p /var/lib/slurm/fakegpu
  for i in $(seq 0 $((FAKE_GPUS - 1))); do
    # must be a char device: a file-less GPU is dropped (node drains), a plain file gets no
    # CUDA_VISIBLE_DEVICES. Major 1 minor 3 behaves like /dev/null.
    [ -c /var/lib/slurm/fakegpu/gpu$i ] || { rm -f /var/lib/slurm/fakegpu/gpu$i; mknod /var/lib/slurm/fakegpu/gpu$i c 1 3; }
    GRES_CONF+="NodeName=localhost Name=gpu File=/var/lib/slurm/fakegpu/gpu$i"$'\n'
  done
fi
NEW_CONF=$(cat <<CONF
# Written by cisim tests/cluster/setup_slurm.sh (single-node test cluster). FAKE_GPUS=$FAKE_GPUS
ClusterName=localcluster
SlurmctldHost=localhost
SlurmUser=slurm
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# keep >= 3 x slurm-init-seconds-before-status-checks, or the snakemake slurm plugin falls back
# to sacct (no slurmdbd here) and hangs forever
MinJobAge=300
$GRES_TYPES
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$MEM $GRES_NODE State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
$GPU_PART
CONF
)
install -d /etc/slurm
changed=0
[ "$(cat /etc/slurm/slurm.conf 2>/dev/null)" = "$NEW_CONF" ] || changed=1
[ "$(cat /etc/slurm/gres.conf 2>/dev/null)" = "${GRES_CONF%$'\n'}" ] || changed=1

# expected live view: partitions and node GRES as sinfo reports them
WANT_PARTS="debug*"; WANT_GRES="(null)"
[ "$FAKE_GPUS" -gt 0 ] && { WANT_PARTS="debug* gpu"; WANT_GRES="gpu:$FAKE_GPUS"; }
live_ok() {
  [ "$(timeout 10 sinfo -h -o %P 2>/dev/null | sort | xargs)" = "$WANT_PARTS" ] &&
  [ "$(timeout 10 sinfo -h -n localhost -o %G 2>/dev/null | sort -u | xargs)" = "$WANT_GRES" ]
}

# --- daemons ----------------------------------------------------------------------------------
ctld_pid=$(pid_of /run/slurmctld.pid); d_pid=$(pid_of /run/slurmd.pid)
if alive "$ctld_pid" slurmctld || alive "$d_pid" slurmd; then
  if [ $changed = 1 ] || ! live_ok; then
    # Running daemons with another configuration (e.g. other FAKE_GPUS): restart them, but
    # only if this STATE_DIR started them; never touch somebody else's daemons.
    for d in slurmctld:"$ctld_pid" slurmd:"$d_pid"; do
      n=${d%%:*}; p=${d#*:}
      if alive "$p" "$n" && [ "$(recorded "$n")" != "$p" ]; then
        fail "running $n (pid $p) has another configuration and was not started with $STATE;" \
             "stop it first (tests/cluster/stop_slurm.sh <its STATE_DIR>) or use FAKE_GPUS=<as before>"
      fi
    done
    for p in "$d_pid" "$ctld_pid"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    for _ in $(seq 80); do
      alive "$ctld_pid" slurmctld || alive "$d_pid" slurmd || break; sleep 0.25
    done
    alive "$ctld_pid" slurmctld && fail "slurmctld (pid $ctld_pid) did not stop"
    alive "$d_pid" slurmd && fail "slurmd (pid $d_pid) did not stop"
    rm -f /run/slurmctld.pid /run/slurmd.pid
  fi
fi
if [ $changed = 1 ]; then
  printf '%s\n' "$NEW_CONF" > /etc/slurm/slurm.conf
  if [ -n "$GRES_CONF" ]; then printf '%s' "$GRES_CONF" > /etc/slurm/gres.conf; else rm -f /etc/slurm/gres.conf; fi
fi
install -d -o slurm -g slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm

if ! alive "$(pid_of /run/slurmctld.pid)" slurmctld; then
  rm -f /run/slurmctld.pid                      # slurmctld leaves a stale one behind
  # -c: start with a clean state (no jobs or node states from an earlier session)
  /usr/sbin/slurmctld -c >> "$LOG" 2>&1
  for _ in $(seq 40); do alive "$(pid_of /run/slurmctld.pid)" slurmctld && break; sleep 0.1; done
  alive "$(pid_of /run/slurmctld.pid)" slurmctld || fail "slurmctld did not start"
  record slurmctld "$(pid_of /run/slurmctld.pid)"
fi
if ! alive "$(pid_of /run/slurmd.pid)" slurmd; then
  rm -f /run/slurmd.pid
  /usr/sbin/slurmd -N localhost >> "$LOG" 2>&1   # -N: the node is "localhost", not $(hostname)
  for _ in $(seq 40); do alive "$(pid_of /run/slurmd.pid)" slurmd && break; sleep 0.1; done
  alive "$(pid_of /run/slurmd.pid)" slurmd || fail "slurmd did not start"
  record slurmd "$(pid_of /run/slurmd.pid)"
fi

state=""
for _ in $(seq 120); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null | sort -u | head -n 1 || true)
  case "$state" in idle|mixed|allocated) break;; esac
  # a node drained by an earlier bad config comes back once the config is right
  case "$state" in drain*|down*|inval*) scontrol update nodename=localhost state=resume >> "$LOG" 2>&1 || true;; esac
  sleep 0.25
done
case "$state" in idle|mixed|allocated) ;; *) fail "node localhost is '${state:-unreachable}', not idle";; esac
live_ok || fail "cluster has partitions '$(sinfo -h -o %P | xargs)' and GRES '$(sinfo -h -n localhost -o %G | xargs)'," \
  "expected '$WANT_PARTS' and '$WANT_GRES'"

trap - ERR
printf 'slurm up: node localhost %s, partition debug, FAKE_GPUS=%s, %.1f s; pids in %s\n' \
  "$state" "$FAKE_GPUS" "$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN{print e-s}')" "$PIDS"
