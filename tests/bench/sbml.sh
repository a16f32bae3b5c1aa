#!/bin/sh
# synovia — SBML import for `make bench` (issue 16): CPU time and peak memory of
# `synovia import` on the largest Level 3 model of the SBML Test Suite (when
# $SYNOVIA_TESTSUITES, or the testsuites folder shared beside the checkout, has it) and on a generated model
# of 1000 reactions (tests/bench/sbml_gen.py); and a BioModels-sized model
# (500 species, 1000 reactions) imported, compiled and simulated: `synovia
# check` (import + compile) and `synovia run` (import + compile + solve), each
# from the .xml. Prints figures; asserts nothing.
# Usage: tests/bench/sbml.sh SYNOVIA [PYTHON]
set -eu
SYN=${1:-build/release/synovia}
PY=${2:-/usr/bin/python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/synovia-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
here=$(dirname "$0")
if [ ! -x /usr/bin/time ]; then
  echo "sbml import: skipped (/usr/bin/time is missing: apt-get install time)"
  exit 0
fi
timed() { # label, command...: the best CPU time of 3 runs, the peak memory
  label=$1; shift
  best=""
  for i in 1 2 3; do
    /usr/bin/time -f '%U %S %M' -o "$TMP/time" "$@" >/dev/null 2>"$TMP/err" ||
      { echo "$label: failed: $(head -c 200 "$TMP/err")"; return 0; }
    t=$(tail -n 1 "$TMP/time" | awk '{ printf "%.3f %.1f", $1 + $2, $3 / 1024 }')
    if [ -z "$best" ] || [ "$(echo "$t $best" | awk '{ print ($1 < $3) }')" = 1 ]; then best=$t; fi
  done
  echo "$best" | awk -v l="$label" '{ printf "%-62s %7.3f s cpu, %6.1f MB peak\n", l, $1, $2 }'
}
SUITES=${SYNOVIA_TESTSUITES:-../shared/testsuites}
[ -d "$SUITES" ] || SUITES=/work/shared/testsuites
if [ -d "$SUITES/sbml-semantic/cases" ]; then
  big=$(ls -S "$SUITES"/sbml-semantic/cases/*/*-sbml-l3v*.xml | head -n 1)
  timed "import, the suite's largest L3 model ($(basename "$big"), $(($(wc -c <"$big") / 1024)) KB)" \
    "$SYN" import "$big" -o "$TMP/big.model" --force
else
  echo "import, the suite's largest model: skipped (no SBML Test Suite in $SUITES)"
fi
"$PY" "$here/sbml_gen.py" 400 1000 >"$TMP/r1000.xml"
timed "import, 1000 reactions, 400 species ($(($(wc -c <"$TMP/r1000.xml") / 1024)) KB)" \
  "$SYN" import "$TMP/r1000.xml" -o "$TMP/r1000.model" --force
"$PY" "$here/sbml_gen.py" 500 1000 >"$TMP/bm.xml"
timed "BioModels-sized (500 species, 1000 reactions): import + compile (check)" \
  "$SYN" check "$TMP/bm.xml"
timed "BioModels-sized: import + compile + run to t = 100 (rtol 1e-8)" \
  "$SYN" run "$TMP/bm.xml" -q -o "$TMP/bm.h5" --t-end 100 --every 1 --rtol 1e-8 --atol 1e-12
timed "the same model from its imported .model: compile + run" \
  sh -c '"$1" import "$2" -o "$3" --force && "$1" run "$3" -q -o "$4" --t-end 100 --every 1 --rtol 1e-8 --atol 1e-12' \
  - "$SYN" "$TMP/bm.xml" "$TMP/bm.model" "$TMP/bm2.h5"
