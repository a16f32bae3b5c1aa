# synovia — the test runner itself (tests/run.sh, behind `make test`): on a
# copy of it in a scratch tree whose "integration tests" are small fake TAP
# programs, it counts passes, failures, known gaps and skips right — a skipped
# check ("ok … # SKIP why", "not ok … # SKIP why", a plan "1..0 # SKIP why")
# is counted as skipped, never as passed, and listed with its reason — and
# ends with "N passed, N failed, N skipped" as its last line. And `make test`
# itself prints nothing after the runner (make used to delete intermediate
# objects and print the rm after the summary).
. tests/lib/tap.sh

tree=$TMP/tree
mkdir -p "$tree/tests/integration"
cp tests/run.sh "$tree/tests/run.sh"
fake() { # name, lines of TAP..., then the exit status as the last argument
  f=$tree/tests/integration/$1.sh; shift
  : >"$f"
  while [ $# -gt 1 ]; do printf 'echo "%s"\n' "$1" >>"$f"; shift; done
  printf 'exit %s\n' "$1" >>"$f"
}
fake a_pass 'ok 1 - one' 'ok 2 - two' '1..2' 0
fake b_skips 'ok 1 - three' 'ok 2 - needs chromium # SKIP no chromium here' \
  'not ok 3 - needs Slurm # skip slurmctld does not start' '1..3' 0
fake c_plan_skip '1..0 # SKIP no R on this machine' 0
fake d_todo 'ok 1 - four' 'not ok 2 - a calibration target # TODO documented gap' '1..2' 0
fake e_fail 'ok 1 - five' 'not ok 2 - broken' '1..2' 1
fake f_crash 'ok 1 - six' 3

(cd "$tree" && BUILD=build sh tests/run.sh) >"$TMP/out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/out"
last=$(tail -n 1 "$TMP/out")
check "the last line is the summary with the skips counted apart" \
  test "$last" = "6 passed, 2 failed, 3 skipped"
check "the runner fails when a check fails" test $rc -ne 0
check "each skip is listed with its reason" sh -c '
  grep -q "integration/b_skips: ok 2 - needs chromium # SKIP no chromium here" "$1" &&
  grep -q "integration/b_skips: not ok 3 - needs Slurm # skip slurmctld does not start" "$1" &&
  grep -q "integration/c_plan_skip: 1..0 # SKIP no R on this machine" "$1"' - "$TMP/out"
check "the skips are listed before the summary" \
  sh -c 'n=$(grep -n "SKIP no R on this machine" "$1" | cut -d: -f1); [ "${n:-999999}" -lt "$(wc -l <"$1")" ]' - "$TMP/out"
check "a known gap (TODO) is listed, not failed" grep -q "not ok 2 - a calibration target # TODO" "$TMP/out"
check "a crash without a failed check is one failure" \
  grep -q "not ok - integration/f_crash exited with status 3" "$tree/build/test-logs/integration_f_crash.log"

rm "$tree/tests/integration/e_fail.sh" "$tree/tests/integration/f_crash.sh"
(cd "$tree" && BUILD=build sh tests/run.sh) >"$TMP/out2" 2>&1
rc=$?
check "without failures: exit 0 and '4 passed, 0 failed, 3 skipped' last" \
  test $rc -eq 0 -a "$(tail -n 1 "$TMP/out2")" = "4 passed, 0 failed, 3 skipped"

# `make test` on an empty build folder: the runner is the last thing make runs
# or prints (make -n shows the commands without running them).
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u V make -n test BUILD="$TMP/build-n" >"$TMP/make-n" 2>&1
check "make test: nothing after the runner (no rm of intermediate files)" \
  sh -c 'tail -n 1 "$1" | grep -q "tests/run.sh\$"' - "$TMP/make-n"
tail -n 3 "$TMP/make-n" | cut -c1-200 | sed 's/^/# /'
finish
