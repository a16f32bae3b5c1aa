#!/bin/sh
# synovia — conditional doses (docs/scenarios.md, "Conditional doses"): a dose
# given each time a condition becomes true, found by the model's event
# root-finding. Checked against the closed form of a one-compartment IV model
# (models/pk_one_compartment.model, k = CL/V = 0.25 /h, C0 = 5 mg/L): re-dosed
# 100 mg when C falls below C_thr = 1 mg/L, the k-th dose comes at
#   t_1 = ln(C0 / C_thr) / k,  t_k = t_{k-1} + ln(C_peak / C_thr) / k,  C_peak = C_thr + C0,
# `at most N` stops after N, `after T` ignores earlier crossings, `every at
# least P` spaces them, and a condition already true at the start gives no dose then.
. tests/lib/tap.sh
M="$PWD/models/pk_one_compartment.model"
# times FILE ARM: the dose times of an arm, space-separated
dose_times() {
  "$PYTHON" -c "
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
a = f['arms'][sys.argv[2]]
print(' '.join('%.12g' % t for t in a['doses']['time'][()]) if 'doses' in a else '')" "$@"
}
# close GOT WANT: the same numbers within 1e-7 relative (a run at rtol 1e-10)
close() {
  "$PYTHON" -c "
import sys
g = [float(x) for x in sys.argv[1].split()]; w = [float(x) for x in sys.argv[2].split()]
assert len(g) == len(w) and all(abs(a - b) <= 1e-7 * max(1, abs(b)) for a, b in zip(g, w)), (g, w)" "$1" "$2" \
    || { echo "# got '$1', want '$2'"; false; }
}
want() { # want N0 FIRST...: closed-form times (python, independent of the solver)
  "$PYTHON" -c "
import math, sys
k = 0.25; thr = 1.0; c0 = 5.0; args = sys.argv[1:]
kind = args[0]
if kind == 'thr':
    n = int(args[1]); t = [0.0, math.log(c0 / thr) / k]
    while len(t) < n + 1: t.append(t[-1] + math.log((thr + c0) / thr) / k)
    print(' '.join('%.12g' % x for x in t))
" "$@"
}
cat >"$TMP/a.scenario" <<EOF2
model "$M"
simulate 0 h to 48 h every 1 h
solver rtol 1e-10 atol 1e-12
arm "most3"
  dose IV 100 mg at 0 h
  dose IV 100 mg when C < 1 at most 3 times
arm "after20"
  dose IV 100 mg at 0 h
  dose IV 100 mg when C < 1 mg/L after 20 h at most 1 times
arm "apart"
  dose IV 100 mg at 0 h
  dose IV 10 mg when C < 1 every at least 4 h before 30 h
arm "true at start"
  dose IV 100 mg when C < 1 at most 1 times
metric Cmin = min(C)
EOF2
if "$SYNOVIA" run "$TMP/a.scenario" -o "$TMP/a.h5" >"$TMP/out" 2>&1; then ok "a scenario with conditional doses runs"
else not_ok "run"; sed 's/^/# /' "$TMP/out"; fi
got=$(dose_times "$TMP/a.h5" most3)
close "$got" "$(want thr 3)" && ok "re-dosed at the closed-form crossings, at most 3 times" || not_ok "at most 3"
# after 20 h: the crossings at 6.44 h and 13.6 h are ignored; C = 5 exp(-20 k) < 1 at 20 h is
# already true when the window opens, so the dose comes at 20 h exactly
# the whole series against superposition over the closed-form dose times; an output time just
# before a dose shows the state before it (6 h, the first re-dose at 6.44 h)
check "the series between re-doses is the closed form" "$PYTHON" -c "
import h5py, math, sys
f = h5py.File(sys.argv[1], 'r'); a = f['arms']['most3']
k = 0.25; td = [0.0, math.log(5) / k]
while len(td) < 4: td.append(td[-1] + math.log(6) / k)
for t, c in zip(a['time'][()], a['C'][()]):
    want = sum(5 * math.exp(-k * (t - d)) for d in td if d <= t)
    assert abs(c - want) <= 1e-7 * want, (t, c, want)" "$TMP/a.h5"
