# synovia — every quantity of every shipped model and scenario has a unit a
# reader can see: each parameter, compartment, state, let and output in
# `synovia info --markdown` (the tables of docs/model.md), each state and
# output in a run file, each metric of each scenario in its table (never
# blank), and `synovia info` writes a dimensionless value so that it
# cannot read "1 1". The read-outs of the knee model declare what their
# descriptions say: pain VAS in mm, cartilage volume in percent.
. tests/lib/tap.sh

for m in models/*.model; do
  "$SYNOVIA" info "$m" --markdown >"$TMP/md" 2>&1
  # rows "| `name` | value | units | ..." : the third cell is the units
  awk -F' [|] ' '/^[|] `/ { u = $3; gsub(/ /, "", u); if (u == "") print "  blank unit: " $1 }' \
    "$TMP/md" | sed 's/^  blank unit: | /  blank unit: /' >"$TMP/blank"
  if [ -s "$TMP/blank" ]; then not_ok "$m: every symbol has a unit in info --markdown"; sed 's/^/# /' "$TMP/blank" | head
  else ok "$m: every symbol has a unit in info --markdown"; fi
done

# Series carry CF units ("1" when dimensionless); a metric's unit is stored as
# derived ("" when dimensionless, docs/output-format.md) and shown in the
# table as "dimensionless": the table must never leave a metric's unit blank.
for s in examples/*.scenario examples/teaching/*.scenario; do
  "$SYNOVIA" run "$s" -o "$TMP/u.h5" >"$TMP/out" 2>&1 || { not_ok "$s runs"; continue; }
  "$PYTHON" - "$TMP/u.h5" "$TMP/out" >"$TMP/blank" <<'EOF'
import sys, h5py
table = {}
for line in open(sys.argv[2]):
    cells = line.split()
    if len(cells) >= 2:
        table.setdefault(cells[0], cells[1])
with h5py.File(sys.argv[1], "r") as f:
    for arm, g in f["arms"].items():
        for k, d in g.items():
            if isinstance(d, h5py.Dataset) and "kind" in d.attrs and not d.attrs["units"]:
                print(f"{arm}/{k}: blank units")
    if "metrics" in f:
        for name, u in zip(f["metrics/metric"].asstr()[:], f["metrics/units"].asstr()[:]):
            if table.get(name) != (u or "dimensionless"):
                print(f"metric {name}: the table shows {table.get(name)!r} for units {u!r}")
EOF
  if [ -s "$TMP/blank" ]; then not_ok "$s: every series and metric has a unit"; sed 's/^/# /' "$TMP/blank" | sort -u | head
  else ok "$s: every series and metric has a unit"; fi
done

"$SYNOVIA" run examples/knee_ia_vs_iv.scenario -o "$TMP/k.h5" >"$TMP/k.out" 2>&1
check "pain VAS is declared in mm, cartilage volume in percent" "$PYTHON" -c "
import h5py, sys
g = h5py.File(sys.argv[1], 'r')['arms/control']
assert g['knee.pain_VAS'].attrs['units'] == b'mm', g['knee.pain_VAS'].attrs['units']
assert g['knee.cartilage_volume'].attrs['units'] == b'percent', g['knee.cartilage_volume'].attrs['units']
" "$TMP/k.h5"
check "the metric table gives cartilage_180d its unit" grep -q "^cartilage_180d  *percent  " "$TMP/k.out"
check "... and so does the file" "$PYTHON" -c "
import h5py, sys
m = h5py.File(sys.argv[1], 'r')['metrics']
assert dict(zip(m['metric'].asstr()[:], m['units'].asstr()[:]))['cartilage_180d'] == 'percent'
" "$TMP/k.h5"

"$SYNOVIA" info models/knee_oa.model >"$TMP/info" 2>&1
check "info: a dimensionless value of 1 reads '1 dimensionless', not '1 1'" \
  grep -q "^  potency  *1 dimensionless  secretory potency" "$TMP/info"
check "info: a computed dimensionless parameter (f_slow) is not blank" \
  grep -q "^  f_slow  *0.237734 dimensionless  fraction of fresh IA cells" "$TMP/info"
check "info: no value is followed by the unit '1'" sh -c "! grep -E '^  [A-Za-z_.0-9]+ +[-+.e0-9]+ 1 ' '$TMP/info'"
"$SYNOVIA" info models/knee_oa.model --markdown >"$TMP/md" 2>&1
check "info --markdown: f_slow's unit is 1 (as in the result files)" \
  grep -q '^| `f_slow` | 0.237734 | 1 | fraction of fresh IA cells' "$TMP/md"

# A value with a unit is converted to the declared unit of the name it sets,
# or refused with the reason (issue 12, point 6): `--set 'V=500 mL'` was stored
# as 500 L and `--set 'ka=2 mg'` taken as 2 /h. Exact messages; every refusal
# is a usage error (exit 2) that quotes the whole NAME=VALUE.
PK=models/pk_one_compartment.model   # V in L, CL in L/h, ka in 1/h, F_oral dimensionless, A in mg
while IFS='|' read -r arg want; do
  "$SYNOVIA" run $PK --t-end 2 --set "$arg" -o "$TMP/set.h5" >"$TMP/out" 2>&1
  rc=$?
  if [ "$want" = ok ]; then
    if [ $rc -eq 0 ]; then ok "--set '$arg' is accepted"
    else not_ok "--set '$arg' is accepted (exit $rc)"; sed 's/^/# /' "$TMP/out" | head -5; fi
  elif [ $rc -eq 2 ] && [ "$(head -n 1 "$TMP/out")" = "synovia: error: --set '$arg': $want" ]; then
    ok "--set '$arg': exit 2, $want"
  else
    not_ok "--set '$arg': exit 2, $want (exit $rc)"; sed 's/^/# /' "$TMP/out" | head -5
  fi
done <<'EOF_TABLE'
V=500 mL|ok
V=0.5|ok
ka=24 /d|ok
CL=5000 mL/h|ok
A=1 g|ok
F_oral=80 percent|ok
ka=2 mg|ka is in 1/h; 'mg' is not a rate (give a value in 1/h or a compatible unit such as 1/d)
V=500 mg|V is in L; 'mg' is not a volume (give a value in L or a compatible unit such as dL)
V=5 pg/mL|V is in L; 'pg/mL' is not a volume (give a value in L or a compatible unit such as dL)
CL=5 L|CL is in L/h; 'L' is not a flow (volume per time) (give a value in L/h or a compatible unit such as dL/h)
A=2 cells|A is in mg; 'cells' is not a mass (give a value in mg or a compatible unit such as g)
F_oral=2 mg|F_oral is dimensionless; 'mg' is not a pure number (give a bare number)
ka=2 mgg|unknown unit 'mgg' (did you mean 'mg'?)
ka=nan|'nan' is not a finite decimal number
ka=inf|'inf' is not a finite decimal number
ka=-infinity|'-infinity' is not a finite decimal number
ka=0x10|'0x10' is not a finite decimal number
ka=0x1p-1|'0x1p-1' is not a finite decimal number
ka=1e999|'1e999' is not a finite decimal number
EOF_TABLE

# ... and converted exactly: the same run as with the value in the declared unit
same_run() {  # name, --set with a unit, --set in the declared unit
  "$SYNOVIA" run $PK --set "$2" -q -o "$TMP/u1.h5" && "$SYNOVIA" run $PK --set "$3" -q -o "$TMP/u2.h5"
  check "$1" "$PYTHON" -c "
import sys, h5py, numpy as np
a, b = (h5py.File(p, 'r')['arms/run'] for p in sys.argv[1:])
for k in ('time', 'Agut', 'A', 'C', 'param_value'):
    assert np.array_equal(a[k][()], b[k][()]), k
" "$TMP/u1.h5" "$TMP/u2.h5"
}
same_run "--set 'V=500 mL' gives the same result as --set V=0.5" "V=500 mL" "V=0.5"
same_run "--set 'ka=24 /d' gives the same result as --set ka=1" "ka=24 /d" "ka=1"
same_run "--set 'CL=5000 mL/h' gives the same result as --set CL=5" "CL=5000 mL/h" "CL=5"
same_run "--set 'F_oral=80 percent' gives the same result as --set F_oral=0.8" "F_oral=80 percent" "F_oral=0.8"
same_run "--set 'A=1 g' gives the same result as --set A=1000" "A=1 g" "A=1000"
"$SYNOVIA" run $PK --set 'V=500 mL' -q -o "$TMP/u1.h5"
check "--set 'V=500 mL' stores V = 0.5 (L), not 500" "$PYTHON" -c "
import sys, h5py
g = h5py.File(sys.argv[1], 'r')['arms/run']
v = dict(zip(g['param'].asstr()[:], g['param_value'][:]))
assert v['V'] == 0.5, v['V']" "$TMP/u1.h5"

# A scenario's set and a sweep's vary go through the same conversion
mkdir -p "$TMP/scn"
cp $PK "$TMP/scn/pk.model"
for v in "500 mL" "0.5"; do
  printf 'model "pk.model"\nsimulate 0 h to 24 h every 1 h\narm "a"\n  set V = %s\n  dose IV 10 mg at 0 h\nmetric Cmax = max(C)\n' "$v" >"$TMP/scn/s.scenario"
  "$SYNOVIA" run "$TMP/scn/s.scenario" -q -o "$TMP/scn/$(echo "$v" | tr -d ' ').h5" >/dev/null 2>&1
done
check "scenario: set V = 500 mL gives the same result as set V = 0.5" "$PYTHON" -c "
import sys, h5py, numpy as np
a, b = (h5py.File(p, 'r')['arms/a'] for p in sys.argv[1:])
assert np.array_equal(a['C'][()], b['C'][()]) and np.array_equal(a['metric_value'][()], b['metric_value'][()])
" "$TMP/scn/500mL.h5" "$TMP/scn/0.5.h5"
printf 'model "pk.model"\nsimulate 0 h to 24 h every 1 h\narm "a"\n  dose IV 10 mg at 0 h\nmetric Cmax = max(C)\n' >"$TMP/scn/v.scenario"
"$SYNOVIA" run "$TMP/scn/v.scenario" --set 'V=500 mg' -o "$TMP/scn/x.h5" >"$TMP/out" 2>&1
rc=$?
check "scenario run: --set 'V=500 mg' is a usage error with the same message" sh -c "test $rc -eq 2 && \
  head -n 1 '$TMP/out' | grep -qxF \"synovia: error: --set 'V=500 mg': V is in L; 'mg' is not a volume (give a value in L or a compatible unit such as dL)\" && \
  test ! -e '$TMP/scn/x.h5'"
printf 'scenario "v.scenario"\ndesign random 4 seed 1\nvary V uniform 400 600 mL\n' >"$TMP/scn/v.sweep"
"$SYNOVIA" sweep "$TMP/scn/v.sweep" -q -o "$TMP/scn/v.h5" >"$TMP/out" 2>&1
check "sweep: vary V uniform 400 600 mL samples V in [0.4, 0.6] L, labelled L" "$PYTHON" -c "
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
v = f['param_value'][()].ravel()
assert ((v >= 0.4) & (v <= 0.6)).all(), v
assert f['param_units'].asstr()[0] == 'L', f['param_units'].asstr()[:]
" "$TMP/scn/v.h5"
printf 'scenario "v.scenario"\ndesign random 4 seed 1\nvary ka uniform 1 2 mg\n' >"$TMP/scn/bad.sweep"
"$SYNOVIA" sweep "$TMP/scn/bad.sweep" -o "$TMP/scn/bad.h5" >"$TMP/out" 2>&1
rc=$?
check "sweep: vary ka uniform 1 2 mg is refused, located, nothing written" sh -c "test $rc -ne 0 && \
  head -n 1 '$TMP/out' | grep -qxF \"$TMP/scn/bad.sweep:3:21: error: ka is in 1/h; 'mg' is not a rate (give a value in 1/h or a compatible unit such as 1/d)\" && \
  test ! -e '$TMP/scn/bad.h5'"
finish
