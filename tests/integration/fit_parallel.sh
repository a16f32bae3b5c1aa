#!/bin/sh
# synovia fit's multistart on the sweep runner (issue 15 point 4): the same
# starts and the same profiles (a second job of the runner, its walks spread
# over the ranks), bit for bit, run serially, under mpirun -np 2, as two
# Slurm-style job-array tasks joined by --merge (also under mpirun), and killed (SIGTERM after the first part
# is committed) then resumed; the output's lock refuses a second fit into one
# file; nothing is left beside the fit file. The fit is tests/data/fit_decay
# (k and V of a bolus, milliseconds a start); its estimate is checked against
# scipy's least squares on the same data, an independent implementation.
. tests/lib/tap.sh
FIT=tests/data/fit_decay/decay.fit
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN="mpirun --oversubscribe"

# same A B: the two fit files hold the same data, bit for bit (tests/support/h5same.py)
same() { "$PYTHON" tests/support/h5same.py "$1" "$2" >"$TMP/same" 2>&1 || { sed 's/^/# /' "$TMP/same"; false; }; }
# nothing beside OUT: no tmp, rows, lock or parts
clean() {
  test ! -e "$1.tmp" && test ! -e "$1.rows" && test ! -e "$1.lock" && test ! -e "$1.parts" &&
    test ! -e "$1.profiles.rows" && test ! -e "$1.profiles.lock" && test ! -e "$1.profiles.parts"
}
# same_profiles A B: /profile and /uncertainty hold points and are equal bit for bit
same_profiles() {
  "$PYTHON" - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
assert a["profile/objective"].shape[0] > 4, "too few profile points"
for g in ("profile", "uncertainty"):
    for k in a[g]:
        x, y = np.asarray(a[g][k][()]), np.asarray(b[g][k][()])
        same = x.tobytes() == y.tobytes() if x.dtype.kind != "O" else list(x) == list(y)
        assert same and x.shape == y.shape, f"/{g}/{k} differs"
PY
}

"$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/serial.h5" >"$TMP/serial.out" 2>&1
check "serial: 40 starts, exit 0" test $? -eq 0
check "serial: a row per start" test "$(grep -Ec '^[0-9]+ +-?[0-9]' "$TMP/serial.out")" -eq 40
check "serial: nothing left beside the fit file" clean "$TMP/serial.h5"
check "serial: the estimate agrees with scipy's least squares on the same data (1e-5)" \
  "$PYTHON" - "$TMP/serial.h5" <<'PY'
import sys, csv, h5py, numpy as np
from scipy.optimize import least_squares
rows = list(csv.DictReader(open("tests/data/fit_decay/decay.csv")))
t = np.array([float(r["time (h)"]) for r in rows]); y = np.array([float(r["value"]) for r in rows])
sd = np.array([float(r["sd"]) for r in rows])
res = least_squares(lambda p: (10 / p[1] * np.exp(-p[0] * t) - y) / sd, [0.5, 1.0],
                    xtol=1e-15, ftol=1e-15, gtol=1e-15)
with h5py.File(sys.argv[1], "r") as f:
    names = [n.decode() if isinstance(n, bytes) else n for n in f["param"][()]]
    est = dict(zip(names, f["estimate"][()]))
print("# scipy k = %.10g V = %.10g; synovia k = %.10g V = %.10g" % (*res.x, est["k"], est["V"]))
sys.exit(0 if abs(est["k"] / res.x[0] - 1) < 1e-5 and abs(est["V"] / res.x[1] - 1) < 1e-5 else 1)
PY

"$SYNOVIA" fit "$FIT" --starts 40 -o "$TMP/loud.h5" >/dev/null 2>"$TMP/loud.err"
check "without -q: a progress line for the profile walks (4 of 4)" \
  sh -c "tr '\\r' '\\n' <'$TMP/loud.err' | grep -q '^ *4/4 profile walks'"
check "with -q: no progress line" sh -c "! grep -q 'profile walks' '$TMP/serial.out'"

$MPIRUN -np 2 "$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/mpi.h5" >"$TMP/mpi.out" 2>&1
check "mpirun -np 2: exit 0" test $? -eq 0
check "mpirun -np 2: the same fit file, bit for bit" same "$TMP/serial.h5" "$TMP/mpi.h5"
check "mpirun -np 2: /profile and /uncertainty the same, bit for bit" \
  same_profiles "$TMP/serial.h5" "$TMP/mpi.h5"
check "mpirun -np 2: nothing left beside the fit file" clean "$TMP/mpi.h5"
check "mpirun -np 2: the same table on stdout (rank 0 only)" \
  sh -c "diff '$TMP/serial.out' '$TMP/mpi.out' | grep -c '^[<>]' | grep -qx 2"

SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=2 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=1 \
  "$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/arr.h5" >"$TMP/t0.out" 2>&1
rc0=$?
"$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/arr.h5" --task-index 1 --task-count 2 \
  >"$TMP/t1.out" 2>&1
rc1=$?
check "two tasks (Slurm's array variables, then --task-index): exit 0" test $rc0 -eq 0 -a $rc1 -eq 0
check "... each writes its shard" \
  test -f "$TMP/arr.task-0000-of-0002.h5" -a -f "$TMP/arr.task-0001-of-0002.h5" -a ! -e "$TMP/arr.h5"
