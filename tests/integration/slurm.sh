# synovia — sweeps under Slurm, in two parts.
#
# 1. Without a cluster: what synovia itself does for Slurm — a job-array
#    task's shard from SLURM_ARRAY_TASK_* (refusing arrays not numbered
#    0..N-1 unless --task-count says N), one run of an output at a time (a
#    lock naming the holder), repeated SIGTERM keeping every finished sample
#    (serially and under mpirun), plain srun's separate copies refused, and
#    merge naming the tasks that did not finish with the commands that do.
# 2. On a real single-node Slurm (Debian's munge and slurm-wlm, started here
#    as root with a generated slurm.conf, stopped at the end): the templates
#    in scripts/slurm/ submitted with the commands of docs/sweeps.md (each is
#    checked to be on the page, then run as written, in a scratch folder that
#    looks like the repository), results equal to a serial run. Where the
#    cluster cannot start, each of its checks is skipped with the reason.
. tests/lib/tap.sh
. tests/slurm/cluster.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
top=$(pwd)
case $SYNOVIA in /*) syn_abs=$SYNOVIA ;; *) syn_abs=$top/$SYNOVIA ;; esac
SW=tests/sweep/growth.sweep
MPIRUN="timeout 300 mpirun --oversubscribe"

skip() { ok "$1 # SKIP $2"; }
expect() { # name, exit status, a pattern of the output ("" for none), command
  name=$1 want=$2 pat=$3; shift 3
  "$@" >"$TMP/out" 2>&1
  got=$?
  if [ "$got" -eq "$want" ] && { [ -z "$pat" ] || grep -q -- "$pat" "$TMP/out"; }; then ok "$name"
  else not_ok "$name (exit $got, want $want; pattern '$pat')"; sed 's/^/# /' "$TMP/out" | head -20; fi
}
same() { "$PYTHON" tests/support/h5same.py "$1" "$2" >"$TMP/same" 2>&1 || { sed 's/^/# /' "$TMP/same"; false; }; }
# until COMMAND: waits for an event (a file appearing, a job ending); gives up
# after a generous bound so that a broken run fails instead of hanging.
until_true() { n=0; until "$@"; do n=$((n + 1)); [ $n -lt 1200 ] || return 1; sleep 0.25; done; }
has_committed_part() { ls "$1"/*.h5 >/dev/null 2>&1; }
no_tmp_parts() { ! ls "$1"/*.tmp >/dev/null 2>&1; }

# A sweep long enough (a few seconds, on a fast machine too: a joint_demo
# sample costs well under a millisecond) for signals and locks to land mid-way.
long_sweep() { # file samples
  cat >"$1" <<EOF
scenario "$top/examples/joint_demo.scenario"
design random $2 seed 9
vary f_slow uniform 0.1 0.4
vary lic_max uniform 0.5 1.5
metrics IL6_auc_28d MSC_day28
EOF
}
long_sweep "$TMP/long.sweep" 6000
"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/long-ref.h5" >/dev/null 2>&1
"$SYNOVIA" sweep $SW -q -o "$TMP/growth-ref.h5" >/dev/null 2>&1

# --- 1. job arrays: each task its own shard, or a refusal --------------------------------
arr() { # ID MIN MAX STEP COUNT, then the command
  id=$1 min=$2 max=$3 step=$4 count=$5; shift 5
  env SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=$min SLURM_ARRAY_TASK_MAX=$max \
    SLURM_ARRAY_TASK_STEP=$step SLURM_ARRAY_TASK_COUNT=$count "$@"
}
expect "--array=1-4 (not numbered from 0) is refused, naming the fix" 2 "TASKS=N" \
  arr 2 1 4 1 4 "$SYNOVIA" sweep $SW -q -o "$TMP/a14.h5"
check "... and runs nothing" sh -c "! ls '$TMP'/a14.* >/dev/null 2>&1"
expect "--array=0-6:2 (a step) is refused" 2 "step 2: 4 tasks" \
  arr 2 0 6 2 4 "$SYNOVIA" sweep $SW -q -o "$TMP/a06.h5"
expect "--array=0-6:2 with --task-count 7: task 2 runs shard 2 of 7" 0 "" \
  arr 2 0 6 2 4 "$SYNOVIA" sweep $SW -q -o "$TMP/a06.h5" --task-count 7
check "... into its own shard file" test -e "$TMP/a06.task-0002-of-0007.h5"
expect "a task ID beyond --task-count is refused" 2 "go up to 6, but --task-count is 5" \
  arr 2 0 6 2 4 "$SYNOVIA" sweep $SW -q -o "$TMP/a06.h5" --task-count 5
# One task rerun alone (--array=1) with the count: the same file as in the whole array.
for i in 0 2; do arr $i 0 2 1 3 "$SYNOVIA" sweep $SW -q -o "$TMP/re.h5" --resume >/dev/null 2>&1; done
expect "--array=1 rerun alone with --task-count 3 runs shard 1 of 3" 0 "" \
  arr 1 1 1 1 1 "$SYNOVIA" sweep $SW -q -o "$TMP/re.h5" --resume --task-count 3
expect "... and the three merge" 0 "merged 3 files: 60 samples" "$SYNOVIA" merge "$TMP/re.h5"
check "... into the serial run's data" same "$TMP/growth-ref.h5" "$TMP/re.h5"

# --- 1. merge names the tasks that did not finish ------------------------------------
for i in 0 2; do "$SYNOVIA" sweep $SW -q -o "$TMP/mi.h5" --task-index $i --task-count 5 >/dev/null 2>&1; done
mkdir "$TMP/mi.task-0003-of-0005.h5.parts"
expect "merge names the missing tasks as ranges" 1 "3 of the 5 tasks did not finish: 1,3-4" \
  "$SYNOVIA" merge "$TMP/mi.h5"
check "... says which were interrupted" grep -q "interrupted, .*: 3$" "$TMP/out"
check "... and prints the sbatch command that reruns just them, with TASKS" \
  grep -q "sbatch --array=1,3-4 scripts/slurm/sweep-array.sbatch $SW $TMP/mi.h5 TASKS=5" "$TMP/out"
check "... and the synovia command" \
  grep -q "synovia sweep $SW -o $TMP/mi.h5 --resume --task-count 5 --task-index I" "$TMP/out"
check "... and writes nothing" test ! -e "$TMP/mi.h5"

# --- 1. --resume with nothing to resume; one run of an output at a time ------------------
expect "--resume with nothing to resume runs the sweep" 0 "0 kept from before" \
  "$SYNOVIA" sweep $SW -o "$TMP/fresh.h5" --resume
"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/lk.h5" --checkpoint 0.2 >"$TMP/lk1.out" 2>&1 &
pid=$!
until_true grep -q "^pid $pid on host" "$TMP/lk.h5.lock" 2>/dev/null
expect "a second run of the same output is refused, naming the first's pid and host" 1 \
  "being written by another run: pid $pid on host $(hostname)" \
  "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/lk.h5" --resume
wait $pid; rc=$?
check "... and the first run finishes undisturbed" test $rc -eq 0
check "... with the serial run's data" same "$TMP/long-ref.h5" "$TMP/lk.h5"
check "... and its lock is gone" test ! -e "$TMP/lk.h5.lock"

# --- 1. SIGTERM twice (a scheduler's time limit) keeps every finished sample -------------
"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/tt.h5" --checkpoint 0.2 >"$TMP/tt.out" 2>&1 &
pid=$!
until_true has_committed_part "$TMP/tt.h5.parts"
# The early warning, then the limit's SIGTERM twice (two kinds of signal, so
# that the kernel cannot merge them into one).
kill -USR1 $pid; kill -TERM $pid; kill -TERM $pid; wait $pid; rc=$?
check "SIGUSR1 then SIGTERM twice: still a clean stop with status 3" test $rc -eq 3
check "... that says how much it kept" grep -q "interrupted: .* samples are done and kept" "$TMP/tt.out"
check "... and no unsaved part" no_tmp_parts "$TMP/tt.h5.parts"
expect "... and --resume finishes it" 0 "" "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/tt.h5" --resume
check "... with the serial run's data" same "$TMP/long-ref.h5" "$TMP/tt.h5"

# Under MPI each rank gets the early warning and then SIGTERM twice, as from
# Slurm and srun at a hard limit (distinct signals, which cannot merge).
$MPIRUN -np 2 "$SYNOVIA" sweep "$TMP/long.sweep" -o "$TMP/mt.h5" --checkpoint 0.2 >"$TMP/mt.out" 2>&1 &
pid=$!
until_true has_committed_part "$TMP/mt.h5.parts"
ranks=$(pgrep -f "^$SYNOVIA sweep $TMP/long.sweep -o $TMP/mt.h5" | tr '\n' ' ')  # not mpirun's
check "mpirun -np 2: the two ranks are found" test "$(echo $ranks | wc -w)" -eq 2
for r in $ranks; do kill -USR1 $r; kill -TERM $r; kill -TERM $r; done
wait $pid
check "mpirun -np 2, each rank SIGUSR1 then SIGTERM twice: the ranks stop cleanly and keep what is done" \
  grep -q "interrupted: .* samples are done and kept" "$TMP/mt.out"
check "... no rank died with an unsaved part" no_tmp_parts "$TMP/mt.h5.parts"
expect "... and --resume under mpirun finishes it" 0 "kept from before" \
  $MPIRUN -np 2 "$SYNOVIA" sweep "$TMP/long.sweep" -o "$TMP/mt.h5" --resume
check "... with the serial run's data" same "$TMP/long-ref.h5" "$TMP/mt.h5"

"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/ii.h5" --checkpoint 0.2 >/dev/null 2>&1 &
pid=$!
until_true has_committed_part "$TMP/ii.h5.parts"
kill -INT $pid; kill -INT $pid; wait $pid; rc=$?
check "SIGINT twice (Ctrl-C twice) still stops at once" test $rc -eq 130 -o $rc -eq 3

# --- 1. plain srun: separate copies refused at once ------------------------------------
expect "several srun tasks that are not one MPI job are refused at once" 1 "srun --mpi=pmix" \
  env SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=0 "$SYNOVIA" sweep $SW -o "$TMP/plain.h5"
check "... pmi2 (which Debian's Open MPI cannot use) is not offered" sh -c "! grep -q pmi2 '$TMP/out'"
check "... and nothing is written" test ! -e "$TMP/plain.h5" -a ! -e "$TMP/plain.h5.parts"
expect "one srun task is fine" 0 "wrote" env SLURM_STEP_NUM_TASKS=1 "$SYNOVIA" sweep $SW -o "$TMP/one.h5"
expect "srun copies each given its own shard (--task-index) are a job array by other means: fine" 0 "" \
  env SLURM_STEP_NUM_TASKS=3 "$SYNOVIA" sweep $SW -q -o "$TMP/own.h5" --task-index 1 --task-count 3

# --- 2. a real Slurm ------------------------------------------------------------------
SKIPWHY=
if cluster_start "$TMP/cluster"; then :; else SKIPWHY=$CLUSTER_WHY; fi
trap 'cluster_stop; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
# act COMMAND: runs it when the cluster is up; scheck NAME COMMAND: a check, or its skip.
act() { [ -n "$SKIPWHY" ] || "$@"; }
scheck() { if [ -n "$SKIPWHY" ]; then skip "$1" "$SKIPWHY"; else check "$@"; fi; }

# The commands of the Slurm section of docs/sweeps.md, continuation lines joined.
awk '/^## Slurm templates/ { on = 1; next } /^## / { on = 0 }
     on && /^```sh/ { inb = 1; next } on && /^```/ { inb = 0; next }
     inb { line = acc $0; if (line ~ /\\$/) { sub(/ *\\$/, " ", line); acc = line; next }
           acc = ""; gsub(/  +/, " ", line); print line }' docs/sweeps.md >"$TMP/doc.cmds"
# doc COMMANDS: each line must be on the page, as written; then they run in
# the scratch folder, in this shell (so that $jid carries over).
doc() {
  printf '%s\n' "$1" | while IFS= read -r l; do
    grep -qxF "$l" "$TMP/doc.cmds" || { echo "# not in docs/sweeps.md: $l"; echo "$l" >>"$TMP/doc.missing"; }
  done
  cd "$W" && eval "$1" >>"$TMP/doc.log" 2>&1
  cd "$top"
}
# A folder laid out as the repository, with this build's synovia where the
# templates look for it in a checkout (scripts/slurm -> build/release/synovia).
W=$TMP/work
mkdir -p "$W/build/release"
cp -r scripts "$W/"
ln -s "$top/examples" "$W/examples"
ln -s "$top/models" "$W/models"
ln -s "$top/tests" "$W/tests"
ln -s "$syn_abs" "$W/build/release/synovia"
# (squeue must answer: a busy slurmctld's timeout is not an empty queue)
jobs_done() { q=$(squeue -h 2>/dev/null) && [ -z "$q" ]; }
act "$SYNOVIA" sweep examples/virtual_population.sweep -q -o "$TMP/vp-serial.h5"

# The job array and its merge, as the page says; one task cancelled on the way
# (it ends CANCELLED: the merge after afterany must still run and say what to do).
act doc 'jid=$(sbatch --parsable --array=0-3 scripts/slurm/sweep-array.sbatch examples/virtual_population.sweep results/vp.h5)'
act scancel "${jid}_3"
act doc 'sbatch --dependency=afterany:$jid scripts/slurm/sweep-merge.sbatch results/vp.h5'
act until_true jobs_done
scheck "array: every task not cancelled wrote its shard" \
  test -e "$W/results/vp.task-0000-of-0004.h5" -a -e "$W/results/vp.task-0002-of-0004.h5"
scheck "merge after afterany ran although a task was cancelled, and wrote nothing" test ! -e "$W/results/vp.h5"
scheck "... naming the cancelled task and the command that reruns it" \
  grep -q "sbatch --array=3 $W/scripts/slurm/sweep-array.sbatch examples/virtual_population.sweep results/vp.h5 TASKS=4" "$W"/synovia-merge-*.out
act rm -f "$W"/synovia-merge-*.out
# What the user does next: submit that command, then the merge again.
act doc 'jid=$(sbatch --parsable --array=3 scripts/slurm/sweep-array.sbatch examples/virtual_population.sweep results/vp.h5 TASKS=4)
sbatch --dependency=afterany:$jid scripts/slurm/sweep-merge.sbatch results/vp.h5'
act until_true jobs_done
scheck "task 3 rerun alone (--array=3 TASKS=4) and merged: the serial run's data" \
  same "$TMP/vp-serial.h5" "$W/results/vp.h5"

# MPI: srun --mpi=pmix with two ranks; a short --time does not trip the early warning.
act doc 'sbatch --ntasks=2 --time=2 scripts/slurm/sweep-mpi.sbatch examples/virtual_population.sweep results/vp-mpi.h5'
act until_true jobs_done
scheck "sweep-mpi.sbatch --ntasks=2 --time=2: two MPI ranks, not stopped early" \
  sh -c "grep -q '2 MPI rank' $W/synovia-sweep-*.out && grep -q 'ended with status 0' $W/synovia-sweep-*.out"
scheck "... the serial run's data" same "$TMP/vp-serial.h5" "$W/results/vp-mpi.h5"
check "sweep-mpi.sbatch has no default rank count that could pend for ever" \
  sh -c "! grep -q '^#SBATCH --ntasks' scripts/slurm/sweep-mpi.sbatch"

# --export=NONE, with the settings as arguments.
act doc 'jid=$(sbatch --parsable --export=NONE --array=0-1 scripts/slurm/sweep-array.sbatch examples/virtual_population.sweep results/en.h5 TASKS=2)
sbatch --export=NONE --dependency=afterany:$jid scripts/slurm/sweep-merge.sbatch results/en.h5'
act until_true jobs_done
scheck "--export=NONE: the templates find synovia and take TASKS from their arguments" \
  same "$TMP/vp-serial.h5" "$W/results/en.h5"

# A template with no synovia beside it nor on PATH says what to do.
act mkdir -p "$TMP/elsewhere"
act cp scripts/slurm/sweep-array.sbatch "$TMP/elsewhere/"
act sh -c "cd '$TMP/elsewhere' && env PATH=/usr/bin:/bin sbatch --export=NONE --array=0 -o nf.out sweep-array.sbatch x.sweep x.h5 >/dev/null"
act until_true jobs_done
scheck "a template that cannot find synovia says how to install it or pass SYNOVIA=" \
  grep -q "synovia not found.*make install PREFIX=DIR.*SYNOVIA=" "$TMP/elsewhere/nf.out"

# scontrol requeue of a running task: it resumes, and its log keeps both attempts.
act long_sweep "$W/long.sweep" 12000
act sh -c "cd '$W' && '$syn_abs' sweep long.sweep -q -o '$TMP/longref.h5'"
act sh -c "cd '$W' && sbatch --parsable --array=0-1 scripts/slurm/sweep-array.sbatch long.sweep results/long.h5 >'$TMP/jid'"
jid=$(cat "$TMP/jid" 2>/dev/null)
act until_true test -e "$W/results/long.task-0000-of-0002.h5.lock"
act scontrol requeue "${jid}_0"
# Slurm holds a requeued job back (BeginTime) for AuthInfo's cred_expire, 30 s
# on this cluster (tests/slurm/cluster.sh), and then starts it by itself. It
# is not hurried with `scontrol update StartTime=now`: an update that lands
# while the first attempt is still completing had the second attempt fail to
# launch (JobState=FAILED, no line in its log; seen twice on fresh machines).
act until_true jobs_done
act sh -c "cd '$W' && '$syn_abs' merge -q results/long.h5"
# What a failure here needs to be understood: the task's log (both attempts)
# and what Slurm did with the job.
requeue_story() {
  sed 's/^/# log: /' "$W/synovia-shard-${jid}_0.out" 2>/dev/null
  scontrol show job "${jid}_0" 2>/dev/null | grep -E 'JobState|Restarts|BeginTime|Reason' | sed 's/^/# job: /'
}
first_attempt_stopped() { grep -q "task 0 ended with status 3" "$W/synovia-shard-${jid}_0.out"; }
second_attempt_done() {
  grep -c 'task 0 (job' "$W/synovia-shard-${jid}_0.out" | grep -qx 2 &&
    grep -q 'task 0 ended with status 0' "$W/synovia-shard-${jid}_0.out"
}
scheck "requeued task: its first attempt stopped cleanly (status 3) and is still in the log" \
  first_attempt_stopped
[ -n "$SKIPWHY" ] || first_attempt_stopped || requeue_story
scheck "... the second attempt resumed and ended with status 0" second_attempt_done
[ -n "$SKIPWHY" ] || second_attempt_done || requeue_story
scheck "... and the merged file has the serial run's data" same "$TMP/longref.h5" "$W/results/long.h5"

# scancel of a running MPI job: Slurm signals every rank and srun passes it on
# (SIGTERM twice, as at a hard time limit); the same command then resumes.
act cp "$W/long.sweep" "$W/mlong.sweep"
act sh -c "cd '$W' && '$syn_abs' sweep mlong.sweep -q -o '$TMP/mlongref.h5'"
act sh -c "cd '$W' && sbatch --parsable --ntasks=2 scripts/slurm/sweep-mpi.sbatch mlong.sweep results/mlong.h5 >'$TMP/jid'"
jid=$(cat "$TMP/jid" 2>/dev/null)
act until_true sh -c "ls '$W'/results/mlong.h5.parts/*.tmp >/dev/null 2>&1"
act scancel "$jid"
act until_true jobs_done
scheck "scancel of an MPI job: every rank kept what it finished (no unsaved part)" \
  sh -c "grep -q 'interrupted: .* samples are done and kept' '$W/synovia-sweep-$jid.out' && ! ls '$W'/results/mlong.h5.parts/*.tmp >/dev/null 2>&1"
act sh -c "cd '$W' && sbatch --ntasks=2 scripts/slurm/sweep-mpi.sbatch mlong.sweep results/mlong.h5 >/dev/null"
act until_true jobs_done
scheck "... the same command again finishes it, with the serial run's data" \
  same "$TMP/mlongref.h5" "$W/results/mlong.h5"

# A hard time limit (--time=1, under 100 s: no early warning): Slurm sends
# SIGTERM to every rank and srun sends it again. A sweep far too long for the
# limit (2x10^6 samples: 200000 took about 100 s with the optimised build, so
# close to the limit), so that the limit surely comes first; nothing it
# finished is lost.
act sed 's/^design random [0-9]*/design random 2000000/' "$W/long.sweep" >"$W/huge.sweep"
act sh -c "cd '$W' && sbatch --parsable --ntasks=2 --time=1 scripts/slurm/sweep-mpi.sbatch huge.sweep results/huge.h5 >'$TMP/jid'"
jid=$(cat "$TMP/jid" 2>/dev/null)
act until_true jobs_done
stopped_at_limit() { grep -q 'DUE TO TIME LIMIT' "$W/synovia-sweep-$jid.out"; }
kept_at_limit() {
  grep -q 'interrupted: .* samples are done and kept' "$W/synovia-sweep-$jid.out" &&
    ls "$W"/results/huge.h5.parts/*.h5 >/dev/null 2>&1 && ! ls "$W"/results/huge.h5.parts/*.tmp >/dev/null 2>&1
}
limit_story() {
  tail -n 15 "$W/synovia-sweep-$jid.out" 2>/dev/null | sed 's/^/# log: /'
  ls -l "$W"/results/huge.h5* "$W"/results/huge.h5.parts 2>&1 | tail -n 8 | sed 's/^/# ls: /'
  scontrol show job "$jid" 2>/dev/null | grep -E 'JobState|RunTime|TimeLimit|ExitCode' | sed 's/^/# job: /'
}
scheck "a hard time limit on an MPI job: Slurm stopped it there" stopped_at_limit
[ -n "$SKIPWHY" ] || stopped_at_limit || limit_story
scheck "... and every rank kept what it finished, no unsaved part" kept_at_limit
[ -n "$SKIPWHY" ] || kept_at_limit || limit_story

# A fit's starts as a job array: each task runs its share (the index and count
# from Slurm's array variables) with --resume, then --merge writes the fit file.
act "$SYNOVIA" fit tests/data/fit_decay/decay.fit -q --starts 40 -o "$TMP/fit-serial.h5" >/dev/null
act sh -c "cd '$W' && sbatch --array=0-1 -o fit-%a.out --wrap 'build/release/synovia fit tests/data/fit_decay/decay.fit -q --starts 40 -o fit.h5 --resume' >/dev/null"
act until_true jobs_done
act sh -c "cd '$W' && build/release/synovia fit tests/data/fit_decay/decay.fit -q --starts 40 -o fit.h5 --merge >fit-merge.out 2>&1"
scheck "a fit as a Slurm job array (--array=0-1) joined by fit --merge: the serial fit file" \
  same "$TMP/fit-serial.h5" "$W/fit.h5"

# Plain srun (no MPI plugin) is refused at once.
act sh -c "cd '$W' && sbatch --ntasks=2 -o plain.out --wrap 'srun build/release/synovia sweep examples/virtual_population.sweep -o results/plain.h5' >/dev/null"
act until_true jobs_done
scheck "plain srun -n 2: refused at once, pointing to srun --mpi=pmix" \
  sh -c "grep -q 'srun --mpi=pmix' '$W/plain.out' && test ! -e '$W/results/plain.h5.parts'"

scheck "every command run above is written so in docs/sweeps.md" test ! -e "$TMP/doc.missing"
act cluster_stop
finish
