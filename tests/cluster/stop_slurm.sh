#!/usr/bin/env bash
# stop_slurm.sh STATE_DIR: stop, by PID, exactly the daemons tests/cluster/setup_slurm.sh
# STATE_DIR started (listed in STATE_DIR/pids), wait until they are gone, remove stale pid files
# and the slurm.conf / gres.conf that setup_slurm.sh wrote (recognised by its header line).
#
# Daemons that setup did not start (not listed, or listed with a PID that now belongs to another
# program) are left alone. Before slurmctld goes down, jobs still queued or running on the local
# test cluster are cancelled so that no slurmstepd/job processes outlive it.
# Exit status: 0 when every listed daemon is gone, 1 otherwise.
set -uo pipefail

STATE=${1:-/tmp/cisim-slurm}
PIDS="$STATE/pids"
if [ ! -s "$PIDS" ]; then
  echo "stop_slurm.sh: nothing to stop (no $PIDS)"
  exit 0
fi

alive() {   # alive PID COMM: exists, not a zombie, and is still COMM (guards against PID reuse)
  local pid=$1 comm=$2
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
pid_for() { awk -v n="$1" '$1==n{print $2}' "$PIDS" | tail -n 1; }

# 1. cancel leftover jobs while the controller we started still answers
ctld=$(pid_for slurmctld)
if alive "$ctld" slurmctld; then
  jobs=$(timeout 10 squeue -h -o %i 2>/dev/null || true)
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086
    timeout 10 scancel $jobs 2>/dev/null || true
    for _ in $(seq 40); do
      [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.25
    done
  fi
fi

# 2. SIGTERM in dependency order: slurmd, slurmctld, then munged; wait for each group
stop_group() {
  local names=("$@") pids=() comms=() n p
  for n in "${names[@]}"; do
    p=$(pid_for "$n")
    if alive "$p" "$n"; then kill -TERM "$p" 2>/dev/null || true; pids+=("$p"); comms+=("$n"); fi
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  for i in $(seq 80); do                     # up to 20 s, then SIGKILL
    local left=0
    for k in "${!pids[@]}"; do alive "${pids[$k]}" "${comms[$k]}" && left=1; done
    [ $left = 0 ] && return 0
    [ "$i" = 60 ] && for k in "${!pids[@]}"; do
      alive "${pids[$k]}" "${comms[$k]}" && kill -KILL "${pids[$k]}" 2>/dev/null
    done
    sleep 0.25
  done
}
stop_group slurmd slurmctld
stop_group munged

# 3. stale pid files (slurmctld never removes its own; the slurmctld package's prerm then runs
#    scancel and `apt-get purge slurmctld` fails) -- only those that point at a dead process
for f in /run/slurmctld.pid:slurmctld /run/slurmd.pid:slurmd /run/munge/munged.pid:munged; do
  file=${f%%:*}; comm=${f##*:}
  [ -e "$file" ] && ! alive "$(cat "$file" 2>/dev/null)" "$comm" && rm -f "$file"
done

rc=0
for n in slurmd slurmctld munged; do
  p=$(pid_for "$n")
  if alive "$p" "$n"; then echo "stop_slurm.sh: $n (pid $p) is still running" >&2; rc=1; fi
done
# 4. the configuration setup_slurm.sh wrote goes with the daemons it started: a Slurm client with a
#    config but no controller makes every `scontrol` wait ~10 s, and the snakemake slurm plugin
#    calls `scontrol show config` at every Snakemake start. Without a config it fails at once.
if [ $rc = 0 ] && head -n 1 /etc/slurm/slurm.conf 2>/dev/null | grep -q "^# Written by cisim tests/cluster/setup_slurm.sh"; then
  rm -f /etc/slurm/slurm.conf /etc/slurm/gres.conf
fi
[ $rc = 0 ] && rm -f "$PIDS"
exit $rc
