# synovia — the command-line program: help, version, usage errors, a full run
# read back with h5py, tolerances and overrides, and the promise that a failed
# run never damages an existing result.
. tests/lib/tap.sh
M=tests/cli/decay.model

# expect "name" status pattern command...  (exit status and a pattern in stdout+stderr)
expect() {
  name=$1 want=$2 pat=$3; shift 3
  "$@" >"$TMP/out" 2>&1
  got=$?
  if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$TMP/out"; then ok "$name"
  else not_ok "$name (exit $got, want $want; pattern '$pat')"; sed 's/^/# /' "$TMP/out" | head -20; fi
}
h5py() { "$PYTHON" -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r'); $2" "$3"; }

expect "--version" 0 "^synovia [0-9]" "$SYNOVIA" --version
expect "--help" 0 "usage: synovia <command>" "$SYNOVIA" --help
expect "no command shows usage, exit 2" 2 "usage: synovia" "$SYNOVIA"
expect "--help: run alone is the demonstration" 0 \
  "^  run             the built-in demonstration (knee OA: IA vs IV MSCs vs none)$" "$SYNOVIA" --help
expect "--help: run takes a scenario" 0 \
  "^  run SCENARIO    run every arm of a .scenario and compare their metrics$" "$SYNOVIA" --help
expect "run --help: '-o -' is refused, and why" 0 "to a pipe, so '-' (standard output) is refused" \
  "$SYNOVIA" run --help
mkdir -p "$TMP/dash"
abs_synovia=$(cd "$(dirname "$SYNOVIA")" && pwd)/$(basename "$SYNOVIA")
(cd "$TMP/dash" && "$abs_synovia" run "$(cd "$OLDPWD" && pwd)/$M" -o -) >"$TMP/out" 2>&1
rc=$?
check "run -o -: exit 2, one clear message, no file named '-'" sh -c "test $rc -eq 2 && \
  grep -qx 'synovia: error: -o -: an HDF5 file cannot be written to standard output (it is written in place, not in order); give a file name, e.g. -o run.h5' '$TMP/out' \
  && test ! -e '$TMP/dash/-' && test ! -e '$TMP/dash/-.tmp'"
top_abs=$(pwd)
for c in "sweep $top_abs/tests/sweep/ishigami.sweep -o - sweep.h5" "merge -o - a.h5 b.h5 merged.h5"; do
  set -- $c
  cmd=$1 example=$(eval echo \${$#})
  (cd "$TMP/dash" && "$abs_synovia" $(echo "$c" | sed 's/ [^ ]*$//')) >"$TMP/out" 2>&1
  rc=$?
  check "$cmd -o -: exit 2, one clear message, no file named '-'" sh -c "test $rc -eq 2 && \
    grep -qx 'synovia: error: -o -: an HDF5 file cannot be written to standard output (it is written in place, not in order); give a file name, e.g. -o $example' '$TMP/out' \
    && test ! -e '$TMP/dash/-' && test ! -e '$TMP/dash/-.parts'"
done
"$SYNOVIA" run $M -q -o "$TMP/dash.h5"
(cd "$TMP/dash" && "$abs_synovia" report "$TMP/dash.h5" --no-figures -o -) >"$TMP/page" 2>"$TMP/err"
rc=$?
check "report -o -: the page on standard output (HTML, nothing else), no file named '-'" \
  sh -c "test $rc -eq 0 && head -n 1 '$TMP/page' | grep -qx '<!DOCTYPE html>' && tail -n 1 '$TMP/page' | grep -qx '</html>' \
  && test ! -s '$TMP/err' && test ! -e '$TMP/dash/-'"
(cd "$TMP/dash" && "$abs_synovia" export "$TMP/dash.h5" --csv -) >"$TMP/out" 2>&1
rc=$?
check "export --csv -: exit 2, one clear message, no folder named '-'" sh -c "test $rc -eq 2 && \
  grep -qx 'synovia: error: --csv -: the export is several CSV files, so it needs a folder, not standard output; give a folder name, e.g. --csv results-csv' '$TMP/out' \
  && test ! -e '$TMP/dash/-'"
for c in run check info; do
  expect "$c --help" 0 "usage: synovia $c" "$SYNOVIA" $c --help
  expect "help $c" 0 "usage: synovia $c" "$SYNOVIA" help $c
done
expect "unknown command" 2 "unknown command 'rn'" "$SYNOVIA" rn
expect "run with options but no model" 2 "no model file given" "$SYNOVIA" run -q
expect "run with an unknown option" 2 "unknown option '--tend'" "$SYNOVIA" run $M --tend 3
expect "option without its value" 2 "option '--rtol' needs a value" "$SYNOVIA" run $M --rtol
# Every bad number for a solver option is a usage error (exit 2) with one
# message that gives the valid range, whichever side it is out of, and
# whatever the spelling (hex, inf, nan are not numbers of the language).
while IFS='|' read -r opt value want; do
  "$SYNOVIA" run $M "$opt" "$value" -o "$TMP/a.h5" >"$TMP/out" 2>&1
  rc=$?
  if [ $rc -eq 2 ] && [ "$(head -n 1 "$TMP/out")" = "synovia: error: $opt $want (got '$value')" ]; then
    ok "$opt $value: exit 2, the range in the message"
  else not_ok "$opt $value: exit 2, the range in the message (exit $rc)"; sed 's/^/# /' "$TMP/out" | head -5; fi
done <<'EOF_TABLE'
--rtol|-1|must be a number above 0 and below 1
--rtol|0|must be a number above 0 and below 1
--rtol|10|must be a number above 0 and below 1
--rtol|1|must be a number above 0 and below 1
--rtol|0x1p-10|must be a number above 0 and below 1
--rtol|nan|must be a number above 0 and below 1
--rtol|inf|must be a number above 0 and below 1
--atol|0|must be a positive number
--atol|-1e-9|must be a positive number
--atol|1e999|must be a positive number
--atol|infinity|must be a positive number
--atol|0x10|must be a positive number
--max-steps|2.5|must be a whole number from 1 to 10^15
--max-steps|0|must be a whole number from 1 to 10^15
--max-steps|1e20|must be a whole number from 1 to 10^15
--max-steps|0x10|must be a whole number from 1 to 10^15
EOF_TABLE
expect "bad linear solver" 2 "--linear-solver must be one of auto, dense or klu (got 'lu')" "$SYNOVIA" run $M --linear-solver lu -o "$TMP/a.h5"
expect "--set of an unknown name suggests" 2 "did you mean 'X0'" "$SYNOVIA" run $M --set X1=3 -o "$TMP/a.h5"
expect "--set without =" 2 "is not NAME=VALUE" "$SYNOVIA" run $M --set X0 -o "$TMP/a.h5"
expect "--atol for a non-state" 2 "'k' is not a state" "$SYNOVIA" run $M --atol k=1e-3 -o "$TMP/a.h5"
expect "end before start" 2 "must end after it starts (0 h to -1 h)" "$SYNOVIA" run $M --t-end -1 -o "$TMP/a.h5"
# issue 12 point 20: the grid of --t-start/--t-end/--every follows the rule of every grid
expect "grid: times beyond the solver's" 2 "the simulation's times (0 h to 1e+308 h) go beyond ±1e+100 h" \
  "$SYNOVIA" run $M --t-end 1e308 --every 1e307 -o "$TMP/a.h5"
expect "grid: too many points" 2 "would have 1e+09 points: at most 100000000" \
  "$SYNOVIA" run $M --t-end 1e9 --every 1 -o "$TMP/a.h5"
expect "grid: an end not finite in the clock" 2 "the end time is not finite in the model's clock" \
  "$SYNOVIA" run $M --t-end '1e308 d' -o "$TMP/a.h5"
expect "grid: no spacing" 2 "the output spacing must be positive (found 0 h)" \
  "$SYNOVIA" run $M --t-end 10 --every 0 -o "$TMP/a.h5"
# issue 12 point 7: a compartment's size must stay positive
expect "--set of a compartment to a negative size" 2 \
  "--set 'V=-2': compartment 'V' must have a positive size (found -2)" \
  "$SYNOVIA" run models/pk_one_compartment.model --set V=-2 -o "$TMP/a.h5"
expect "missing model file" 1 "nope.model" "$SYNOVIA" run "$TMP/nope.model" -o "$TMP/a.h5"
expect "broken model: located error" 1 "broken.model:5:11: error: unknown name 'kk' (did you mean 'k'?)" \
  "$SYNOVIA" run tests/cli/broken.model -o "$TMP/a.h5"
check "no file written after usage and model errors" test ! -e "$TMP/a.h5" -a ! -e "$TMP/a.h5.tmp"
expect "output directory does not exist" 1 "no/such/dir" "$SYNOVIA" run $M -o "$TMP/no/such/dir/x.h5"

expect "check a good model" 0 "decay.model: ok (1 state, 2 parameters, 1 output)" "$SYNOVIA" check $M
expect "check a broken model" 1 "  d/dt X = -kk \* X" "$SYNOVIA" check tests/cli/broken.model
expect "info lists parameters with sources" 0 "source: assumed: t½ = 6 h" "$SYNOVIA" info $M
expect "info lists the clock" 0 "clock: h" "$SYNOVIA" info $M
expect "info --markdown: parameter table rows" 0 '| `k` | 0.115525 | 1/h | elimination rate | assumed: t½ = 6 h |' \
  "$SYNOVIA" info $M --markdown
expect "info --markdown: outputs with their definition" 0 '| `fraction` | `X / X0` |' "$SYNOVIA" info $M --markdown
expect "info: a bare number is dimensionless (1)" 0 '| `F_oral` | 0.8 | 1 | oral bioavailability |' \
  "$SYNOVIA" info models/pk_one_compartment.model --markdown
expect "info lists routes" 0 "oral -> Agut  by mouth" "$SYNOVIA" info models/pk_one_compartment.model
expect "info lists joints" 0 "joints (2): knee_L knee_R" "$SYNOVIA" info models/two_knees.model

expect "run writes the file" 0 "wrote $TMP/r.h5" "$SYNOVIA" run $M --t-end '2 d' --every '30 min' \
  --rtol 1e-10 --atol 1e-12 -o "$TMP/r.h5"
check "no temporary file left" test ! -e "$TMP/r.h5.tmp"
check "2 d with a 30 min grid is 97 points ending at 48 h" h5py "$TMP/r.h5" \
  "t = f['arms/run/time'][:]; assert len(t) == 97 and t[0] == 0 and t[-1] == 48, t" "$TMP/r.h5"
check "X follows 8 exp(-ln2 t / 6) to 1e-8" h5py "$TMP/r.h5" \
  "import numpy as np; t = f['arms/run/time'][:]; x = f['arms/run/X'][:]; \
   e = 8 * np.exp(-np.log(2) * t / 6); assert np.max(np.abs(x - e) / e) < 1e-8, np.max(np.abs(x - e) / e)" "$TMP/r.h5"
check "units and kind are recorded" h5py "$TMP/r.h5" \
  "d = f['arms/run/X']; assert d.attrs['units'] == b'pg/mL' and d.attrs['kind'] == b'state'; \
   assert f['arms/run/fraction'].attrs['kind'] == b'output'; assert f['arms/run/time'].attrs['units'] == b'h'" "$TMP/r.h5"
check "provenance: command line, model text and hash" h5py "$TMP/r.h5" \
  "import hashlib; a = f.attrs; assert '--t-end' in a['command_line'].decode(); \
   assert len(a['model_sha256']) == 64; assert 'd/dt X = -k * X' in f['provenance/text'][0].decode()" "$TMP/r.h5"
check "solver settings and statistics are recorded" h5py "$TMP/r.h5" \
  "a = f['arms/run'].attrs; assert a['rtol'] == 1e-10 and a['atol'] == 1e-12 and a['cvode_nsteps'] > 10" "$TMP/r.h5"

"$SYNOVIA" run $M --set X0=2 --set 'k=0.5 /h' -q -o "$TMP/s.h5" >"$TMP/out" 2>&1
check "--set overrides, with a unit converted to the clock" h5py "$TMP/s.h5" \
  "import numpy as np; t = f['arms/run/time'][:]; x = f['arms/run/X'][:]; \
   assert abs(x[0] - 2) < 1e-12 and abs(x[-1] - 2 * np.exp(-0.5 * t[-1])) < 1e-5" "$TMP/s.h5"
check "--quiet prints nothing" test ! -s "$TMP/out"
"$SYNOVIA" run $M --set 'k=0.5 /d' -q -o "$TMP/s2.h5" >/dev/null 2>&1
check "--set 'k=0.5 /d' is 0.5/24 per hour" h5py "$TMP/s2.h5" \
  "import numpy as np; t = f['arms/run/time'][:]; x = f['arms/run/X'][:]; \
   assert abs(x[-1] - 8 * np.exp(-0.5 / 24 * t[-1])) < 1e-5 * x[-1]" "$TMP/s2.h5"

# a failing run must not touch an existing result
cp "$TMP/r.h5" "$TMP/keep.h5"
sum_before=$(cksum <"$TMP/keep.h5")
"$SYNOVIA" run tests/cli/broken.model -o "$TMP/keep.h5" >/dev/null 2>&1
"$SYNOVIA" run $M --max-steps 2 --t-end 1000 -o "$TMP/keep.h5" >"$TMP/out" 2>&1
rc=$?
check "a solver failure exits 1" test $rc -eq 1
check "the existing result is untouched by failed runs" test "$(cksum <"$TMP/keep.h5")" = "$sum_before"
check "no temporary file left by a failed run" test ! -e "$TMP/keep.h5.tmp"

expect "per-state atol and klu run" 0 "klu" "$SYNOVIA" run $M --atol X=1e-11 --linear-solver klu -o "$TMP/k.h5"
# a state's own atol (here the default for cells) and the options over it: --atol NAME=A for
# another state keeps it, --atol NAME=A and --atol A replace it
printf 'time unit h\nstate C = 1e7 cells\nstate X = 1\nd/dt C = -C\nd/dt X = -0.1 * X\n' >"$TMP/cells.model"
same_h5() { "$PYTHON" tests/support/h5same.py "$1" "$2" >/dev/null 2>&1; }
"$SYNOVIA" run "$TMP/cells.model" -q -o "$TMP/c0.h5" >/dev/null 2>&1
"$SYNOVIA" run "$TMP/cells.model" -q --atol X=1e-9 -o "$TMP/c1.h5" >/dev/null 2>&1
"$SYNOVIA" run "$TMP/cells.model" -q --atol C=1e-3 --atol X=1e-9 -o "$TMP/c2.h5" >/dev/null 2>&1
"$SYNOVIA" run "$TMP/cells.model" -q --atol 1e-9 -o "$TMP/c3.h5" >/dev/null 2>&1
"$SYNOVIA" run "$TMP/cells.model" -q --atol X=1e-9 --atol C=1e-9 -o "$TMP/c4.h5" >/dev/null 2>&1
check "--atol X=A for another state keeps the cells' own atol" same_h5 "$TMP/c0.h5" "$TMP/c1.h5"
check "--atol C=1e-3 gives the cells' default exactly" same_h5 "$TMP/c0.h5" "$TMP/c2.h5"
check "--atol A replaces the cells' own atol" sh -c "! $PYTHON tests/support/h5same.py '$TMP/c0.h5' '$TMP/c3.h5' >/dev/null 2>&1"
check "--atol C=A replaces it for that state" h5py "$TMP/c4.h5" \
  "import h5py; g = h5py.File('$TMP/c0.h5', 'r'); \
   assert f['arms/run'].attrs['cvode_nsteps'] > g['arms/run'].attrs['cvode_nsteps']" "$TMP/c4.h5"
expect "difference-quotient Jacobian run" 0 "difference quotients" "$SYNOVIA" run $M --no-jacobian -o "$TMP/n.h5"
expect "the ASan build runs a full model cleanly" 0 "wrote" "$SYNOVIA_ASAN" run models/joint_demo.model \
  --t-end '28 d' -o "$TMP/asan.h5"
finish
