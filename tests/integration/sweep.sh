# synovia — `synovia sweep` and `synovia merge` end to end: the same data
# serially, under mpirun -np 2 and -np 3, and as merged job-array shards;
# failed samples recorded; SIGTERM and SIGKILL followed by --resume; refusals
# (changed configuration, leftover parts, bad shards); located errors.
. tests/lib/tap.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
SW=tests/sweep/growth.sweep
MPIRUN="timeout 300 mpirun --oversubscribe"

expect() {
  name=$1 want=$2 pat=$3; shift 3
  "$@" >"$TMP/out" 2>&1
  got=$?
  if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$TMP/out"; then ok "$name"
  else not_ok "$name (exit $got, want $want; pattern '$pat')"; sed 's/^/# /' "$TMP/out" | head -20; fi
}
same() { "$PYTHON" tests/support/h5same.py "$1" "$2" >"$TMP/same" 2>&1 || { sed 's/^/# /' "$TMP/same"; false; }; }
# Waits (at most 120 s) until the running sweep has committed a part into the
# folder $1: a signal sent then lands mid-way with something finished to keep,
# however fast or loaded the machine is.
wait_part() {
  n=0
  while [ $n -lt 1200 ]; do
    for f in "$1"/*.h5; do [ -e "$f" ] && return 0; done
    sleep 0.1; n=$((n + 1))
  done
  echo "# no part was committed in '$1' within 120 s"; return 1
}
h5py() { "$PYTHON" -c "import h5py, sys, numpy as np; f = h5py.File(sys.argv[1], 'r'); $2" "$1"; }
# Waits (at most 120 s) until no process has $1 on its command line: mpirun may
# return on SIGTERM before its ranks have saved their parts and let go of the
# output's lock, and a --resume started then is rightly refused.
wait_gone() {
  n=0
  while [ $n -lt 600 ]; do
    found=no
    for f in /proc/[0-9]*/cmdline; do
      case $(tr '\0' ' ' 2>/dev/null <"$f") in *"$1"*) found=yes; break ;; esac
    done
    [ $found = no ] && return 0
    sleep 0.2; n=$((n + 1))
  done
  echo "# a process still runs with '$1' after 120 s"; return 1
}

# --- the plan, the serial run, failures recorded ---------------------------------
expect "--dry-run prints the samples and the split" 0 "lhs, seed 3: 60 samples" \
  "$SYNOVIA" sweep $SW --dry-run -o "$TMP/dry.h5"
check "--dry-run writes nothing" test ! -e "$TMP/dry.h5" -a ! -e "$TMP/dry.h5.parts"
expect "a serial sweep" 0 "wrote $TMP/serial.h5" "$SYNOVIA" sweep $SW -o "$TMP/serial.h5"
check "the parts folder is gone after the merge" test ! -e "$TMP/serial.h5.parts"
check "every sample ran; those with r < 0 failed with their reason" h5py "$TMP/serial.h5" "
s = f['status'][:]; r = f['param_value'][:, 0]; why = f['status_reason'][:]
assert len(s) == 60 and (s != 0).all(), s
assert ((s == 1) == (r >= 0)).all(), (s, r)
bad = [x.decode() for x, ok in zip(why, s == 1) if not ok]
assert bad and all('not finite' in x or 'NaN' in x or 'nan' in x for x in bad), bad[:2]
m = f['arms/fast/metric_value'][:]; assert np.isnan(m[s != 1]).all() and np.isfinite(m[s == 1]).all()"
check "the summary counts the failures" grep -q "60 samples: 60 run now .*, 0 kept from before, [1-9][0-9]* failed" "$TMP/out"

