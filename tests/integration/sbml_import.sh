#!/bin/sh
# synovia — SBML import (docs/sbml.md): a model with a growing compartment,
# a function definition, an assignment rule on the time and species in
# amounts and in concentration, run from the .xml and from its imported
# .model, checked against the analytic solution; events (a parameter and a
# compartment changed, triggers that are no comparison, the time unit); the
# bad inputs refused with
# one located message, exit 1, nothing written; import's overwrite rule; an
# SBML model named by a scenario.
. tests/lib/tap.sh
D=tests/data/sbml

# refuse "name" file expected-text  (exact stderr, exit 1, no output file)
refuse() {
  name=$1 file=$2 want=$3
  rm -f "$TMP/out.model"
  "$SYNOVIA" import "$file" -o "$TMP/out.model" >"$TMP/stdout" 2>"$TMP/stderr"
  rc=$?
  printf '%s\n' "$want" >"$TMP/want"
  if [ $rc -eq 1 ] && cmp -s "$TMP/want" "$TMP/stderr" && [ ! -e "$TMP/out.model" ] &&
     [ ! -e "$TMP/out.model.tmp" ] && [ ! -s "$TMP/stdout" ]; then ok "$name"
  else not_ok "$name (exit $rc)"; diff "$TMP/want" "$TMP/stderr" | sed 's/^/# /'; fi
}

refuse "not XML: located, exit 1, nothing written" $D/not_xml.xml \
"$D/not_xml.xml:1:1: error: not a valid SBML file: Empty XML content
  this is not XML at all
  ^
  hint: libSBML: Main XML content is empty."
refuse "XML but not SBML: exit 1, nothing written" $D/not_sbml.xml \
"$D/not_sbml.xml: error: not a valid SBML file: Document does not conform to the SBML XML schema
  hint: libSBML: An SBML XML document must conform to the XML Schema for the corresponding SBML Level, Version and Release."
refuse "an algebraic rule: refused at its line" $D/algebraic.xml \
"$D/algebraic.xml:28:42: error: algebraic rule constraint1 is not supported (no DAEs)
        <algebraicRule metaid=\"constraint1\">
                                           ^"
refuse "a fast reaction: refused at its line" $D/fast.xml \
"$D/fast.xml:33:63: error: fast reaction 'conversion' is not supported
        <reaction id=\"conversion\" reversible=\"false\" fast=\"true\">
                                                                ^"
refuse "the comp package: refused at the sbml element" $D/comp.xml \
"$D/comp.xml:2:171: error: the SBML package 'comp' is not supported
  <sbml xmlns=\"http://www.sbml.org/sbml/level3/version1/core\" xmlns:comp=\"http://www.sbml.org/sbml/level3/version1/comp/version1\" level=\"3\" version=\"1\" comp:required=\"true\">
                                                                                                                                                                            ^
  hint: synovia imports SBML core (Levels 2 and 3) only"
refuse "a missing file" $D/missing.xml \
"error: cannot open '$D/missing.xml': No such file or directory"

# run the .xml and its imported .model; both against the analytic solution:
# nA = 6 exp(-k t), B = 12 (1 - exp(-k t)), cell = 2 exp(g t), [A] = nA / cell
check "import writes the model" "$SYNOVIA" import $D/decay.xml -o "$TMP/decay.model"
check "the model names its source and its SHA-256" sh -c '
  grep -qx "# imported by synovia import from $1" "$2" &&
  grep -qx "# SHA-256 $(sha256sum "$1" | cut -c1-64)" "$2"' - $D/decay.xml "$TMP/decay.model"
check "names and units are descriptions" grep -q '^param k = 0.5  "rate constant \[per_second\]"$' "$TMP/decay.model"
opts="--t-end 4 --every 0.5 --rtol 1e-10 --atol 1e-12 -q"
check "run the .xml" "$SYNOVIA" run $D/decay.xml -o "$TMP/x.h5" $opts
check "run the imported .model" "$SYNOVIA" run "$TMP/decay.model" -o "$TMP/m.h5" $opts
check "check takes the .xml" sh -c '"$1" check "$2" | grep -q "decay.xml: ok (3 states"' - "$SYNOVIA" $D/decay.xml
for f in x m; do
  check "$f: amounts, concentrations, the compartment and the time agree with the analytic solution" \
    "$PYTHON" - "$TMP/$f.h5" <<'PY'
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["arms/run"]
t = a["time"][:]
nA, cell = 6 * np.exp(-0.5 * t), 2 * np.exp(0.1 * t)
want = {"A_amount": nA, "A": nA / cell, "B": 12 * (1 - np.exp(-0.5 * t)),
        "B_conc": 12 * (1 - np.exp(-0.5 * t)) / cell, "cell": cell, "time_": t}
