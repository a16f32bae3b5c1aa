#!/bin/sh
# synovia — SBML import (docs/sbml.md): a model with a growing compartment,
# a function definition, an assignment rule on the time and species in
# amounts and in concentration, run from the .xml and from its imported
# .model, checked against the analytic solution; the bad inputs refused with
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

# a scenario whose model line names the SBML file
cp $D/decay.xml "$TMP/decay.xml"
printf 'scenario "sbml"\nmodel "decay.xml"\nsimulate 0 to 4 every 1\narm "base"\narm "fast"\n  set k = 1\n' \
  >"$TMP/s.scenario"
check "a scenario runs an SBML model" sh -c '"$1" run "$2" -q -o "$3" &&
  "$4" -c "import h5py,sys,math; a=h5py.File(sys.argv[1])[\"arms/fast/A_amount\"][:]; sys.exit(1 if abs(a[-1]-6*math.exp(-4))>1e-5 else 0)" "$3"' - \
  "$SYNOVIA" "$TMP/s.scenario" "$TMP/s.h5" "$PYTHON"
finish