"$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/arr.h5" --merge >"$TMP/merge.out" 2>&1
check "--merge joins them: exit 0" test $? -eq 0
check "... into the same fit file, bit for bit" same "$TMP/serial.h5" "$TMP/arr.h5"
check "... nothing left beside it" clean "$TMP/arr.h5"
rm -f "$TMP/arr.h5"
$MPIRUN -np 2 "$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/arr.h5" --merge >"$TMP/mmerge.out" 2>&1
check "--merge under mpirun -np 2 (the profiles on both ranks): exit 0" test $? -eq 0
check "... the same fit file, bit for bit" same "$TMP/serial.h5" "$TMP/arr.h5"
check "... nothing left beside it" clean "$TMP/arr.h5"
rm -f "$TMP/arr.task-0001-of-0002.h5" "$TMP/arr.h5"
"$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/arr.h5" --merge >"$TMP/merge1.out" 2>&1
check "--merge with a task missing: exit 1 naming it, nothing written" \
  sh -c "[ $? -eq 1 ] && grep -q 'task 1 of 2 is missing' '$TMP/merge1.out' && [ ! -e '$TMP/arr.h5' ]"
"$SYNOVIA" fit "$FIT" -q --starts 41 -o "$TMP/arr.h5" --task-index 1 --task-count 2 >/dev/null 2>&1
"$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/arr.h5" --merge >"$TMP/merge2.out" 2>&1
check "--merge of shards of another run (41 starts): refused, nothing written" \
  sh -c "[ $? -eq 1 ] && grep -Eq 'another configuration|does not match' '$TMP/merge2.out' && [ ! -e '$TMP/arr.h5' ]"

# SIGTERM as the first part is committed (strace: at the first rename), so
# some starts are done and kept, the others not: exit 3, then --resume.
if command -v strace >/dev/null 2>&1; then
  strace -f -o /dev/null -e trace=rename,renameat,renameat2 \
    -e inject=rename,renameat,renameat2:signal=TERM:when=1 \
    "$SYNOVIA" fit "$FIT" -q --starts 40 --checkpoint 0.01 -o "$TMP/res.h5" >/dev/null 2>"$TMP/res1.err"
  rc=$?
  sed 's/^/# /' "$TMP/res1.err"
  check "SIGTERM after the first commit: exit 3 (interrupted), no fit file" \
    sh -c "[ $rc -eq 3 ] && [ ! -e '$TMP/res.h5' ] && grep -q 'of 40 starts are done' '$TMP/res1.err'"
  "$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/res.h5" >"$TMP/res2.out" 2>&1
  check "... rerun without --resume: refused, the parts kept" \
    sh -c "[ $? -eq 1 ] && grep -q 'add --resume' '$TMP/res2.out' && [ -d '$TMP/res.h5.parts' ]"
  "$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/res.h5" --resume >"$TMP/res3.out" 2>&1
  check "... --resume finishes it" test $? -eq 0
  check "... into the same fit file, bit for bit" same "$TMP/serial.h5" "$TMP/res.h5"
  check "... nothing left beside it" clean "$TMP/res.h5"
  # SIGTERM as the profiles' parts folder is made (the second mkdir, after the
  # starts' own): the starts are all done, no walk yet: exit 3, both kept
  strace -f -o /dev/null -e trace=mkdir,mkdirat -e inject=mkdir,mkdirat:signal=TERM:when=2 \
    "$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/pres.h5" >/dev/null 2>"$TMP/pres1.err"
  rc=$?
  sed 's/^/# /' "$TMP/pres1.err"
  check "SIGTERM as the profiles begin: exit 3, the starts and the walks' folder kept" \
    sh -c "[ $rc -eq 3 ] && [ ! -e '$TMP/pres.h5' ] && grep -q 'of 4 profile walks are done' '$TMP/pres1.err' && [ -d '$TMP/pres.h5.parts' ] && [ -d '$TMP/pres.h5.profiles.parts' ]"
  "$SYNOVIA" fit "$FIT" -q --starts 40 -o "$TMP/pres.h5" --resume >"$TMP/pres2.out" 2>&1
  check "... --resume finishes it: the same fit file, bit for bit, nothing left beside it" \
    sh -c "[ $? -eq 0 ] && $PYTHON tests/support/h5same.py '$TMP/serial.h5' '$TMP/pres.h5' >/dev/null && [ ! -e '$TMP/pres.h5.parts' ] && [ ! -e '$TMP/pres.h5.profiles.parts' ] && [ ! -e '$TMP/pres.h5.profiles.lock' ]"
else
  ok "# SKIP strace is not installed (./synovia.sh test installs it)"
fi

# The lock: a stand-in holds OUT.lock as a running fit would.
mkfifo "$TMP/hold"
"$PYTHON" -c "
import fcntl, os, sys
f = open(sys.argv[1], 'a+'); fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
f.write('pid %d on host %s\\n' % (os.getpid(), os.uname().nodename)); f.flush()
sys.stdin.read()" "$TMP/lk.h5.lock" <"$TMP/hold" &
holder=$!
exec 9>"$TMP/hold"
n=0
until grep -q "^pid $holder on host" "$TMP/lk.h5.lock" 2>/dev/null || [ $n -ge 600 ]; do
  sleep 0.1; n=$((n + 1))
done
"$SYNOVIA" fit "$FIT" -q --starts 4 -o "$TMP/lk.h5" >"$TMP/lk.out" 2>&1
rc=$?
check "a second fit into a locked output: exit 1 naming the holder, nothing written" \
  sh -c "[ $rc -eq 1 ] && grep -q 'being written by another run: pid $holder' '$TMP/lk.out' && [ ! -e '$TMP/lk.h5' ] && [ ! -e '$TMP/lk.h5.parts' ]"
exec 9>&-
wait $holder
finish
