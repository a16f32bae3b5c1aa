# synovia — synovia export --sbml: what it writes and what it refuses (issue 16, point 3).
# Every refusal is one message, a non-zero exit (1 for bad input, 2 for bad usage) and no
# file written (an existing output left as it was). What it writes is read back with
# libSBML (python3-sbml5) where that is installed; the numerical checks (an independent
# simulation of every export) are in tests/python/test_sbml_export.py.
. tests/lib/tap.sh
S=$(cd "$(dirname "$SYNOVIA")" && pwd)/$(basename "$SYNOVIA")
W=$TMP/w
mkdir -p "$W"
cp -r examples models tests "$W/" 2>/dev/null
cd "$W" || exit 1

# refused NAME STATUS PATTERN ARGS...: synovia export ARGS exits STATUS saying PATTERN
refused() {
  name=$1 want=$2 pat=$3; shift 3
  timeout 20 "$S" export "$@" >"$TMP/out" 2>&1
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -q -- "$pat" "$TMP/out"; then
    ok "$name"
  else
    not_ok "$name (exit $rc, want $want and '$pat')"
    sed 's/^/# /' "$TMP/out" | head -5
  fi
}

# ---- what it writes ----------------------------------------------------------------------
"$S" export --sbml models/two_knees.model -o tk.xml 2>"$TMP/err"
check "a model exports (exit 0, says what it wrote)" grep -q "wrote tk.xml" "$TMP/err"
check "the document is SBML Level 3 Version 2" grep -q 'level="3" version="2"' tk.xml
check "joints are unrolled: knee_R.MSC has id knee_R__MSC and keeps its name" \
  grep -q 'id="knee_R__MSC" name="knee_R.MSC"' tk.xml
"$S" export --sbml models/two_knees.model -o - >stdout.xml 2>"$TMP/err"
check "-o - writes the same document to standard output" cmp -s stdout.xml tk.xml
"$S" export --sbml examples/repeated_ia.scenario --arm "IA every 4 weeks x3" -o arm.xml \
  2>"$TMP/err"
check "a scenario's arm exports" test -s arm.xml
check "its three doses are three events" test "$(grep -c '<event ' arm.xml)" -eq 3
check "its note names the arm and the steady baseline" \
  grep -q "Arm .apos;IA every 4 weeks x3.apos; of the scenario .*baseline steady" arm.xml
"$S" export --sbml tests/data/events/timed.model -o ev.xml 2>"$TMP/err"
check "a model's seven events are seven SBML events" test "$(grep -c '<event ' ev.xml)" -eq 7
check "transient and initially false: persistent and initialValue false" \
  grep -q '<trigger initialValue="false" persistent="false">' ev.xml
check "a delay is the event's delay; k2, which an event sets, is not constant" \
  sh -c "grep -q '<delay>' ev.xml && grep -q 'id=\"k2\" name=\"k2\" value=\"0.2\" [^>]*constant=\"false\"' ev.xml"
if "$PYTHON" -c 'import libsbml' 2>/dev/null; then
  for f in tk.xml arm.xml ev.xml; do
    n=$("$PYTHON" -c '
import sys, libsbml
d = libsbml.readSBMLFromFile(sys.argv[1]); d.checkConsistency()
print(sum(d.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR for i in range(d.getNumErrors())))
' "$f")
    check "$f: no error in libSBML's consistency checks" test "$n" = 0
  done
else
  ok "libSBML's checks # SKIP python3-sbml5 is not installed"
fi

# ---- what it refuses ---------------------------------------------------------------------
echo "keep me" >keep.xml
refused "an unknown arm: named, with the arms to choose from" 1 "unknown arm 'IA twice'" \
  --sbml examples/repeated_ia.scenario --arm "IA twice" -o keep.xml
check "... and the existing output is untouched" grep -q "keep me" keep.xml
refused "a scenario without --arm" 2 "say which arm to export with --arm NAME" \
  --sbml examples/repeated_ia.scenario -o new.xml
refused "--arm with a model" 2 "--arm needs a scenario" \
  --sbml models/logistic.model --arm x -o new.xml
refused "no -o" 2 "where to? give -o FILE.xml" --sbml models/logistic.model
refused "no model" 2 "which model? give --sbml MODEL" -o new.xml --sbml ""
refused "an unknown option" 2 "unknown option '--level'" --sbml models/logistic.model \
  --level 2 -o new.xml
printf 'param k = 1 /d\nstate x = 1\nd/dt x = -k * x\n' >noclock.model
refused "a model that does not load: its located error" 1 "noclock.model:1:" \
  --sbml noclock.model -o new.xml
mkdir -p adir
refused "an output that is a folder" 1 "adir" --sbml models/logistic.model -o adir
refused "an output in a folder that does not exist" 1 "nowhere/x.xml" \
  --sbml models/logistic.model -o nowhere/x.xml
cp models/logistic.model self.model
refused "the model itself as the output" 1 "self.model" --sbml self.model -o self.model
check "... and the model is untouched" cmp -s self.model models/logistic.model
refused "a missing model file" 1 "cannot open 'absent.model'" --sbml absent.model -o new.xml
check "no refusal wrote a file" test ! -e new.xml -a ! -e nowhere -a ! -e new.xml.tmp
finish
