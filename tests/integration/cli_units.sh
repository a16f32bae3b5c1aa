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
finish
