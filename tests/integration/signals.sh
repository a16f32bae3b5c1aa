# synovia — a stop that lands at start-up: a scheduler's SIGTERM (a Slurm
# requeue, a preemption) may arrive just after the sweep has locked its output,
# before any sample is done. It must still end as an interrupted run (status 3;
# the same command with --resume finishes it), never as a kill (status 143)
# that leaves the lock file behind. strace delivers SIGTERM exactly as the lock
# is taken (the run's first fcntl), so the moment is the same on every machine.
. tests/lib/tap.sh
if ! command -v strace >/dev/null 2>&1; then
  echo "1..0 # SKIP strace is not installed (./synovia.sh test installs it)"; exit 0
fi
cat >"$TMP/s.sweep" <<EOF2
scenario "$PWD/examples/joint_demo.scenario"
design random 40 seed 9
vary f_slow uniform 0.1 0.4
metrics IL6_auc_28d
EOF2
term_at_lock() { # sweep arguments...: the run's status, SIGTERM landing as it locks
  strace -f -o /dev/null -e trace=fcntl -e inject=fcntl:signal=TERM:when=1 "$SYNOVIA" "$@"
}
for mode in whole shard; do
  rm -rf "$TMP"/out*
  case $mode in
    whole) args="-o $TMP/out.h5" lock="$TMP/out.h5.lock" ;;
    shard) args="--task-count 2 --task-index 0 -o $TMP/out.h5" lock="$TMP/out.task-0000-of-0002.h5.lock" ;;
  esac
  term_at_lock sweep "$TMP/s.sweep" -q $args 2>"$TMP/err"
  rc=$?
  check "$mode: SIGTERM as the output is locked ends the run as interrupted (status 3, got $rc)" test $rc -eq 3
  sed 's/^/# /' "$TMP/err"
  check "... saying how to go on" grep -q "with --resume" "$TMP/err"
  check "... with no lock file left behind" test ! -e "$lock"
  timeout 300 "$SYNOVIA" sweep "$TMP/s.sweep" -q --resume $args 2>"$TMP/err"
  check "... and --resume finishes it" test $? -eq 0
done
finish
