#!/bin/sh
# synovia fit: profiles, intervals, identifiability, Fisher intervals,
# predictions and fitted curves in the fit file (issue 15 points 5-6; the
# layout is the contract with scripts/synovia-plot). A straight line
# y = a + b t with a known sd: the file's profile and Fisher intervals and
# the prediction of the intercept against ordinary least squares computed
# here by numpy (classical intervals, z = 1.959964); the knee example
# (examples/fit/knee_uncertainty.fit): every dataset of the layout, the
# truth inside the intervals, summary's tables; --no-profiles; a prediction
# naming an unknown metric or arm: one located message, nothing written.
. tests/lib/tap.sh
mkdir -p "$TMP/line"
cat >"$TMP/line/m.model" <<'M'
time unit h
param a = 1
param b = 1 /h
state z = 0 h
d/dt z = 1
output y = a + b * z
M
cat >"$TMP/line/s.scenario" <<'S'
model "m.model"
simulate 0 h to 5 h every 1 h
solver rtol 1e-12 atol 1e-14
arm "a"
arm "b"
  set z = 1 h
metric y0 = at(y, 0 h)
S
printf 'arm,time (h),observable,value\na,1,yo,2.1\na,2,yo,2.9\na,3,yo,4.2\na,4,yo,4.8\na,5,yo,6.3\n' \
  >"$TMP/line/d.csv"
cat >"$TMP/line/f.fit" <<'F'
scenario "s.scenario"
data "d.csv"
observable yo = y
  noise normal sd = 0.3
estimate a lin within -20 20
estimate b lin within -20 20
multistart 2
predict "intercept" = y0 in "a"
predict "slope" = y0 in "b" - y0 in "a"
F
"$SYNOVIA" fit "$TMP/line/f.fit" -q -o "$TMP/line.h5" >"$TMP/line.out" 2>&1
check "line: fit with profiles, exit 0" test $? -eq 0
"$PYTHON" - "$TMP/line.h5" >"$TMP/line.py" 2>&1 <<'PY'
import sys
import h5py, numpy as np
from scipy import stats
t = np.arange(1.0, 6.0); y = np.array([2.1, 2.9, 4.2, 4.8, 6.3]); sd = 0.3
X = np.column_stack([np.ones(5), t])
est = np.linalg.solve(X.T @ X, X.T @ y)
se = sd * np.sqrt(np.diag(np.linalg.inv(X.T @ X)))
z = np.sqrt(stats.chi2.ppf(0.95, 1))
with h5py.File(sys.argv[1], "r") as f:
    u = f["uncertainty"]
    assert abs(u.attrs["threshold"] - stats.chi2.ppf(0.95, 1) / 2) < 1e-12
    for name in ("interval", "fisher"):
        lo, hi = u[name + "_lower"][:], u[name + "_upper"][:]
        assert np.allclose(lo, est - z * se, atol=1e-6, rtol=0), (name, lo, est - z * se)
        assert np.allclose(hi, est + z * se, atol=1e-6, rtol=0), (name, hi, est + z * se)
    assert [s.decode() for s in u["identifiability"][:]] == ["identifiable"] * 2
    p = f["prediction"]
    assert [s.decode() for s in p["name"][:]] == ["intercept", "slope"]
    assert np.allclose(p["estimate"][:], est, atol=1e-8)
    assert np.allclose(p["lower"][:], est - z * se, atol=1e-6, rtol=0)
    assert np.allclose(p["upper"][:], est + z * se, atol=1e-6, rtol=0)
    # every profile point is a re-optimised vector: b given a is the conditional least squares
    pr = f["profile"]
    for k in np.where(pr["param"][:] == 0)[0]:
        a = pr["x"][k, 0]
        assert abs(pr["x"][k, 1] - (t @ (y - a)) / (t @ t)) < 1e-6
        assert abs(pr["objective"][k] - (0.5 * np.sum(((y - a - pr["x"][k, 1] * t) / sd) ** 2)
                   + 5 * (0.5 * np.log(2 * np.pi) + np.log(sd)))) < 1e-8
    fit = f["fitted"]
    tt, v = fit["time"][:], fit["value"][:]
    assert len(tt) >= 201 and np.allclose(v, est[0] + est[1] * tt, atol=1e-6)
    # chi2: the least-squares residual sum of squares, independently
    rss = np.sum(((y - X @ est) / sd) ** 2)
    assert abs(f.attrs["chi2"] - rss) < 1e-8 * max(1.0, rss), (f.attrs["chi2"], rss)
