#!/bin/sh
# synovia fit recovers known parameters of the shipped knee model (issue 15,
# Correctness; docs/fitting.md "Does it work? Recovery and coverage"). One
# synthetic dataset, made from examples/knee_ia_vs_iv.scenario at known values
# by the coverage study's own generator (tests/bench/coverage/coverage.py,
# dataset 0: noise exactly as knee3.fit's noise models say), fitted with
# tests/bench/coverage/knee3.fit (severity, w_p and the CRP noise sigma_CRP;
# lm, 4 starts, profiles). Checked:
# - the objective at the truth against an independent sum of the likelihood
#   terms of docs/fitting.md, computed here (numpy) from `synovia run`'s
#   trajectories at the truth and the table: the data term, not the fit's code;
# - the fit reached the optimum: its best objective is at or below the
#   truth's, and the likelihood ratio 2 (f(truth) - f_best) is below
#   chi2_3(0.999) = 16.27 (the truth inside the joint 99.9 % region);
# - every parameter identifiable and the truth inside its 95 % profile
#   interval and its Fisher interval;
# - the estimate close: within 3 standard errors of the truth, the se from
#   the Fisher interval's half-width on the parameter's scale / 1.96 (a
#   3-se miss has probability 0.3 % per parameter under the model);
# - and that the checks can fail: a severity 25 % off the truth (0.075) is
#   outside its interval.
# The seed is fixed (dataset 0 of the study), so the result is the same on
# every run; the study (R = 100) gives how often such checks pass by chance.
. tests/lib/tap.sh
"$PYTHON" - "$SYNOVIA" "$TMP" >"$TMP/make.out" 2>&1 <<'PY'
import importlib.util, json, math, os, sys
import numpy as np
spec = importlib.util.spec_from_file_location("synovia_coverage", "tests/bench/coverage/coverage.py")
cov = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cov)
synovia, tmp = sys.argv[1], sys.argv[2]
truth = cov.simulate_truth(synovia)
rows = cov.dataset_rows(truth, 0)
cov.write_dataset(os.path.join(tmp, "d0"), rows)
# the negative log-likelihood at the truth, term by term (docs/fitting.md "The objective")
sd_il6 = math.sqrt(math.log1p((cov.IL6_SD_REL / math.sqrt(cov.N_PATIENTS)) ** 2))
nll = 0.0
for arm, day, obs, value, sd, n, _ in rows:
    k = cov.VISITS_D.index(day)
    m = float(value)
    if obs == "IL6_sf":
        y = truth[arm]["knee.IL6"][k]
        s = math.sqrt(math.log1p((float(sd) / math.sqrt(n) / m) ** 2))
        nll += 0.5 * math.log(2 * math.pi * s * s) + math.log(m) + 0.5 * ((math.log(m) - math.log(y)) / s) ** 2
    elif obs == "VAS":
        y, s = truth[arm]["knee.pain_VAS"][k], float(sd) / math.sqrt(n)
        nll += 0.5 * math.log(2 * math.pi * s * s) + 0.5 * ((m - y) / s) ** 2
    else:
        y = truth[arm]["CRP"][k]
        s = cov.TRUTH["sigma_CRP"] + cov.CRP_REL * y
        nll += 0.5 * math.log(2 * math.pi * s * s) + 0.5 * ((m - y) / s) ** 2
json.dump({"nll": nll, "truth": cov.TRUTH}, open(os.path.join(tmp, "truth.json"), "w"))
print("made", len(rows), "rows")
PY
check "dataset 0 made from the knee scenario at the truth" test $? -eq 0
sed 's/^/# /' "$TMP/make.out" | tail -3

"$SYNOVIA" fit "$TMP/d0/knee3.fit" -q -o "$TMP/fit.h5" >"$TMP/fit.out" 2>&1
check "fit with profiles: exit 0" test $? -eq 0
"$SYNOVIA" fit "$TMP/d0/knee3.fit" --evaluate --at severity=0.06 --at w_p=0.16 \
  --at sigma_CRP=0.1 >"$TMP/eval.out" 2>&1
check "the objective at the truth: exit 0" test $? -eq 0

"$PYTHON" - "$TMP" >"$TMP/check.out" 2>&1 <<'PY'
import json, math, re, sys
import h5py, numpy as np
from scipy import stats
tmp = sys.argv[1]
ref = json.load(open(tmp + "/truth.json"))
f_truth = float(re.search(r": objective (\S+)", open(tmp + "/eval.out").read()).group(1))
fails = []
def expect(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        fails.append(what)
expect(abs(f_truth - ref["nll"]) <= 1e-5 * abs(ref["nll"]),
       f"objective at the truth {f_truth:.9g} = independent sum {ref['nll']:.9g} (1e-5 relative)")
with h5py.File(tmp + "/fit.h5", "r") as f:
    names = [s.decode() for s in f["param"][:]]
    est, scale = f["estimate"][:], [s.decode() for s in f["scale"][:]]
    u = f["uncertainty"]
    lo, hi = u["interval_lower"][:], u["interval_upper"][:]
    flo, fhi = u["fisher_lower"][:], u["fisher_upper"][:]
    cls = [s.decode() for s in u["identifiability"][:]]
    best = float(f.attrs["best_objective"])
expect(best <= f_truth + 1e-6, f"best {best:.9g} <= objective at the truth {f_truth:.9g}")
lr = 2 * (f_truth - best)
expect(lr <= stats.chi2.ppf(0.999, 3), f"likelihood ratio {lr:.3f} <= chi2_3(0.999) 16.27")
to_scale = {"lin": lambda v: v, "log": math.log, "log10": math.log10}
for j, name in enumerate(names):
    x = ref["truth"][name]
    expect(cls[j] == "identifiable", f"{name}: {cls[j]}")
    expect(lo[j] < x < hi[j], f"{name}: truth {x} in the profile interval [{lo[j]:.5g}, {hi[j]:.5g}]")
    expect(flo[j] < x < fhi[j], f"{name}: truth {x} in the Fisher interval [{flo[j]:.5g}, {fhi[j]:.5g}]")
    g = to_scale[scale[j]]
    se = (g(fhi[j]) - g(flo[j])) / (2 * stats.norm.ppf(0.975))
    z = (g(est[j]) - g(x)) / se
    expect(abs(z) <= 3, f"{name}: estimate {est[j]:.5g}, {z:+.2f} se from the truth")
j = names.index("severity")
expect(not (lo[j] < 0.075 < hi[j]), "a severity 25 % off (0.075) is outside its interval")
print("ok" if not fails else "failed: " + "; ".join(fails))
PY
check "recovery: objective, optimum, intervals, estimates (see the lines below)" \
  grep -q '^ok$' "$TMP/check.out"
sed 's/^/# /' "$TMP/check.out"
finish