got=$(dose_times "$TMP/a.h5" after20)
close "$got" "0 20" && ok "after T: earlier crossings ignored, a condition true at T doses at T" || not_ok "after"
# 10 mg every at least 4 h while C < 1: C stays below 1 after each 0.5 mg/L dose, so one
# dose every 4 h from the first crossing while t <= 30 h
got=$(dose_times "$TMP/a.h5" apart)
t1=$("$PYTHON" -c "import math; print(math.log(5) / 0.25)")
w=$("$PYTHON" -c "
t = [0, $t1]
while t[-1] + 4 <= 30: t.append(t[-1] + 4)
print(' '.join('%.12g' % x for x in t))")
close "$got" "$w" && ok "every at least P: re-dosed P apart while the condition holds" || not_ok "apart"
got=$(dose_times "$TMP/a.h5" "true at start")
[ -z "$got" ] && ok "a condition true at the start gives no dose then (none later: it stays true)" \
  || not_ok "true at start: got '$got'"
grep -q "arm 'most3': 3 conditional doses given" "$TMP/out" && ok "synovia run prints the count per arm" \
  || { not_ok "count printed"; sed 's/^/# /' "$TMP/out"; }
# a sweep varies the conditional dose's amount: C at 48 h after the 3 re-doses, each of D
# (C_peak = 1 + D / V), against superposition over the closed-form times
cat >"$TMP/w.sweep" <<EOF2
sweep "the re-dose's amount"
scenario "a.scenario"
design grid
vary "dose:most3:IV:2.amount" uniform 50 150 mg levels 3
arms "most3"
metrics Cend
EOF2
printf 'metric Cend = at(C, 48 h)\n' >>"$TMP/a.scenario"
if "$SYNOVIA" sweep "$TMP/w.sweep" -o "$TMP/w.h5" >"$TMP/out" 2>&1; then ok "a sweep over a conditional dose's amount runs"
else not_ok "sweep"; sed 's/^/# /' "$TMP/out"; fi
check "the sweep's values are the closed form for each amount" "$PYTHON" -c "
import h5py, math, sys
f = h5py.File(sys.argv[1], 'r'); k = 0.25
for d, c in zip(f['param_value'][()].ravel(), f['arms/most3/metric_value'][()].ravel()):
    t = [0, math.log(5) / k]
    while len(t) < 4: t.append(t[-1] + math.log(1 + d / 20) / k)
    want = 5 * math.exp(-k * 48) + sum(d / 20 * math.exp(-k * (48 - x)) for x in t[1:])
    assert abs(c - want) <= 1e-6 * want, (d, c, want)" "$TMP/w.h5"
# sensitivities across the conditional doses (model events that assign parameters; docs/
# sensitivities.md, Events): after the 3 re-doses, C(48 h) = C0 (1 + C0)^3 e^(-48 k) with
# C0 = 100 mg / V (each crossing time moves with k = CL/V and C0), so dC/dCL = -48/V C and
# dC/dV = (-1/V - 3 C0 / (V (1 + C0)) + 48 CL / V^2) C; the metric Cend's gradient too
if "$SYNOVIA" run "$TMP/a.scenario" --arm most3 --sensitivities CL,V -o "$TMP/s.h5" >"$TMP/out" 2>&1
then ok "sensitivities of an arm with conditional doses run"
else not_ok "sensitivities run"; sed 's/^/# /' "$TMP/out"; fi
check "dC/dCL and dC/dV at 48 h, and Cend's gradient, are the closed form's" "$PYTHON" -c "
import h5py, math, sys
f = h5py.File(sys.argv[1], 'r'); s = f['arms/most3/sensitivities']
V, CL = 20.0, 5.0; k = CL / V; c0 = 100 / V
c = c0 * (1 + c0) ** 3 * math.exp(-48 * k)
want = [-48 / V * c, (-1 / V - 3 * c0 / (V * (1 + c0)) + 48 * CL / V ** 2) * c]
got = s['C'][()][:, -1]; grad = s['metric_gradient'][()][-1, :]
for g, m, w in zip(got, grad, want):
    assert abs(g - w) <= 1e-6 * abs(w) and abs(m - w) <= 1e-6 * abs(w), (g, m, w)" "$TMP/s.h5"
# a conditional dose's own amount: cdose_K_amt is set by the arm, its derivative does not
# reach the event that gives it: refused, naming the arm and the parameter, nothing written
"$SYNOVIA" run "$TMP/a.scenario" --arm most3 --sensitivities "dose:most3:IV:2.amount" \
  -o "$TMP/r.h5" >"$TMP/out" 2>&1
rc=$?
check "a sensitivity to a conditional dose's amount is refused (the arm fails, nothing written)" \
  sh -c 'test "$1" -ne 0 && grep -q "the sensitivity to .dose:most3:IV:2.amount. through the conditional dose by route IV" "$2" && test ! -e "$3"' - "$rc" "$TMP/out" "$TMP/r.h5"
finish