print("ok")
PY
check "line: profile, Fisher and prediction intervals = the classical ones (numpy, 1e-6); chi2 = the RSS" \
  grep -q '^ok$' "$TMP/line.py"
sed 's/^/# /' "$TMP/line.py" | tail -5

KNEE=examples/fit/knee_uncertainty.fit
"$SYNOVIA" fit "$KNEE" -q -o "$TMP/knee.h5" >"$TMP/knee.out" 2>&1
check "knee_uncertainty.fit: exit 0" test $? -eq 0
"$PYTHON" - "$TMP/knee.h5" >"$TMP/knee.py" 2>&1 <<'PY'
import sys
import h5py, numpy as np, xarray as xr
with h5py.File(sys.argv[1], "r") as f:
    n = f["param"].shape[0]
    u = f["uncertainty"]
    for a in ("confidence", "threshold", "best_objective"):
        assert a in u.attrs, a
    for d in ("interval_lower", "interval_upper", "identifiability", "fisher_lower", "fisher_upper"):
        assert u[d].shape == (n,), d
    assert u["fisher_lower"].attrs["method"].decode() == "Fisher information (Wald) at the best estimate"
    pr = f["profile"]
    m = pr["point"].shape[0]
    assert m > 4 and pr["x"].shape == (m, n)
    for d in ("param", "value", "objective", "status"):
        assert pr[d].shape == (m,), d
    fit = f["fitted"]
    r = fit["row"].shape[0]
    for d in ("arm", "observable", "time", "value"):
        assert fit[d].shape == (r,), d
    assert fit["time"].attrs["units"].decode() == "h"
    arms = {s.decode() for s in f["data/arm"][:]}
    assert {s.decode() for s in fit["arm"][:]} == arms
    p = f["prediction"]
    for d in ("name", "formula", "estimate", "lower", "upper", "units", "method"):
        assert p[d].shape == (3,), d
    assert np.all(p["lower"][:] <= p["estimate"][:]) and np.all(p["estimate"][:] <= p["upper"][:])
    # the truth that made the data (examples/fit/make_data.py) inside the intervals
    names = [s.decode() for s in f["param"][:]]
    truth = {"severity": 0.06, "w_p": 0.16}
    for j, name in enumerate(names):
        assert u["interval_lower"][j] < truth[name] < u["interval_upper"][j], name
xr.open_dataset(sys.argv[1], group="uncertainty")
xr.open_dataset(sys.argv[1], group="profile")
xr.open_dataset(sys.argv[1], group="fitted")
xr.open_dataset(sys.argv[1], group="prediction")
print("ok")
PY
check "knee: the layout's datasets, the truth inside the intervals, xarray opens the groups" \
  grep -q '^ok$' "$TMP/knee.py"
sed 's/^/# /' "$TMP/knee.py" | tail -5
"$SYNOVIA" summary "$TMP/knee.h5" --width 200 >"$TMP/sum.out" 2>&1
check "summary: the interval table with classes and the predictions" \
  sh -c "grep -q 'profile lower.*Fisher upper.*identifiability' '$TMP/sum.out' &&
         grep -q '^ *severity .* identifiable' '$TMP/sum.out' &&
         grep -q 'IL-6 AUC 28 d, IA minus IV' '$TMP/sum.out'"

"$SYNOVIA" fit "$KNEE" -q --no-profiles -o "$TMP/np.h5" >"$TMP/np.out" 2>&1
"$PYTHON" -c "
import h5py, sys, math
f = h5py.File(sys.argv[1], 'r')
assert 'profile' not in f and 'fitted' in f
assert [s.decode() for s in f['uncertainty/identifiability'][:]] == ['not profiled'] * 2
assert all(math.isnan(v) for v in f['prediction/lower'][:])
assert all(math.isfinite(v) for v in f['uncertainty/fisher_lower'][:])
" "$TMP/np.h5" >"$TMP/np.py" 2>&1
check "--no-profiles: no /profile, 'not profiled', Fisher intervals still there" test $? -eq 0

sed 's/predict "slope" = y0 in "b" - y0 in "a"/predict "slope" = y1 in "b" - y0 in "c"/' \
  "$TMP/line/f.fit" >"$TMP/line/bad.fit"
"$SYNOVIA" fit "$TMP/line/bad.fit" -q -o "$TMP/bad.h5" >"$TMP/bad.out" 2>&1
check "a prediction with an unknown metric: exit 1, located, nothing written" \
  sh -c "[ $? -eq 1 ] && grep -q 'bad.fit:9:19: error: unknown metric .y1. (did you mean .y0.?)' '$TMP/bad.out' && [ ! -e '$TMP/bad.h5' ]"
finish