# --- the same data whoever runs it -------------------------------------------------
expect "mpirun -np 2" 0 "wrote $TMP/np2.h5" $MPIRUN -np 2 "$SYNOVIA" sweep $SW -o "$TMP/np2.h5" --block 3
check "mpirun -np 2: the data equal the serial run's, bit for bit" same "$TMP/serial.h5" "$TMP/np2.h5"
expect "mpirun -np 3" 0 "wrote" $MPIRUN -np 3 "$SYNOVIA" sweep $SW -o "$TMP/np3.h5" --block 2
check "mpirun -np 3: the same data" same "$TMP/serial.h5" "$TMP/np3.h5"
check "mpirun -np 3: only rank 0 wrote the file (no stray parts)" test ! -e "$TMP/np3.h5.parts"
# A worker's error travels apart from the (small) block messages: rank 0 must
# still print it whole, hint included. Rank 1's first part cannot be created
# (a folder is in the way), under a path long enough that the message is
# far above the 256 bytes a hot-path message may have.
long="$TMP/$(printf 'p%.0s' $(seq 1 200))"
mkdir -p "$long/w.h5.parts/g1-r1-0.h5.tmp"
expect "mpirun: a worker's error reaches rank 0 whole" 1 \
  "error: rank 1: cannot create HDF5 sweep output '$long/w.h5.parts/g1-r1-0.h5.tmp' in directory '$long/w.h5.parts': Is a directory" \
  $MPIRUN -np 2 "$SYNOVIA" sweep $SW -o "$long/w.h5" --block 3
check "... with its hint" grep -q "hint: check that the directory exists and is writable" "$TMP/out"
for i in 0 1 2; do
  "$SYNOVIA" sweep $SW -q -o "$TMP/sh.h5" --task-index $i --task-count 3 >"$TMP/out" 2>&1 || not_ok "shard $i"
done
check "three shards write three task files" test -e "$TMP/sh.task-0000-of-0003.h5" -a -e "$TMP/sh.task-0002-of-0003.h5"
check "a shard holds its own third of the samples" h5py "$TMP/sh.task-0001-of-0003.h5" "
s = f['status'][:]; assert (s[:20] == 0).all() and (s[20:40] != 0).all() and (s[40:] == 0).all(), s
assert f.attrs['task_index'] == 1 and f.attrs['task_count'] == 3"
expect "merge finds the shards beside the output" 0 "merged 3 files: 60 samples" "$SYNOVIA" merge "$TMP/sh.h5"
check "merged shards: the same data as the serial run" same "$TMP/serial.h5" "$TMP/sh.h5"
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=0 \
  "$SYNOVIA" sweep $SW -q -o "$TMP/sl.h5" >"$TMP/out" 2>&1
check "SLURM_ARRAY_TASK_ID/COUNT choose the shard" test -e "$TMP/sl.task-0002-of-0003.h5"
expect "one array task resubmitted alone (--array=5: a count of 1) is refused" 2 \
  "pass --task-index and --task-count" env SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=1 \
  SLURM_ARRAY_TASK_MIN=5 "$SYNOVIA" sweep $SW -q -o "$TMP/sl1.h5"
check "... and writes nothing" test ! -e "$TMP/sl1.task-0000-of-0001.h5"
check "the model_file attribute names the model, not the sweep" h5py "$TMP/serial.h5" "
assert f.attrs['model_file'].endswith(b'growth.model'), f.attrs['model_file']"
expect "merge refuses a missing shard" 1 "task 1 of 3 is missing" \
  "$SYNOVIA" merge -o "$TMP/m1.h5" "$TMP/sh.task-0000-of-0003.h5" "$TMP/sh.task-0002-of-0003.h5"
expect "merge refuses a shard given twice" 1 "twice" \
  "$SYNOVIA" merge -o "$TMP/m2.h5" "$TMP/sh.task-0000-of-0003.h5" "$TMP/sh.task-0000-of-0003.h5" \
  "$TMP/sh.task-0001-of-0003.h5" "$TMP/sh.task-0002-of-0003.h5"
sed 's/seed 3/seed 4/' $SW >"$TMP/other.sweep"; cp tests/sweep/growth.scenario tests/sweep/growth.model "$TMP/"
"$SYNOVIA" sweep "$TMP/other.sweep" -q -o "$TMP/ot.h5" --task-index 1 --task-count 3 >/dev/null 2>&1
expect "merge refuses a shard of another sweep" 1 "configuration" \
  "$SYNOVIA" merge -o "$TMP/m3.h5" "$TMP/sh.task-0000-of-0003.h5" "$TMP/ot.task-0001-of-0003.h5" \
  "$TMP/sh.task-0002-of-0003.h5"
