#!/bin/sh
# synovia — per-state absolute tolerances end to end (docs/language.md §4,
# docs/scenarios.md "atol", docs/sweeps.md): where each state's atol comes from
# (synovia info), the layers a run applies (model, scenario `solver atol` and
# `atol` lines, --atol A, --atol NAME=A), what the files record (the `atol`
# attribute of each state's dataset; a sweep's /solver_config), and the
# refusals (unknown states with a suggestion, units of another dimension).
. tests/lib/tap.sh
expect() {
  name=$1 want=$2 pat=$3; shift 3
  "$@" >"$TMP/out" 2>&1
  got=$?
  if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$TMP/out"; then ok "$name"
  else not_ok "$name (exit $got, want $want; pattern '$pat')"; sed 's/^/# /' "$TMP/out" | head -20; fi
}
# atols FILE ARM "A C D": the `atol` attribute of each state's dataset, space-separated
atols() {
  "$PYTHON" -c "
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
print(' '.join('%g' % f['arms'][sys.argv[2]][s].attrs['atol'] for s in sys.argv[3].split()))" "$@"
}
same_text() { [ "$1" = "$2" ] || { echo "# got '$1', want '$2'"; false; }; }

cat >"$TMP/m.model" <<'EOF2'
time unit h
param k = 0.2 /h
state A = 1 mg/L
state C = 1e6 cells
state D = 2 mg/L atol 1e-5 ug/L
d/dt A = -k * A
d/dt C = -k * C
d/dt D = -k * D
EOF2
cat >"$TMP/s.scenario" <<'EOF2'
model "m.model"
simulate 0 h to 10 h every 1 h
atol A = 1e-4 ug/L
arm "a"
metric A_end = at(A, 10 h)
EOF2

# --- synovia info: each state's atol and where it comes from ----------------------------
"$SYNOVIA" info "$TMP/m.model" >"$TMP/info" 2>&1
check "info: a state without one has the default" grep -q "^  A .*atol 1e-09 (default)" "$TMP/info"
check "info: a state in cells has the cells default" grep -q "^  C .*atol 0.001 (cells default)" "$TMP/info"
check "info: a declared atol, in the state's unit" grep -q "^  D .*atol 1e-08 (declared)" "$TMP/info"

# --- run files: the atol each state was solved with -------------------------------------
"$SYNOVIA" run "$TMP/m.model" -q -o "$TMP/r.h5"
check "run: each state's dataset records its atol (default, cells, declared)" \
  same_text "$(atols "$TMP/r.h5" run "A C D")" "1e-09 0.001 1e-08"
"$SYNOVIA" run "$TMP/m.model" -q -o "$TMP/r.h5" --atol 'C=1 cells' --atol A=2e-9
check "run --atol NAME=A (with a unit or without) over the model's own" \
  same_text "$(atols "$TMP/r.h5" run "A C D")" "2e-09 1 1e-08"
"$SYNOVIA" run "$TMP/m.model" -q -o "$TMP/r.h5" --atol 1e-7
check "run --atol A: every state" same_text "$(atols "$TMP/r.h5" run "A C D")" "1e-07 1e-07 1e-07"
check "the atol attribute reads in xarray (netCDF)" "$PYTHON" -c "
import sys, xarray as xr
ds = xr.open_dataset(sys.argv[1], group='arms/run')
assert ds['C'].attrs['atol'] == 1e-7, ds['C'].attrs" "$TMP/r.h5"
expect "run --atol with an unknown state: refused, with the close one" 2 "unknown state 'Cc' (did you mean 'C'?)" \
  "$SYNOVIA" run "$TMP/m.model" -q -o "$TMP/bad.h5" --atol Cc=1
expect "run --atol with a unit of another dimension: refused" 2 "'mg' is not a number of cells" \
  "$SYNOVIA" run "$TMP/m.model" -q -o "$TMP/bad.h5" --atol 'C=1 mg'

# --- scenarios: `atol NAME = A [UNIT]` ---------------------------------------------------
"$SYNOVIA" run "$TMP/s.scenario" -q -o "$TMP/s.h5"
check "scenario atol line: converted to the state's unit, the others as the model says" \
  same_text "$(atols "$TMP/s.h5" a "A C D")" "1e-07 0.001 1e-08"
sed 's/^atol A/solver atol 1e-10\natol A/' "$TMP/s.scenario" >"$TMP/s2.scenario"
"$SYNOVIA" run "$TMP/s2.scenario" -q -o "$TMP/s2.h5"
check "scenario: its atol line over its own solver atol, which replaces the model's" \
  same_text "$(atols "$TMP/s2.h5" a "A C D")" "1e-07 1e-10 1e-10"
"$SYNOVIA" run "$TMP/s.scenario" -q -o "$TMP/s.h5" --atol C=7
check "run --atol NAME=A over the scenario's atol lines" \
  same_text "$(atols "$TMP/s.h5" a "A C D")" "1e-07 7 1e-08"
"$SYNOVIA" run "$TMP/s.scenario" -q -o "$TMP/s.h5" --atol 1e-6
check "run --atol A replaces the scenario's per-state tolerances" \
  same_text "$(atols "$TMP/s.h5" a "A C D")" "1e-06 1e-06 1e-06"
