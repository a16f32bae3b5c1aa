# synovia — a single-node Slurm cluster for the tests, started and stopped by
# the test itself (as root: munged, slurmctld, slurmd from Debian's munge and
# slurm-wlm, a generated slurm.conf, all state in one scratch folder).
#
#   . tests/slurm/cluster.sh
#   cluster_start DIR || skip all with "$CLUSTER_WHY"
#   ... sbatch, squeue, sacct (SLURM_CONF is exported) ...
#   cluster_stop            (also from the caller's EXIT trap)
#
# Ports are derived from the shell's pid so that two runs on one machine do
# not meet; the node is named localhost and its CPUs are what `slurmd -C`
# reports.

cluster_why() { CLUSTER_WHY=$1; return 1; }

cluster_conf() { # dir cpus memory ctldport dport
  cat <<EOC
ClusterName=synovia-test
SlurmctldHost=localhost
SlurmctldPort=$4
SlurmdPort=$5
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$1/munge.socket,cred_expire=30
StateSaveLocation=$1/state
SlurmdSpoolDir=$1/spool
SlurmctldPidFile=$1/slurmctld.pid
SlurmdPidFile=$1/slurmd.pid
SlurmctldLogFile=$1/slurmctld.log
SlurmdLogFile=$1/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=5
MessageTimeout=10
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MaxArraySize=1001
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$2 RealMemory=$3 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOC
}

# cluster_start DIR: 0 when the node is idle, else 1 with CLUSTER_WHY.
cluster_start() {
  CLUSTER_DIR=$1
  [ "$(id -u)" = 0 ] || cluster_why "not root (munged, slurmctld and slurmd are started as root)" || return 1
  for d in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v $d >/dev/null 2>&1 || [ -x /usr/sbin/$d ] ||
      cluster_why "$d not found (apt-get install munge slurm-wlm)" || return 1
  done
  export PATH="$PATH:/usr/sbin"
  mkdir -p "$CLUSTER_DIR/state" "$CLUSTER_DIR/spool" && chmod 700 "$CLUSTER_DIR" || return 1
  mungekey -c -k "$CLUSTER_DIR/munge.key" >/dev/null 2>&1 ||
    dd if=/dev/urandom of="$CLUSTER_DIR/munge.key" bs=1024 count=1 2>/dev/null
  chmod 600 "$CLUSTER_DIR/munge.key"
  munged -f --socket="$CLUSTER_DIR/munge.socket" --key-file="$CLUSTER_DIR/munge.key" \
    --pid-file="$CLUSTER_DIR/munged.pid" --log-file="$CLUSTER_DIR/munged.log" \
    --seed-file="$CLUSTER_DIR/munged.seed" >"$CLUSTER_DIR/munged.out" 2>&1 ||
    cluster_why "munged did not start: $(tail -n 1 "$CLUSTER_DIR/munged.out" "$CLUSTER_DIR/munged.log" 2>/dev/null | tr '\n' ' ')" || return 1
  cpus=$(slurmd -C 2>/dev/null | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p')
  mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  base=$((20000 + ($$ % 2000) * 2))
  cluster_conf "$CLUSTER_DIR" "${cpus:-2}" "${mem:-1000}" "$base" $((base + 1)) >"$CLUSTER_DIR/slurm.conf"
  export SLURM_CONF="$CLUSTER_DIR/slurm.conf"
  slurmctld -c -f "$SLURM_CONF" >"$CLUSTER_DIR/slurmctld.out" 2>&1 ||
    cluster_why "slurmctld did not start: $(tail -n 2 "$CLUSTER_DIR/slurmctld.log" 2>/dev/null | tr '\n' ' ')" || return 1
  slurmd -N localhost -f "$SLURM_CONF" >"$CLUSTER_DIR/slurmd.out" 2>&1 ||
    cluster_why "slurmd did not start: $(tail -n 2 "$CLUSTER_DIR/slurmd.log" 2>/dev/null | tr '\n' ' ')" || return 1
  # The node registers within a few seconds; wait for it (an event, not a duration).
  tries=0
  until [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ]; do
    tries=$((tries + 1))
    [ $tries -le 120 ] || cluster_why "the node never became idle: $(sinfo -h -o '%T %E' 2>&1; tail -n 2 "$CLUSTER_DIR/slurmd.log" 2>/dev/null | tr '\n' ' ')" || return 1
    sleep 0.5
  done
  CLUSTER_CPUS=${cpus:-2}
  return 0
}

cluster_stop() {
  [ -n "${CLUSTER_DIR:-}" ] || return 0
  for j in $(squeue -h -o %A 2>/dev/null); do scancel "$j" 2>/dev/null; done
  for p in slurmd slurmctld munged; do
    f="$CLUSTER_DIR/$p.pid"
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  for p in slurmd slurmctld munged; do # each exits within its own timers
    f="$CLUSTER_DIR/$p.pid"; n=0
    while [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && [ $n -lt 60 ]; do sleep 0.5; n=$((n + 1)); done
    [ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
  done
  CLUSTER_DIR=
}