check "refused merges write nothing" test ! -e "$TMP/m1.h5" -a ! -e "$TMP/m2.h5" -a ! -e "$TMP/m3.h5"

# --- solver settings: the command line, the scenario's `solver` line ------------------
expect "--rtol and --linear-solver are taken" 0 "wrote" \
  "$SYNOVIA" sweep $SW -o "$TMP/rtol.h5" --rtol 1e-3 --linear-solver dense
check "another rtol: another configuration hash, other values" h5py "$TMP/rtol.h5" "
g = h5py.File(sys.argv[1].replace('rtol.h5', 'serial.h5'), 'r')
assert f.attrs['config_sha256'] != g.attrs['config_sha256']
a = f['arms/fast/metric_value'][:]; b = g['arms/fast/metric_value'][:]; ok = np.isfinite(b)
assert (np.isfinite(a) == ok).all() and not np.array_equal(a[ok], b[ok]), (a[:3], b[:3])"
sed 's/^arm "slow"/solver rtol 1e-3 linear-solver dense\narm "slow"/' tests/sweep/growth.scenario \
  >"$TMP/solver.scenario"
sed "s|\"growth.scenario\"|\"$TMP/solver.scenario\"|" $SW >"$TMP/solver.sweep"
"$SYNOVIA" sweep "$TMP/solver.sweep" -q -o "$TMP/scn.h5" >"$TMP/out" 2>&1
"$SYNOVIA" sweep "$TMP/solver.sweep" -q -o "$TMP/scn6.h5" --rtol 1e-6 --linear-solver auto >"$TMP/out" 2>&1
check "the scenario's solver line is applied; the command line overrides it" h5py "$TMP/scn.h5" "
same = lambda x, y: np.array_equal(x, y, equal_nan=True)
m = lambda p: h5py.File(sys.argv[1].replace('scn.h5', p), 'r')['arms/fast/metric_value'][:]
assert same(m('scn.h5'), m('rtol.h5')) and not same(m('scn.h5'), m('serial.h5'))
assert same(m('scn6.h5'), m('serial.h5'))"
expect "usage: a bad --rtol" 2 "--rtol must be a number above 0 and below 1 (got '0')" "$SYNOVIA" sweep $SW --rtol 0
expect "usage: a bad --linear-solver" 2 "--linear-solver must be one of auto, dense or klu (got 'lu')" \
  "$SYNOVIA" sweep $SW --linear-solver lu
expect "a bad solver line in the scenario: located" 1 "solver.scenario:4:13: error: rtol must be a number above 0 and below 1 (got '-1')" \
  sh -c "sed -i 's/rtol 1e-3/rtol -1/' '$TMP/solver.scenario' && '$SYNOVIA' sweep '$TMP/solver.sweep' -o '$TMP/bad.h5'"

# --- interruption and resume --------------------------------------------------------
# A longer sweep (the knee model's teaching scenario) so that signals land mid-way:
# 3000 samples, a few seconds with the optimised build (400 ended before a
# second --resume could start on a fresh machine).
cat >"$TMP/long.sweep" <<EOF2
scenario "$PWD/examples/joint_demo.scenario"
design random 3000 seed 9
vary f_slow uniform 0.1 0.4
vary lic_max uniform 0.5 1.5
metrics IL6_auc_28d MSC_day28
EOF2
"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/ref.h5" >"$TMP/out" 2>&1
check "the long sweep runs uninterrupted" test -e "$TMP/ref.h5"
"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/term.h5" --checkpoint 0.1 >"$TMP/term.out" 2>&1 &
pid=$!; wait_part "$TMP/term.h5.parts"; kill -TERM $pid; wait $pid; rc=$?
check "SIGTERM: exit status 3" test $rc -eq 3
check "SIGTERM: says how to go on" grep -q "rerun .*--resume\|with --resume" "$TMP/term.out"
check "SIGTERM: no final file, the finished samples kept in parts" \
  sh -c "test ! -e '$TMP/term.h5' && ls '$TMP/term.h5.parts/'*.h5 >/dev/null 2>&1"