bad = [k for k, v in want.items() if not np.allclose(a[k][:], v, rtol=1e-7, atol=1e-9)]
sys.exit(1 if bad or len(t) != 9 else 0)
PY
done

# import's output: not over an existing file unless --force; '-' is stdout
echo "keep" >"$TMP/keep.model"
"$SYNOVIA" import $D/decay.xml -o "$TMP/keep.model" 2>"$TMP/err"
check "an existing output is refused (exit 1) and left alone" sh -c '[ $? -eq 0 ] || true;
  grep -qx keep "$1" && grep -q "exists" "$2"' - "$TMP/keep.model" "$TMP/err"
check "--force replaces it" sh -c '"$1" import "$2" -o "$3" --force && grep -q "^state cell = 2" "$3"' - \
  "$SYNOVIA" $D/decay.xml "$TMP/keep.model"
check "-o - writes the model to standard output" sh -c '"$1" import "$2" -o - | grep -q "^d/dt A_amount = -conversion$"' - \
  "$SYNOVIA" $D/decay.xml
"$SYNOVIA" import $D/decay.xml >/dev/null 2>&1
check "no -o: a usage error (exit 2)" test $? -eq 2
check "import --help" sh -c '"$1" import --help | grep -q "^usage: synovia import FILE.xml -o FILE.model"' - "$SYNOVIA"

# events (events.xml): a parameter and a compartment an event changes are
# states with d/dt 0; a trigger calling a function is inlined as a condition,
# a trigger that is a number x is (x) != 0; resizing V keeps the amount of S
# (in concentration, with a rate rule); the time unit is the hour. Analytic:
# t < 1: k = 1, V = 2, S = 1 + t/2, m = 0; t > 1: k = 3, V = 4,
# S = (1.5 * 2) / 4 + (t - 1)/2 (the amount kept), m = 7 (a cascade at t = 1).
"$SYNOVIA" import $D/events.xml -o - >"$TMP/ev.model" 2>"$TMP/ev.err"
check "events: the import declares the clock (timeUnits 3600 s): time unit h" grep -qx 'time unit h' "$TMP/ev.model"
check "events: a parameter an event changes is a state with d/dt 0" \
  sh -c 'grep -qx "state k = 1" "$1" && grep -qx "d/dt k = 0" "$1"' - "$TMP/ev.model"
check "events: a trigger that is a number becomes a comparison" grep -qx 'event switch when (k - 1) != 0 {' "$TMP/ev.model"
check "events: resizing V rescales the concentration S" grep -qx '  S = S \* V / (4)' "$TMP/ev.model"
check "events: run the .xml" "$SYNOVIA" run $D/events.xml -o "$TMP/ev.h5" --t-end 1.8 --every 0.3 --rtol 1e-10 -q
check "events: k, V, S, m agree with the analytic solution" "$PYTHON" - "$TMP/ev.h5" <<'PY'
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["arms/run"]
t = a["time"][:]
after = t > 1
want = {"k": np.where(after, 3, 1), "V": np.where(after, 4, 2), "m": np.where(after, 7, 0),
        "S": np.where(after, 0.75 + 0.5 * (t - 1), 1 + 0.5 * t)}
bad = [k for k, v in want.items() if not np.allclose(a[k][:], v, rtol=1e-8, atol=1e-10)]
sys.exit(1 if bad or len(t) != 7 else 0)
PY

# a scenario whose model line names the SBML file
cp $D/decay.xml "$TMP/decay.xml"
printf 'scenario "sbml"\nmodel "decay.xml"\nsimulate 0 to 4 every 1\narm "base"\narm "fast"\n  set k = 1\n' \
  >"$TMP/s.scenario"
check "a scenario runs an SBML model" sh -c '"$1" run "$2" -q -o "$3" &&
  "$4" -c "import h5py,sys,math; a=h5py.File(sys.argv[1])[\"arms/fast/A_amount\"][:]; sys.exit(1 if abs(a[-1]-6*math.exp(-4))>1e-5 else 0)" "$3"' - \
  "$SYNOVIA" "$TMP/s.scenario" "$TMP/s.h5" "$PYTHON"
finish
