# synovia — `synovia run` and `synovia check` on scenarios: all arms into one
# file with the comparison table, --arm, overrides, bad input (one message, a
# non-zero exit, nothing written), and the README's main command.
. tests/lib/tap.sh
S=examples/joint_demo.scenario

expect() {
  name=$1 want=$2 pat=$3; shift 3
  "$@" >"$TMP/out" 2>&1
  got=$?
  if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$TMP/out"; then ok "$name"
  else not_ok "$name (exit $got, want $want; pattern '$pat')"; sed 's/^/# /' "$TMP/out" | head -20; fi
}
h5py() { "$PYTHON" -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r'); $2" "$3"; }

expect "check a scenario" 0 "joint_demo.scenario: ok (3 arms, 4 metrics" "$SYNOVIA" check $S
expect "run a scenario: the comparison table" 0 "IL6_auc_28d *pg\*h/mL" "$SYNOVIA" run $S -o "$TMP/s.h5"
check "the table has one column per arm" grep -q "control *IA 10M MSCs *IA 50M MSCs" "$TMP/out"
check "NaN metrics read n/a" grep -q "TNF_half .* n/a " "$TMP/out"
check "one group per arm, with doses and metrics" h5py "$TMP/s.h5" \
  "a = f['arms']; assert sorted(a) == ['IA 10M MSCs', 'IA 50M MSCs', 'control'], list(a); \
   assert a['IA 50M MSCs']['doses']['amount'][0] == 50e6; assert 'doses' not in a['control']; \
   assert f['metrics']['value'].shape == (3, 4)" "$TMP/s.h5"
check "provenance: the scenario and its model" h5py "$TMP/s.h5" \
  "assert len(f.attrs['scenario_sha256']) == 64; p = [x.decode() for x in f['provenance/file'][:]]; \
   assert p[0].endswith('joint_demo.scenario') and p[1].endswith('joint_demo.model'), p" "$TMP/s.h5"
check "baseline steady is recorded per arm" h5py "$TMP/s.h5" \
  "assert f['arms/control'].attrs['baseline_method'] in (b'kinsol', b'integration')" "$TMP/s.h5"
expect "--arm runs one arm" 0 "IA 50M MSCs" "$SYNOVIA" run $S --arm "IA 50M MSCs" -o "$TMP/one.h5"
check "--arm: only that arm is in the file" h5py "$TMP/one.h5" "assert list(f['arms']) == ['IA 50M MSCs']" "$TMP/one.h5"
expect "--arm unknown lists the arms" 2 "the scenario's arms: control, IA 10M MSCs, IA 50M MSCs" \
  "$SYNOVIA" run $S --arm "IA 5M" -o "$TMP/x.h5"
expect "--arm misspelled suggests" 2 "did you mean 'control'" "$SYNOVIA" run $S --arm contrl -o "$TMP/x.h5"
"$SYNOVIA" run $S --set 'lic_max=1' --set 'f_slow=0.3' -q -o "$TMP/x.h5" >"$TMP/out" 2>&1
check "--set applies to every arm (f_slow=0.3 doubles the cells at day 28)" h5py "$TMP/x.h5" \
  "v = f['metrics/value'][:]; w = h5py.File('$TMP/s.h5', 'r')['metrics/value'][:]; \
   assert abs(v[2, 3] / w[2, 3] - 2) < 1e-6, (v[2, 3], w[2, 3])" "$TMP/x.h5"
"$SYNOVIA" run $S --set 'k_slow=0.1 /d' -q -o "$TMP/x2.h5" >"$TMP/out" 2>&1
check "--set with a unit (0.1 /d) is converted to the clock" h5py "$TMP/x2.h5" \
  "import math; a = f['arms/IA 50M MSCs']; k = dict(zip([x.decode() for x in a['param'][:]], a['param_value'][:]))['k_slow']; \
   assert abs(k - 0.1 / 24) < 1e-15, k" "$TMP/x2.h5"
expect "--set of an unknown name" 2 "did you mean 'k_slow'" "$SYNOVIA" run $S --set 'k_slw=1' -o "$TMP/y.h5"
expect "--t-end does not apply to a scenario" 2 "its 'simulate' line sets the times" \
  "$SYNOVIA" run $S --t-end 3 -o "$TMP/y.h5"
expect "--arm needs a scenario" 2 "--arm needs a scenario" "$SYNOVIA" run tests/cli/decay.model --arm a -o "$TMP/y.h5"
expect "unknown route: located, did you mean" 1 "bad_route.scenario:5:8: error: unknown route 'orl' (did you mean 'oral'?)" \
  "$SYNOVIA" run tests/cli/bad_route.scenario -o "$TMP/y.h5"
expect "missing model: located at the model line" 1 "missing_model.scenario:2:7: error: " \
  "$SYNOVIA" run tests/cli/missing_model.scenario -o "$TMP/y.h5"
check "nothing written after bad scenarios" test ! -e "$TMP/y.h5" -a ! -e "$TMP/y.h5.tmp"
cp "$TMP/s.h5" "$TMP/keep.h5"; before=$(cksum <"$TMP/keep.h5")
"$SYNOVIA" run tests/cli/bad_route.scenario -o "$TMP/keep.h5" >/dev/null 2>&1
check "a failed scenario leaves an existing result untouched" test "$(cksum <"$TMP/keep.h5")" = "$before"
# The comparison table: long and UTF-8 arm names wrapped, columns aligned, a
# value next to one 1e300 times larger still shown, -0 and NaN readable.
cat >"$TMP/table.scenario" <<EOF
model "$PWD/models/pk_one_compartment.model"
simulate 0 h to 24 h every 1 h
arm "a"
arm "IV bolus of one hundred milligrams at zero hours, then nothing for a day"
  dose IV 100 mg at 0 h
arm "α tiny"
  dose IV 1e-300 mg at 0 h
arm "huge"
  dose IV 1e300 mg at 0 h
metric Cmax = max(C)
metric a_long_metric_name_for_the_exposure = auc(C, 0 h, 24 h)
metric neg = -max(A)
metric half = time_below(C, 0.5 * max(C), tmax(C), 24 h)
metric ch = change(A, 0 h, 12 h)
EOF
expect "table: a long arm name is wrapped" 0 "IV bolus of one" "$SYNOVIA" run "$TMP/table.scenario" -o "$TMP/t.h5"
check "table: every line of the table has the same width" "$PYTHON" -c "
import sys; lines = open(sys.argv[1], encoding='utf-8').read().split('\n\n')[1].splitlines()
assert len(lines) >= 8 and len(set(len(l) for l in lines)) == 1, [len(l) for l in lines]" "$TMP/out"
check "table: 5 is shown next to 5e+298 (no row-wide rounding to 0)" grep -q "^Cmax .* 5  *5e-302  *5e+298$" "$TMP/out"
check "table: -0 reads 0" grep -q "^neg .*  0  *-100  " "$TMP/out"
check "table: NaN reads n/a" grep -q "^half .* n/a " "$TMP/out"
# Issue point 8 through the CLI: each bad input gives exactly one located
# error, exit status 1, and nothing under the output name.
bad_case() {
  name=$1 where=$2 pat=$3; shift 3
  { printf 'model "%s"\nsimulate 0 h to 24 h every 1 h\n' "${MODEL:-$PWD/models/pk_one_compartment.model}"
    printf '%s\n' "$@"; } >"$TMP/bad.scenario"
  rm -f "$TMP/bad.h5" "$TMP/bad.h5.tmp"
  "$SYNOVIA" run "$TMP/bad.scenario" -o "$TMP/bad.h5" >"$TMP/out" 2>&1
  got=$?
  if [ $got -eq 1 ] && [ "$(grep -c 'error:' "$TMP/out")" -eq 1 ] &&
     grep -q "bad.scenario:$where: error: $pat" "$TMP/out" && [ ! -e "$TMP/bad.h5" ] &&
     [ ! -e "$TMP/bad.h5.tmp" ]; then ok "bad input: $name"
  else not_ok "bad input: $name (exit $got)"; sed 's/^/# /' "$TMP/out" | head -8; fi
}
bad_case "unknown route" 4:8 "unknown route 'IVV' (did you mean 'IV'?)" 'arm "a"' '  dose IVV 1 mg at 0 h'
bad_case "unknown preset" 4:7 "unknown preset 'fast'" 'arm "a"' '  use fast'
bad_case "unknown metric target" 4:16 "unknown metric target 'Cc' (did you mean 'C'?)" 'arm "a"' 'metric m = max(Cc)'
bad_case "negative amount" 4:11 "the amount of a dose cannot be negative" 'arm "a"' '  dose IV -1 mg at 0 h'
bad_case "non-finite amount" 4:11 "the amount of the dose is not finite" 'arm "a"' '  dose IV 0/0 mg at 0 h'
bad_case "dose before the start" 4:19 "the dose at -1 h comes before the start" 'arm "a"' '  dose IV 1 mg at -1 h'
bad_case "dose after the end" 4:19 "the dose at 30 h comes after the end of the simulation (24 h)" \
  'arm "a"' '  dose IV 1 mg at 30 h every 1 h times 2'
bad_case "times 0" 4:39 "'times' must be a whole number of doses" 'arm "a"' '  dose IV 1 mg at 0 h every 1 h times 0'
bad_case "amount in another unit than its target" 4:13 "the dose is in g but its target 'A' is in mg" \
  'arm "a"' '  dose IV 1 g at 0 h'
MODEL=$PWD/tests/models/joints20.model
bad_case "unknown joint" 4:25 "unknown joint 'j21' (did you mean" 'arm "a"' '  dose IA 1 at 0 h into j21'
bad_case "per-joint name with an unknown joint" 4:7 "unknown name 'j21.severity'" 'arm "a"' '  set j21.severity = 2'
bad_case "per-joint metric target without its joint" 4:16 "'MSC' exists once per joint" 'arm "a"' 'metric m = max(MSC)'
MODEL=missing.model
bad_case "missing model" 1:7 "cannot open '.*/missing.model': No such file" 'arm "a"'
unset MODEL
expect "a scenario of hours in days: header with the step in the clock" 0 \
  "^2 arms, t = 0 to 28 d every 6 h, baseline declared$" "$SYNOVIA" run examples/two_knees.scenario -o "$TMP/hours.h5"
"$SYNOVIA" run "$TMP/table.scenario" --arm nope -o "$TMP/bad.h5" >"$TMP/out" 2>&1
check "bad input: unknown --arm, exit 2, nothing written" test $? -eq 2 -a ! -e "$TMP/bad.h5"
expect "the ASan build runs the demo scenario" 0 "wrote" "$SYNOVIA_ASAN" run $S -o "$TMP/asan.h5"

# the built-in demonstration, from a directory that has nothing of synovia's
top=$(pwd)
abs_synovia=$(cd "$(dirname "$SYNOVIA")" && pwd)/$(basename "$SYNOVIA")
mkdir -p "$TMP/elsewhere"
(cd "$TMP/elsewhere" && TMPDIR="$TMP/elsewhere" "$abs_synovia" run) >"$TMP/demo.out" 2>&1
rc=$?
check "synovia run with no arguments runs the demonstration from any directory" test $rc -eq 0
check "the demonstration prints the biomarker table at days 0-180" \
  grep -q "key biomarkers by arm *day 0 *day 7 *day 28 *day 90 *day 180" "$TMP/demo.out"
check "the demonstration has three arms" grep -q "^  IV 100M UC-MSC " "$TMP/demo.out"
check "its header speaks days, as its table does" \
  grep -qx "3 arms, t = 0 to 180 d every 1 d, baseline steady" "$TMP/demo.out"
check "it says where it wrote as the user sees it: relative, like the figure" \
  grep -qx "wrote synovia-demo.h5" "$TMP/demo.out"
check "its temporary folder is gone" sh -c "! ls '$TMP/elsewhere' | grep -q synovia-demo-"
check "a control arm at a steady baseline: its change metric is exactly 0, a dosed arm's is not" \
  h5py "$TMP/elsewhere/synovia-demo.h5" \
  "m = list(f['metrics/metric'].asstr()[:]); v = f['metrics/value'][:]; a = list(f['metrics/arm'].asstr()[:]); \
   k = m.index('pain_change_90d'); assert v[a.index('control'), k] == 0.0, v[a.index('control'), k]; \
   assert v[a.index('IA 50M UC-MSC'), k] < 0, v" "$TMP/elsewhere/synovia-demo.h5"
check "the demonstration's provenance names the repository files" h5py "$TMP/elsewhere/synovia-demo.h5" \
  "p = [x.decode() for x in f['provenance/file'][:]]; \
   assert p[:2] == ['examples/knee_ia_vs_iv.scenario', 'models/knee_oa.model'], p" "$TMP/elsewhere/synovia-demo.h5"

# the README's main command (scripts/demo.sh: the demonstration and its figure) and its Python snippet
mkdir -p "$TMP/readme"
(cd "$TMP/readme" && sh "$top/scripts/demo.sh" "$abs_synovia") >"$TMP/readme.out" 2>&1
rc=$?
check "README main command (scripts/demo.sh) succeeds" test $rc -eq 0
check "it writes the result and the figure" test -s "$TMP/readme/synovia-demo.h5" -a -s "$TMP/readme/synovia-demo.png"
check "both 'wrote' lines name the files the same way (relative to where it ran)" \
  sh -c "grep -qx 'wrote synovia-demo.h5' '$TMP/readme.out' && grep -q '^wrote synovia-demo.png (' '$TMP/readme.out'"
awk '/^```python/{inb=1; next} /^```/{inb=0} inb' README.md >"$TMP/readme.py"
check "README's Python snippet runs on the demo result" sh -c "cd '$TMP/readme' && '$PYTHON' '$TMP/readme.py'"
finish