expect "without --resume, leftover parts are refused" 1 "add --resume" \
  "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/term.h5"
expect "--resume finishes the sweep" 0 "kept from before" "$SYNOVIA" sweep "$TMP/long.sweep" -o "$TMP/term.h5" --resume
check "--resume skipped samples" sh -c "! grep -q ', 0 kept from before' '$TMP/out'"
check "after SIGTERM and --resume: the same data as the uninterrupted run" same "$TMP/ref.h5" "$TMP/term.h5"

"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/int.h5" --checkpoint 0.1 >"$TMP/int.out" 2>&1 &
pid=$!; wait_part "$TMP/int.h5.parts"; kill -INT $pid; wait $pid; rc=$?
check "SIGINT (Ctrl-C) also stops with status 3 and keeps the parts" \
  sh -c "test $rc -eq 3 && test ! -e '$TMP/int.h5' && ls '$TMP/int.h5.parts/'*.h5 >/dev/null 2>&1"

"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/kill.h5" --checkpoint 0.1 >/dev/null 2>&1 &
pid=$!; wait_part "$TMP/kill.h5.parts"; kill -KILL $pid; wait $pid 2>/dev/null
check "SIGKILL: no final file, committed parts left" \
  sh -c "test ! -e '$TMP/kill.h5' && ls '$TMP/kill.h5.parts/'*.h5 >/dev/null 2>&1"
cp "$TMP/long.sweep" "$TMP/long.bak"; sed -i 's/seed 9/seed 10/' "$TMP/long.sweep"
expect "--resume with a changed sweep is refused" 1 "another configuration" \
  "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/kill.h5" --resume
cp "$TMP/long.bak" "$TMP/long.sweep"
expect "--resume with another --rtol is refused" 1 "another configuration" \
  "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/kill.h5" --resume --rtol 1e-7
expect "--resume with another per-state --atol is refused" 1 "another configuration" \
  "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/kill.h5" --resume --atol F=1
expect "--resume after SIGKILL" 0 "kept from before" "$SYNOVIA" sweep "$TMP/long.sweep" -o "$TMP/kill.h5" --resume
check "after SIGKILL and --resume: the same data as the uninterrupted run" same "$TMP/ref.h5" "$TMP/kill.h5"
$MPIRUN -np 2 "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/mk.h5" --checkpoint 0.1 >/dev/null 2>&1 &
pid=$!; wait_part "$TMP/mk.h5.parts"; kill -TERM $pid; wait $pid; rc=$?
check "mpirun -np 2 interrupted by SIGTERM: exits non-zero" test $rc -ne 0
wait_gone "$TMP/mk.h5"
expect "... and --resume under mpirun -np 3 finishes it" 0 "kept from before" \
  $MPIRUN -np 3 "$SYNOVIA" sweep "$TMP/long.sweep" -o "$TMP/mk.h5" --resume
check "... with the same data as the uninterrupted run" same "$TMP/ref.h5" "$TMP/mk.h5"

# --- one run of an output at a time (the lock OUT.lock) --------------------------------
# Waits (at most 120 s) until process $2 holds the lock $1 (its line is in it).
wait_lock() {
  n=0
  while [ $n -lt 1200 ]; do
    grep -q "^pid $2 on host" "$1" 2>/dev/null && return 0
    sleep 0.1; n=$((n + 1))
  done
  echo "# process $2 did not take the lock '$1' within 120 s"; return 1
}
"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/lk.h5" --checkpoint 0.1 >"$TMP/lk1.out" 2>&1 &
pid=$!; wait_lock "$TMP/lk.h5.lock" $pid; wait_part "$TMP/lk.h5.parts"
expect "a second sweep of a running output is refused at once, naming its pid and host" 1 \
  "'$TMP/lk.h5' is being written by another run: pid $pid on host $(hostname)" \
  timeout 60 "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/lk.h5"
