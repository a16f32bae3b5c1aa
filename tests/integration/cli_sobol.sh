# synovia — Sobol indices as a person reads them (synovia summary, and the
# sweep's own report): never "-0.000"; an index outside [0, 1] (where no true
# index lies) is named in a note under its table with its interval; wide
# intervals get a note after the tables saying what the estimator's noise
# means at this N, with the widest interval the file holds. The values the
# notes must name are read from the file (h5py), and a copy of the file with
# an S1 of 1.017 and one of -0.0001 checks both edges.
. tests/lib/tap.sh
mkdir -p "$TMP/ex/examples"
cp -r models "$TMP/ex/"
cp examples/knee_ia_vs_iv.scenario "$TMP/ex/examples/"
sed 's/^design saltelli [0-9]*/design saltelli 16/' examples/ia_iv_sobol.sweep \
  >"$TMP/ex/examples/small.sweep"
abs_synovia=$(cd "$(dirname "$SYNOVIA")" && pwd)/$(basename "$SYNOVIA")
(cd "$TMP/ex" && "$abs_synovia" sweep examples/small.sweep -o small.h5) >"$TMP/sweep.out" 2>&1
F=$TMP/ex/small.h5
check "a small Saltelli sweep (N = 16) runs" test -s "$F"
"$SYNOVIA" summary "$F" --width 0 >"$TMP/sum.out" 2>&1
check "summary: no index reads -0.000" sh -c "! grep -q -- '-0\.000' '$TMP/sum.out'"
check "the sweep's report: no index reads -0.000" sh -c "! grep -q -- '-0\.000' '$TMP/sweep.out'"

# what the notes must say, from the file
"$PYTHON" - "$F" >"$TMP/want" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    params = list(f["param"].asstr()[:])
    widest = 0.0
    for arm, g in f["arms"].items():
        if "sobol_S1" not in g:
            continue
        n = int(g.attrs["sobol_n_base"])
        for key in ("sobol_S1", "sobol_ST"):
            v, c = g[key][:], np.abs(g[key + "_conf"][:])
            widest = max(widest, float(np.nanmax(c)))
            for m, j in zip(*np.nonzero((v < -0.0005) | (v >= 1.0005))):
                print(f"outside {params[j]} {key[-2:]} = {v[m, j]:.3f} ± {c[m, j]:.3f}")
    print(f"final from N = {n} base rows")
    print(f"final reach ± {widest:.3f}")
EOF
missing=""
while IFS= read -r line; do
  text=${line#* }
  tr '\n' ' ' <"$TMP/sum.out" | sed 's/  */ /g' | grep -qF -- "$text" || missing="$missing [$text]"
done <"$TMP/want"
if [ -z "$missing" ]; then ok "summary: the notes name every index outside [0, 1] and the widest interval ($(wc -l <"$TMP/want") facts from the file)"
else not_ok "summary: the notes name every index outside [0, 1] and the widest interval: missing$missing"; sed 's/^/# /' "$TMP/sum.out" | tail -20; fi
check "summary: one note on the estimator's noise, after the tables" \
  test "$(grep -c 'note: Sobol indices are estimates' "$TMP/sum.out")" -eq 1
check "the sweep's report has the notes too" grep -q 'note: Sobol indices are estimates' "$TMP/sweep.out"

# the edges: S1 = 1.017 (above 1) and -0.0001 (rounds to 0.000, no note)
cp "$F" "$TMP/edge.h5"
"$PYTHON" - "$TMP/edge.h5" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    g = f["arms"][list(f["arms"])[0]]
    s1 = g["sobol_S1"][:]
    s1[0, 0], s1[0, 1] = 1.017, -0.0001
    g["sobol_S1"][...] = s1
EOF
"$SYNOVIA" summary "$TMP/edge.h5" --width 0 >"$TMP/edge.out" 2>&1
p0=$("$PYTHON" -c "import h5py, sys; print(h5py.File(sys.argv[1], 'r')['param'].asstr()[0])" "$TMP/edge.h5")
p1=$("$PYTHON" -c "import h5py, sys; print(h5py.File(sys.argv[1], 'r')['param'].asstr()[1])" "$TMP/edge.h5")
check "an S1 of 1.017 is named as outside [0, 1]" \
  sh -c "tr '\n' ' ' <'$TMP/edge.out' | sed 's/  */ /g' | grep -q 'note: $p0 S1 = 1.017 ± [0-9.]* lies outside \[0, 1\]'"
check "an S1 of -0.0001 reads 0.000 and is not called outside" \
  sh -c "grep -q '^  $p1  *0.000 ± ' '$TMP/edge.out' && ! tr '\n' ' ' <'$TMP/edge.out' | sed 's/  */ /g' | grep -q '$p1 S1 = -0.000'"
finish
