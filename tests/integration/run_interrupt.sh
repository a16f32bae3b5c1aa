# synovia — `run` stopped by a signal (issue 12 §21): SIGTERM and SIGINT remove
# OUT.h5.tmp and leave an older OUT.h5 as it was; after SIGKILL (which cannot
# be caught) the next run of that output takes the stale tmp over and
# succeeds; while a run writes OUT.h5, a second run of the same output refuses
# (naming the first's pid) instead of truncating the first's tmp file.
. tests/lib/tap.sh
QUICK=tests/cli/decay.model
# An oscillator over 10^9 h: hours of solver steps, so the run is surely
# still solving (its tmp file created, its result not) when it is signalled.
cat >"$TMP/slow.model" <<'EOF'
model "slow"
time unit h
state x = 1
state y = 0
d/dt x = y
d/dt y = -x
EOF
OUT=$TMP/out.h5
SLOW_PID=
trap 'test -n "$SLOW_PID" && kill -KILL "$SLOW_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

# start_slow: a slow run of OUT in the background, SIGINT and SIGTERM at their
# default (a script's background job would otherwise ignore SIGINT); waits
# (at most 20 s) until its tmp file exists. Sets SLOW_PID.
start_slow() {
  env --default-signal=INT,TERM "$SYNOVIA" run "$TMP/slow.model" -q -o "$OUT" \
    --t-end 1e9 --every 1e7 --max-steps 1000000000 2>"$TMP/slow.err" &
  SLOW_PID=$!
  i=0
  while [ ! -e "$OUT.tmp" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
}

"$SYNOVIA" run "$QUICK" -q -o "$OUT" && cksum <"$OUT" >"$TMP/old.sum"
check "an older result to keep" test -s "$TMP/old.sum"

for sig in TERM INT; do
  case $sig in TERM) num=15 ;; INT) num=2 ;; esac
  start_slow
  check "SIG$sig: the run has its tmp file while it solves" test -e "$OUT.tmp"
  kill -$sig "$SLOW_PID"
  wait "$SLOW_PID"
  rc=$?
  SLOW_PID=
  want=$((128 + num))
  check "SIG$sig: the run ends by the signal (exit $rc, want $want)" test "$rc" -eq "$want"
  check "SIG$sig: no out.h5.tmp is left" test ! -e "$OUT.tmp"
  check "SIG$sig: the older result is unchanged" sh -c "cksum <'$OUT' | cmp -s - '$TMP/old.sum'"
  check "SIG$sig: says so on stderr" \
    grep -q "^synovia run: interrupted: '$OUT' was not written (an older file of that name is unchanged)$" \
    "$TMP/slow.err"
done

# A second run of an output being written refuses; the first one's tmp stays.
start_slow
"$SYNOVIA" run "$QUICK" -q -o "$OUT" >"$TMP/second.out" 2>&1
rc=$?
check "a second run of the same output refuses (exit $rc)" test "$rc" -eq 1
check "... naming the process writing it" \
  grep -q "'$OUT' is being written by process $SLOW_PID (it holds '$OUT.tmp')" "$TMP/second.out"
check "... and leaves the first run's tmp file and the older result" \
  sh -c "test -e '$OUT.tmp' && cksum <'$OUT' | cmp -s - '$TMP/old.sum'"

# SIGKILL leaves the tmp file; nobody holds its lock, so the next run takes it over.
kill -KILL "$SLOW_PID"
wait "$SLOW_PID"
SLOW_PID=
check "SIGKILL leaves a stale tmp file" test -e "$OUT.tmp"
check "the older result survives SIGKILL" sh -c "cksum <'$OUT' | cmp -s - '$TMP/old.sum'"
"$SYNOVIA" run "$QUICK" -q -o "$OUT" >"$TMP/next.out" 2>&1
rc=$?
check "the next run of that output succeeds (exit $rc)" test "$rc" -eq 0
check "... and removes the stale tmp file" test ! -e "$OUT.tmp"
check "... writing a complete result" \
  "$PYTHON" -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r'); assert len(f['arms/run/time']) > 1" "$OUT"
finish