expect "... so is a --resume" 1 "being written by another run: pid $pid on host" \
  timeout 60 "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/lk.h5" --resume
expect "... and a merge into it" 1 "being written by another run: pid $pid on host" \
  timeout 60 "$SYNOVIA" merge -q -o "$TMP/lk.h5" "$TMP/sh.task-0000-of-0003.h5" \
  "$TMP/sh.task-0001-of-0003.h5" "$TMP/sh.task-0002-of-0003.h5"
wait $pid; rc=$?
check "... while the running sweep completes undisturbed" test $rc -eq 0
check "... with the data of the uninterrupted run" same "$TMP/ref.h5" "$TMP/lk.h5"
check "... and lets go of its lock" test ! -e "$TMP/lk.h5.lock"
# Under mpirun rank 0 takes the lock before any rank looks at the folder. The
# holder here is a stand-in that keeps the lock until its stdin closes.
mkfifo "$TMP/hold"
"$PYTHON" -c "
import fcntl, os, sys
f = open(sys.argv[1], 'a+'); fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
f.write('pid %d on host %s\\n' % (os.getpid(), os.uname().nodename)); f.flush()
sys.stdin.read()" "$TMP/mh.h5.lock" <"$TMP/hold" &
holder=$!; exec 9>"$TMP/hold"; wait_lock "$TMP/mh.h5.lock" $holder
expect "mpirun -np 2 on an output another run holds is refused at once, naming it" 1 \
  "'$TMP/mh.h5' is being written by another run: pid $holder on host" \
  $MPIRUN -np 2 "$SYNOVIA" sweep $SW -q -o "$TMP/mh.h5"
check "... and creates nothing" test ! -e "$TMP/mh.h5" -a ! -e "$TMP/mh.h5.parts"
exec 9>&-; wait $holder
"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/lr.h5" --checkpoint 0.1 >/dev/null 2>&1 &
pid=$!; wait_part "$TMP/lr.h5.parts"; kill -TERM $pid; wait $pid
"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/lr.h5" --checkpoint 0.1 --resume >"$TMP/lr1.out" 2>&1 &
pid=$!; wait_lock "$TMP/lr.h5.lock" $pid
expect "two --resume at once: the second is refused, naming the first" 1 \
  "being written by another run: pid $pid on host $(hostname)" \
  timeout 60 "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/lr.h5" --resume
wait $pid; rc=$?
check "... and the first finishes with the uninterrupted run's data" \
  sh -c "test $rc -eq 0 && $PYTHON tests/support/h5same.py '$TMP/ref.h5' '$TMP/lr.h5' >/dev/null"

# --- a damaged part, or a stranger named like one, is refused by name ---------------------
# A committed part is sealed with a SHA-256 of its bytes. Before, a part with a
# flipped bit was resumed with exit 0 and its damage copied into the final file
# (a letter of the provenance text here), and a FIFO named like a part hung it.
"$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/dm.h5" --checkpoint 0.1 >/dev/null 2>&1 &
pid=$!; wait_part "$TMP/dm.h5.parts"; kill -TERM $pid; wait $pid
cp -r "$TMP/dm.h5.parts" "$TMP/dm.bak"
P0="$TMP/dm.h5.parts/g1-r0-0.h5"
# each case on the parts as the interrupted run left them
reset_dm() { rm -rf "$TMP/dm.h5" "$TMP/dm.h5.parts"; cp -r "$TMP/dm.bak" "$TMP/dm.h5.parts"; }
# flip FILE text|data: a letter of the sweep's text in /provenance/text, or a
# byte in the middle of the first chunk of /param_value (found through h5py;
# HDF5's addresses start after the user block)
flip() {
  "$PYTHON" -c "
import h5py, sys
path, what = sys.argv[1], sys.argv[2]
b = bytearray(open(path, 'rb').read())
if what == 'text':
    at = b.index(b'design random 3000 seed 9') + 3
else:
    f = h5py.File(path, 'r'); ci = f['param_value'].id.get_chunk_info(0)
    at = f.userblock_size + ci.byte_offset + ci.size // 2; f.close()
b[at] ^= 0x20
open(path, 'r+b').write(b)" "$1" "$2"
}
flip "$P0" text
expect "--resume refuses a part with a flipped bit in its provenance text, by name" 1 \
  "'$P0' is damaged (checksum mismatch): delete it and run again with --resume" \
  timeout 60 "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/dm.h5" --resume