sed 's/^atol A = 1e-4 ug\/L/set k = 3 \/h/' "$TMP/s.scenario" >"$TMP/fast.scenario"
sed 's/^atol A = 1e-4 ug\/L/set k = 3 \/h\natol C = 1e-9/' "$TMP/s.scenario" >"$TMP/tight.scenario"
"$SYNOVIA" run "$TMP/fast.scenario" -q -o "$TMP/fast.h5"
"$SYNOVIA" run "$TMP/tight.scenario" -q -o "$TMP/tight.h5"
check "a scenario's atol changes the solve (cells followed to 1e-9: more steps)" "$PYTHON" -c "
import h5py, sys
a, b = (h5py.File(p, 'r')['arms/a'].attrs['cvode_nsteps'] for p in sys.argv[1:])
assert b > a, (a, b)" "$TMP/fast.h5" "$TMP/tight.h5"

# --- sweeps: `atol` lines, --atol NAME=A, the configuration record ---------------------------
cat >"$TMP/w.sweep" <<'EOF2'
scenario "s.scenario"
design random 4 seed 1
vary k uniform 0.1 0.3 /h
atol C = 10 cells
EOF2
config() { "$PYTHON" -c "import h5py, sys; print(h5py.File(sys.argv[1], 'r').attrs['solver_config'].decode())" "$1"; }
"$SYNOVIA" sweep "$TMP/w.sweep" -q -o "$TMP/w.h5"
config "$TMP/w.h5" >"$TMP/config"
check "sweep: /solver_config records the scenario's and the sweep's atol lines" \
  grep -q "; state atol A 1.0000000000000001e-07 mg/L; state atol C 10 cells; state atol D 1e-08 mg/L" "$TMP/config"
check "sweep: /solver_config records the linear solver asked for and the one used" \
  grep -q "linsol auto used dense" "$TMP/config"
"$SYNOVIA" sweep "$TMP/w.sweep" -q -o "$TMP/w2.h5" --atol C=5 --linear-solver klu
config "$TMP/w2.h5" >"$TMP/config2"
check "sweep --atol NAME=A over the sweep's atol line, recorded" grep -q "state atol C 5 cells" "$TMP/config2"
check "sweep --linear-solver klu recorded as asked and used" grep -q "linsol klu used klu" "$TMP/config2"
check "another per-state atol: another configuration hash" "$PYTHON" -c "
import h5py, sys
a, b = (h5py.File(p, 'r').attrs['config_sha256'] for p in sys.argv[1:])
assert a != b" "$TMP/w.h5" "$TMP/w2.h5"
expect "sweep --dry-run shows the states' tolerances that are not the scalar one" 0 \
  "state atol A 1e-07 mg/L, C 5 cells, D 1e-08 mg/L" "$SYNOVIA" sweep "$TMP/w.sweep" --dry-run --atol C=5
"$SYNOVIA" sweep "$TMP/w.sweep" -q -o "$TMP/sh.h5" --task-index 0 --task-count 2 --atol C=5
"$SYNOVIA" sweep "$TMP/w.sweep" -q -o "$TMP/sh.h5" --task-index 1 --task-count 2 --atol C=5
"$SYNOVIA" merge "$TMP/sh.h5" -q >/dev/null 2>&1
check "shards and their merge keep /solver_config" sh -c "
  for f in '$TMP/sh.task-0000-of-0002.h5' '$TMP/sh.h5'; do
    \"$PYTHON\" -c \"import h5py, sys; print(h5py.File(sys.argv[1], 'r').attrs['solver_config'].decode())\" \"\$f\" |
      grep -q 'state atol C 5 cells' || exit 1
  done"
expect "sweep --atol with an unknown state: refused, with the close one" 2 "unknown state 'Cx' (did you mean 'C'?)" \
  "$SYNOVIA" sweep "$TMP/w.sweep" -q -o "$TMP/bad.h5" --atol Cx=1
sed 's/^atol C = 10 cells/atol Cx = 10 cells/' "$TMP/w.sweep" >"$TMP/bad.sweep"
expect "sweep file: an unknown state, located, with the close one" 1 "bad.sweep:4:6: error: unknown state 'Cx' (did you mean 'C'?)" \
  "$SYNOVIA" sweep "$TMP/bad.sweep" -q -o "$TMP/bad.h5"
sed 's/^atol C = 10 cells/atol C = 10 mg/' "$TMP/w.sweep" >"$TMP/bad.sweep"
expect "sweep file: a unit of another dimension, located at the value" 1 "bad.sweep:4:10: error: C is in cells; 'mg' is not a number of cells" \
  "$SYNOVIA" sweep "$TMP/bad.sweep" -q -o "$TMP/bad.h5"
printf 'atol C = 1 cells\n' >>"$TMP/w.sweep"
expect "sweep file: a state's atol given twice" 1 "w.sweep:5:6: error: the atol of 'C' is already given on line 4" \
  "$SYNOVIA" sweep "$TMP/w.sweep" -q -o "$TMP/bad.h5"
sed -i '$d' "$TMP/w.sweep"; printf 'atol C = -1\n' >>"$TMP/w.sweep"
expect "sweep file: a negative atol" 1 "w.sweep:5:10: error: expected a positive number, optionally with a unit, found '-'" \
  "$SYNOVIA" sweep "$TMP/w.sweep" -q -o "$TMP/bad.h5"
check "no output was written by a refused sweep" test ! -e "$TMP/bad.h5"
finish
