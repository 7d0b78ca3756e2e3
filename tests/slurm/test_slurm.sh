#!/usr/bin/env bash
# The Slurm workflow on a real single-node Slurm: a sweep emitted with --emit slurm runs
# as a job array (sbatch --wait), its shards merge into one database, and that database
# holds the same runs and numbers as the same sweep run locally. Slurm is started here
# (no systemd: munged and the daemons are started by hand, as root). When it cannot be
# started, the test says why and exits 77, which ctest reports as skipped.
#
#   test_slurm.sh GTRACK EXPERIMENTS_DIR
set -euo pipefail
gtrack=$1
experiments=$2

skip() {
  echo "SKIPPED: $*"
  exit 77
}
# the daemons live in /usr/sbin, which a bare environment (env -i PATH=/usr/bin:/bin, as
# in a container) leaves out of PATH
PATH=$PATH:/usr/sbin:/sbin
for command in slurmctld slurmd sbatch sinfo munged sqlite3; do
  command -v "$command" > /dev/null ||
    skip "$command is not installed (.ci/run installs slurmctld slurmd slurm-client munge)"
done
[ "$(id -u)" -eq 0 ] || skip "starting slurmd needs root"

work=$(mktemp -d)
started_munge=""
cleanup() {
  # scontrol shutdown stops slurmctld and slurmd; the pid files catch what it misses
  [ -n "${SLURM_CONF:-}" ] && scontrol shutdown > /dev/null 2>&1 || true
  for daemon in slurmd slurmctld; do
    if [ -f "$work/$daemon.pid" ]; then
      pid=$(cat "$work/$daemon.pid")
      for _ in $(seq 20); do kill -0 "$pid" 2> /dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2> /dev/null || true
    fi
  done
  [ -n "$started_munge" ] && pkill -x munged 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# munge: the key is created by the package; /run/munge is not (no systemd here)
mkdir -p /run/munge
chown munge:munge /run/munge 2> /dev/null || true
if ! pgrep -x munged > /dev/null; then
  [ -f /etc/munge/munge.key ] || skip "no /etc/munge/munge.key"
  su -s /bin/sh munge -c /usr/sbin/munged || skip "munged did not start"
  started_munge=1
fi
munge -n | unmunge > /dev/null || skip "munge does not work"

host=$(hostname)
port=$((17000 + $$ % 1000))
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" << CONF
ClusterName=gtrack-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=$port
SlurmdPort=$((port + 1000))
ReturnToService=2
MinJobAge=2
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -c || skip "slurmctld did not start: $(tail -3 "$work/slurmctld.log" 2> /dev/null)"
slurmd || skip "slurmd did not start: $(tail -3 "$work/slurmd.log" 2> /dev/null)"
for _ in $(seq 60); do
  sinfo -h -o %T 2> /dev/null | grep -q idle && break
  sleep 0.5
done
sinfo -h -o %T | grep -q idle || skip "the node never became idle: $(tail -3 "$work/slurmd.log")"
echo "Slurm is up: $(sinfo -h -o '%P %T %D')"

cd "$work"
cat > sweep.yaml << SWEEP
name: slurm-check
base: $experiments/sigmoid-10.yaml
grid:
  model.activation: [sigmoid, relu]
  model.depth: [3, 6]
  train.steps: [20]
  seed: [1, 2]
SWEEP
# one BLAS thread, as each array task has (float32 sums depend on the thread count)
"$gtrack" sweep sweep.yaml -j 2 --threads 1 --db local.db --quiet > local.txt
"$gtrack" sweep sweep.yaml --emit slurm --out emitted --array-max 3
sbatch --wait emitted/gtrack.sbatch
"$gtrack" merge emitted/shards/*.db -o merged.db
second=$("$gtrack" merge emitted/shards/*.db -o merged.db | tail -1)
echo "merging again: $second"
case "$second" in
  *"0 runs added, 8 already present"*) ;;
  *) echo "FAILED: merging twice added runs"; exit 1 ;;
esac

check() { # description, expected, sql
  local got
  got=$(sqlite3 merged.db "$3")
  if [ "$got" != "$2" ]; then
    echo "FAILED: $1: expected '$2', got '$got'"
    exit 1
  fi
  echo "ok: $1"
}
check "8 runs, all finished" "8|8" \
  "SELECT count(*), sum(status = 'finished') FROM runs"
check "one sweep, every run in it" "1|8" \
  "SELECT (SELECT count(*) FROM sweeps WHERE name = 'slurm-check'),
          (SELECT count(*) FROM runs WHERE sweep_id = (SELECT id FROM sweeps))"
check "every run logged 20 steps of 4 or 7 layers" "8|880" \
  "SELECT (SELECT count(DISTINCT run_id) FROM steps), (SELECT count(*) FROM layer_stats)"

# the same runs and numbers as the local sweep, compared row by row (the resolved spec:
# a task is given the base spec resolved, with its data paths absolute)
content="SELECT r.name, r.spec_hash, r.seed, r.resolved_spec, r.overrides, s.step, s.layer,
                s.weight_grad_norm, s.bias_grad_norm, s.delta_norm, s.weight_norm
         FROM runs r JOIN layer_stats s ON s.run_id = r.id ORDER BY r.name, s.step, s.layer"
sqlite3 local.db "$content" > local.rows
sqlite3 merged.db "$content" > merged.rows
if ! cmp -s local.rows merged.rows; then
  echo "FAILED: the merged database differs from the local sweep:"
  diff local.rows merged.rows | head -5
  exit 1
fi
echo "ok: merged database equals the local sweep ($(wc -l < merged.rows) layer rows)"