check "... writes nothing and keeps the parts" \
  sh -c "test ! -e '$TMP/dm.h5' && test \$(ls '$TMP/dm.h5.parts' | wc -l) -eq \$(ls '$TMP/dm.bak' | wc -l)"
reset_dm; flip "$P0" data
expect "--resume refuses a part with a flipped bit in its data, by name" 1 \
  "'$P0' is damaged (checksum mismatch): delete it and run again with --resume" \
  timeout 60 "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/dm.h5" --resume
reset_dm; mkfifo "$TMP/dm.h5.parts/g1-r0-999.h5"
expect "a FIFO named like a part is refused, not waited on" 1 \
  "'$TMP/dm.h5.parts/g1-r0-999.h5' is named like a sweep part but is not a regular file (a FIFO)" \
  timeout 60 "$SYNOVIA" sweep "$TMP/long.sweep" -q -o "$TMP/dm.h5" --resume
reset_dm; rm -f "$P0"
expect "once the damaged part is deleted, --resume runs its samples again" 0 "kept from before" \
  "$SYNOVIA" sweep "$TMP/long.sweep" -o "$TMP/dm.h5" --resume
check "... with the data of the uninterrupted run" same "$TMP/ref.h5" "$TMP/dm.h5"

# --- rank 0's memory is flat in the number of samples, also with trajectories ----------
# 20 states x 501 times x 2 arms: 160 kB a row. The merge once took a window of
# every row (2 x 160 kB per sample) and HDF5's chunk caches 1 MiB per dataset.
if [ -x /usr/bin/time ]; then
  { echo 'model "Twenty decays"'; echo 'time unit d'; echo 'param k = 0.01 /d "rate" source "test"'
    for i in $(seq 1 20); do echo "state X$i = $i \"amount $i\""; echo "d/dt X$i = -k * X$i"; done
  } >"$TMP/wide.model"
  printf '%s\n' 'model "wide.model"' 'simulate 0 d to 500 d every 1 d' 'arm "a"' 'arm "b"' \
    '  set k = 0.02 /d' 'metric X1_end = at(X1, 500 d)' >"$TMP/wide.scenario"
  for n in 64 512; do
    printf 'scenario "wide.scenario"\ndesign random %s seed 1\nvary k uniform 0.005 0.05 /d\nkeep trajectories\n' \
      $n >"$TMP/wide$n.sweep"
    /usr/bin/time -f %M -o "$TMP/rss$n" "$SYNOVIA" sweep "$TMP/wide$n.sweep" -q -o "$TMP/wide$n.h5" \
      >"$TMP/wide.out" 2>&1 || sed 's/^/# /' "$TMP/wide.out"
  done
  r64=$(tail -n 1 "$TMP/rss64"); r512=$(tail -n 1 "$TMP/rss512")
  echo "# max RSS with trajectories: $r64 KiB at 64 samples, $r512 KiB at 512 (+$(( (r512 - r64) / 1024 )) MiB)"
  check "keep trajectories: memory does not grow with the samples (+448 samples, < 48 MiB more)" \
    test $((r512 - r64)) -lt $((48 * 1024))
else
  ok "keep trajectories: memory does not grow with the samples # SKIP no /usr/bin/time (Debian package time)"
fi

