#!/bin/sh
# synovia — the test runner behind `make test`.
#
# Every test program speaks TAP ("ok N - name" / "not ok N - name"):
#   build/test/tests/test_*    cmocka unit tests (CMOCKA_MESSAGE_OUTPUT=TAP)
#   build/asan/tests/test_*    the same under AddressSanitizer + UBSan
#   tests/integration/*.sh     CLI, language tables, docs, references, fuzz corpus
#   tests/python/*.py          HDF5 files read back with h5py and xarray
# A program that exits non-zero without reporting a failure counts as one
# failure, so a crash is never silent. TAP directives are honoured:
#   "ok … # SKIP why" or "not ok … # SKIP why" (and a plan "1..0 # SKIP why")
#   is a skipped check: counted as skipped, never as passed, and listed with
#   its reason before the summary;
#   "not ok … # TODO" is a known gap (a calibration target not met,
#   documented in docs/) — listed, not counted as a failure.
# Ends with "N passed, N failed, N skipped" as its last line.
set -u
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
export BUILD PYTHON LC_ALL=C
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

passed=0
failed=0
skipped=0
todo=0
logdir="$BUILD/test-logs"
mkdir -p "$logdir"
skiplist="$logdir/skipped.txt"
: >"$skiplist"
failures=""

# classify LOG LABEL: prints "passed failed todo skipped" for one TAP log and
# appends each skipped check ("LABEL: the TAP line") to $skiplist.
classify() {
  awk -v label="$2" -v list="$skiplist" '
    function directive(line, word) {   # TAP: "# SKIP…" / "# TODO…", any case
      return toupper(line) ~ ("#[ \t]*" word)
    }
    /^ok([ \t]|$)/ {
      if (directive($0, "SKIP")) { s++; print label ": " $0 >>list } else p++
      next
    }
    /^not ok([ \t]|$)/ {
      if (directive($0, "SKIP")) { s++; print label ": " $0 >>list }
      else if (directive($0, "TODO")) t++
      else f++
      next
    }
    /^1\.\.0([ \t]|$)/ && directive($0, "SKIP") { s++; print label ": " $0 >>list }
    END { printf "%d %d %d %d\n", p, f, t, s }
  ' "$1"
}

# Each failure with the diagnostic lines ("# …") its test printed right after
# it (at most 12 a failure, 80 in all): the summary of a CI run is often all
# one sees of it, and a failure that only happens there must explain itself.
failed_with_diagnostics() {  # log
  awk '/^not ok([ \t]|$)/ && toupper($0) !~ /#[ \t]*(SKIP|TODO)/ { show = 1; k = 0; print; next }
       show && /^#/ && k < 12 { k++; print "  " $0; next }
       { show = 0 }' "$1" | head -80 | sed 's/^/    /'
}

run_one() {  # label, command...
  label=$1; shift
  log="$logdir/$(echo "$label" | tr '/ ' '__').log"
  "$@" >"$log" 2>&1
  rc=$?
  set -- $(classify "$log" "$label")
  p=$1 f=$2 t=$3 s=$4
  todo=$((todo + t))
  skipped=$((skipped + s))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - $label exited with status $rc" >>"$log"
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  extra=""
  [ "$s" -gt 0 ] && extra="  $(printf '%3d skipped' "$s")"
  if [ "$f" -gt 0 ]; then
    failures="$failures $label"
    printf '%-48s %4d passed  %3d FAILED%s  (%s)\n' "$label" "$p" "$f" "$extra" "$log"
    failed_with_diagnostics "$log"
  elif [ "$t" -gt 0 ]; then
    printf '%-48s %4d passed  %3d known gaps (TODO)%s\n' "$label" "$p" "$t" "$extra"
    grep '^not ok .*# TODO' "$log" | head -20 | sed 's/^/    /'
  else
    printf '%-48s %4d passed%s\n' "$label" "$p" "$extra"
  fi
}

for t in "$BUILD"/test/tests/test_*; do
  [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in "$BUILD"/asan/tests/test_*; do
  [ -x "$t" ] && run_one "asan/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
  [ -f "$t" ] && run_one "integration/$(basename "$t" .sh)" sh "$t"
done
for t in tests/python/test_*.py; do
  [ -f "$t" ] && run_one "python/$(basename "$t" .py)" "$PYTHON" "$t"
done

echo
[ "$todo" -gt 0 ] && echo "$todo known gaps (TAP TODO), listed above"
if [ "$skipped" -gt 0 ]; then
  echo "skipped checks (TAP SKIP), with their reasons:"
  sed 's/^/  /' "$skiplist"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