# --- a file's creation costs no memory per sample ------------------------------------
# A shard of 1000 samples of a sweep of 10^5, 8x10^5, 3x10^6: every file (each
# part and the merged file) has the whole sample axis. /sample was written from
# an array of 8 bytes a sample; HDF5's metadata cache (default: up to 32 MiB)
# grew with the global heap of /status_reason's "" fills; and a part under 64 MiB
# of data (8x10^5 here) was built in memory, its /sample twice at commit. Before:
# 6 MB more at 8x10^5, 17 MB more at 3x10^6.
if [ -x /usr/bin/time ]; then
  for n in 100000 800000 3000000; do
    printf 'scenario "%s/tests/sweep/growth.scenario"\ndesign random %s seed 1\nvary r uniform 0.1 2 /d\n' \
      "$PWD" $n >"$TMP/axis$n.sweep"
    /usr/bin/time -f %M -o "$TMP/axisrss$n" "$SYNOVIA" sweep "$TMP/axis$n.sweep" -q -o "$TMP/axis$n.h5" \
      --task-index 0 --task-count $((n / 1000)) >"$TMP/axis.out" 2>&1 || sed 's/^/# /' "$TMP/axis.out"
    rm -rf "$TMP/axis$n".task-* # 80 MB at 3x10^6
  done
  a=$(tail -n 1 "$TMP/axisrss100000" 2>/dev/null); b=$(tail -n 1 "$TMP/axisrss800000" 2>/dev/null)
  c=$(tail -n 1 "$TMP/axisrss3000000" 2>/dev/null)
  echo "# max RSS of a 1000-sample shard: $a KiB of 10^5 samples, $b KiB of 8x10^5, $c KiB of 3x10^6"
  flat=no
  case "$a$b$c" in *[!0-9]* | "") ;; *)
    [ $((b - a)) -lt $((2 * 1024)) ] && [ $((c - a)) -lt $((2 * 1024)) ] && flat=yes ;; esac
  check "files of 8x10^5 and 3x10^6 samples cost no memory per sample (< 2 MiB more than of 10^5)" \
    test "$flat" = yes
else
  ok "files of 8x10^5 and 3x10^6 samples cost no memory per sample # SKIP no /usr/bin/time (Debian package time)"
fi

# --- the progress line: on a terminal only ---------------------------------------------
if command -v script >/dev/null 2>&1; then
  script -qec "'$SYNOVIA' sweep '$TMP/long.sweep' -o '$TMP/tty.h5'" /dev/null >"$TMP/tty.out" 2>&1
  check "on a terminal: a progress line with done/total, rate and ETA" \
    grep -q "3000/3000 samples (100.0%), [0-9.]*/s, ETA [0-9]*s, 0 failed" "$TMP/tty.out"
  "$SYNOVIA" sweep "$TMP/long.sweep" -o "$TMP/notty.h5" >"$TMP/notty.out" 2>&1
  check "not on a terminal: no progress line" sh -c "! grep -q 'ETA' '$TMP/notty.out'"
else
  ok "on a terminal: a progress line # SKIP no script(1) to give the sweep a terminal (Debian package bsdutils)"
fi

# --- bad input: one located message, exit 1, nothing written --------------------------
bad() {  # name, pattern, sweep text
  printf '%s\n' "$3" >"$TMP/bad.sweep"
  expect "$1" 1 "$2" "$SYNOVIA" sweep "$TMP/bad.sweep" -o "$TMP/bad.h5"
}
SC="scenario \"$PWD/tests/sweep/growth.scenario\""
bad "unknown parameter: located, did you mean" "bad.sweep:3:6: error: .*'rr'.*did you mean 'r'" \
  "$SC
design random 5
vary rr uniform 0 1"
bad "unknown metric: located, with the list" "bad.sweep:4:9: error: the scenario has no metric 'N_ed' (did you mean 'N_end'?)" \
  "$SC
design random 5
vary r uniform 0 1
metrics N_ed"
bad "unknown arm" "bad.sweep:4:6: error: " "$SC
design random 5
vary r uniform 0 1
arms \"slw\""
bad "a missing scenario" "bad.sweep:1:10: error: cannot read the scenario" "scenario \"nowhere.scenario\"
design random 5
vary r uniform 0 1"
bad "a bad distribution (loguniform from 0)" "bad.sweep:3:8: error: " "$SC
design random 5
vary K loguniform 0 1"
printf 'r,K\n0.5,3\n0.7\n' >"$TMP/d.csv"
bad "a design file with a short row" "d.csv:3: 1 values for 2 columns" "$SC
design file \"$TMP/d.csv\""
printf 'r,Kx\n0.5,3\n' >"$TMP/d2.csv"
bad "a design file naming an unknown parameter" "d2.csv:1: column 'Kx'" "$SC
design file \"$TMP/d2.csv\""
check "nothing written after bad sweeps" test ! -e "$TMP/bad.h5" -a ! -e "$TMP/bad.h5.parts"
printf 'r,K\n0.5,3\n1.5,20\n-1,4\n' >"$TMP/d3.csv"
printf '%s\ndesign file "%s"\n' "$SC" "$TMP/d3.csv" >"$TMP/file.sweep"
expect "a design file runs its rows" 0 "3 samples: 3 run now" "$SYNOVIA" sweep "$TMP/file.sweep" -o "$TMP/file.h5"
check "design file: the values and a failure" h5py "$TMP/file.h5" "
assert (f['param_value'][:] == [[0.5, 3], [1.5, 20], [-1, 4]]).all(); assert list(f['status'][:]) == [1, 1, -2], f['status'][:]"
expect "usage: --task-index without --task-count" 2 "go together" "$SYNOVIA" sweep $SW --task-index 1
expect "usage: task index out of range" 2 "outside the 3 tasks" "$SYNOVIA" sweep $SW --task-index 3 --task-count 3
expect "usage: a bad --checkpoint" 2 "--checkpoint must be a positive number of seconds (got 'soon')" \
  "$SYNOVIA" sweep $SW --checkpoint soon
expect "usage: --block 0" 2 "--block must be a whole number of at least 1 (got '0')" "$SYNOVIA" sweep $SW --block 0
expect "usage: --bootstrap 1" 2 "--bootstrap must be 0 (no intervals) or at least 2" "$SYNOVIA" sweep $SW --bootstrap 1
expect "usage: an unknown option" 2 "unknown option '--seed'" "$SYNOVIA" sweep $SW --seed 3
expect "usage: two sweep files" 2 "one sweep file at a time" "$SYNOVIA" sweep $SW $SW
expect "usage: no sweep file" 2 "no sweep file given" "$SYNOVIA" sweep
expect "merge usage: no output" 2 "no output file given (-o)" "$SYNOVIA" merge "$TMP/a.h5" "$TMP/b.h5"
expect "merge usage: an unknown option" 2 "unknown option '--force'" "$SYNOVIA" merge --force "$TMP/sh.h5"
expect "merge: no shards beside the output" 1 "no shard files" "$SYNOVIA" merge "$TMP/none.h5"
expect "merge: a part that is not a sweep file" 1 "is not an HDF5 file" \
  "$SYNOVIA" merge -o "$TMP/m4.h5" "$TMP/d.csv"
"$SYNOVIA" sweep tests/sweep/ishigami.sweep -q -o "$TMP/nb.h5" --bootstrap 0 >"$TMP/out" 2>&1
check "--bootstrap 0: Sobol indices without intervals" h5py "$TMP/nb.h5" "
a = f['arms/f']; assert np.isfinite(a['sobol_S1'][:]).all() and np.isnan(a['sobol_S1_conf'][:]).all()"
expect "check a sweep file" 0 "growth.sweep: ok (lhs design, 60 samples, 2 parameters, 2 arms, 2 metrics" \
  "$SYNOVIA" check $SW
expect "check a bad sweep file: located" 1 "d2.csv:1: column 'Kx'" "$SYNOVIA" check "$TMP/bad.sweep"
expect "sweep --help" 0 "usage: synovia sweep" "$SYNOVIA" sweep --help
expect "merge --help" 0 "usage: synovia merge" "$SYNOVIA" merge --help
finish
