#!/usr/bin/env python3
"""synovia — recovery and interval coverage of `synovia fit` on the shipped
knee model (issue 15, Correctness; docs/fitting.md "Does it work? Recovery
and coverage").

The truth is examples/knee_ia_vs_iv.scenario run by `synovia run` with the
model values of TRUTH set (severity, w_p), read at nine visits per arm. Each
of R datasets adds noise to it exactly as knee3.fit's noise models say, with
its own seed (numpy's SeedSequence of [SEED, r]: dataset r is the same
whatever R and whichever process makes it):

  IL6_sf  log-normal, sd = data: the table gives the patients' sd
          (0.35 x value) and n = 20; the fit's sd of ln value is
          sqrt(ln(1 + (0.35 / sqrt 20)^2)), and so is the noise drawn here;
  VAS     normal, sd = data: patient sd 12 mm, n = 20, noise sd 12 / sqrt 20;
  CRP     normal, sd = sigma_CRP + 0.1 y at the simulated y (sigma_CRP
          estimated, its truth 0.1).

Each dataset is fitted with knee3.fit (lm, 4 LHS starts, profiles of the
three parameters) and the objective is evaluated at the truth. Per
parameter: how often the 95 % profile interval and the Fisher (Wald)
interval contain the truth, with Wilson 95 % intervals of those rates, the
mean estimate and its bias; and how often the best objective is at or below
the truth's (the fit found the optimum, not merely a point near the truth)
and the likelihood ratio 2 (f(truth) - f_best) is below chi2_3(0.95) (the
joint 95 % region covers the truth).

Usage, from the repository's top folder (build/release/synovia built):
    /usr/bin/python3 tests/bench/coverage/coverage.py [-R 100] [-j 2]
        [--synovia PATH] [--work DIR] [--first R0]
Fits run under nice -n 19, j at a time; each dataset's folder in DIR
(default build/coverage) keeps its table, fit file, fit output and
result.json, so a rerun only fits the datasets it has no result for
(delete DIR to start over). Prints the table docs/fitting.md quotes and
writes it to DIR/summary.md."""
import argparse
import concurrent.futures
import csv
import datetime
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SCENARIO = os.path.join(TOP, "examples", "knee_ia_vs_iv.scenario")
TEMPLATE = os.path.join(HERE, "knee3.fit")
SEED = 2026
ARMS = ("control", "IA 50M UC-MSC", "IV 100M UC-MSC")
VISITS_D = [0, 3, 7, 14, 28, 56, 90, 120, 180]
# the estimated parameters at the truth (linear values); the model values
# are set in `synovia run`, sigma_CRP is the CRP noise's additive part
TRUTH = {"severity": 0.06, "w_p": 0.16, "sigma_CRP": 0.1}
MODEL_VALUES = ("severity", "w_p")
N_PATIENTS = 20
IL6_SD_REL = 0.35      # patients' sd / value
PAIN_SD = 12.0         # mm, patients
CRP_REL = 0.1          # the fixed proportional part of the CRP sd
LEVEL = 0.95


def simulate_truth(synovia):
    """{arm: {series: values at VISITS_D}} of the scenario at TRUTH."""
    sets = [a for n in MODEL_VALUES for a in ("--set", f"{n}={TRUTH[n]!r}")]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "truth.h5")
        subprocess.run([synovia, "run", SCENARIO, "-q", "-o", out] + sets, check=True,
                       stdout=subprocess.DEVNULL)
        with h5py.File(out, "r") as f:
            truth = {}
            for arm in ARMS:
                g = f["arms"][arm]
                t_h = g["time"][:]
                idx = [int(np.argmin(abs(t_h - d * 24.0))) for d in VISITS_D]
                # the visits are output times (every 1 d): values, not interpolations
                assert all(abs(t_h[i] - d * 24.0) < 1e-9 for i, d in zip(idx, VISITS_D))
                truth[arm] = {s: g[s][:][idx] for s in ("knee.IL6", "knee.pain_VAS", "CRP")}
            return truth


def dataset_rows(truth, r):
    """Dataset r: the table rows, noise as knee3.fit's noise models say."""
    rng = np.random.default_rng([SEED, r])
    il6_sd_log = math.sqrt(math.log1p((IL6_SD_REL / math.sqrt(N_PATIENTS)) ** 2))
    pain_se = PAIN_SD / math.sqrt(N_PATIENTS)
    src = f"synthetic: tests/bench/coverage/coverage.py (seed {SEED}, dataset {r})"
    rows = []
    for arm in ARMS:
        y = truth[arm]
        for k, day in enumerate(VISITS_D):
            il6 = y["knee.IL6"][k] * math.exp(rng.normal(0.0, il6_sd_log))
            rows.append([arm, day, "IL6_sf", f"{il6:.12g}", f"{IL6_SD_REL * il6:.12g}",
                         N_PATIENTS, src])
            pain = y["knee.pain_VAS"][k] + rng.normal(0.0, pain_se)
            rows.append([arm, day, "VAS", f"{pain:.12g}", f"{PAIN_SD:g}", N_PATIENTS, src])
            crp = y["CRP"][k]
            crp_m = crp + rng.normal(0.0, TRUTH["sigma_CRP"] + CRP_REL * crp)
            rows.append([arm, day, "CRP_serum", f"{crp_m:.12g}", "", "", src])
    return rows


def write_dataset(folder, rows):
    """knee3.csv and knee3.fit (the template, its scenario an absolute path)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "knee3.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["arm", "time (d)", "observable", "value", "sd", "n", "source"])
        w.writerows(rows)
    with open(TEMPLATE) as f:
        text = f.read()
    text, n = re.subn(r'(?m)^scenario "[^"]*"', f'scenario "{SCENARIO}"', text)
    assert n == 1
    with open(os.path.join(folder, "knee3.fit"), "w") as f:
        f.write(text)


def objective_at_truth(synovia, fit_file):
    at = [a for n, v in TRUTH.items() for a in ("--at", f"{n}={v!r}")]
    out = subprocess.run(["nice", "-n", "19", synovia, "fit", fit_file, "--evaluate"] + at,
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r": objective (\S+)", out).group(1))


def read_fit(path):
    with h5py.File(path, "r") as f:
        u = f["uncertainty"]
        return {
            "param": [s.decode() for s in f["param"][:]],
            "estimate": f["estimate"][:].tolist(),
            "lower_bound": f["lower"][:].tolist(),
            "upper_bound": f["upper"][:].tolist(),
            "profile_lower": u["interval_lower"][:].tolist(),
            "profile_upper": u["interval_upper"][:].tolist(),
            "fisher_lower": u["fisher_lower"][:].tolist(),
            "fisher_upper": u["fisher_upper"][:].tolist(),
            "identifiability": [s.decode() for s in u["identifiability"][:]],
            "best_objective": float(f.attrs["best_objective"]),
            "lowest_objective": float(u.attrs["lowest_objective"]),
            "threshold": float(u.attrs["threshold"]),
            "starts_failed": int(sum(s.startswith(b"failed") for s in f["status"][:])),
            "starts_at_best": int(np.sum(f["objective"][:] <= f.attrs["best_objective"] + 0.01)),
        }


def config_id():
    """What a cached result depends on: the fit file, the truth, the visits,
    the noise and the seed."""
    h = hashlib.sha256()
    with open(TEMPLATE, "rb") as f:
        h.update(f.read())
    h.update(repr((SEED, ARMS, VISITS_D, TRUTH, MODEL_VALUES, N_PATIENTS, IL6_SD_REL, PAIN_SD,
                   CRP_REL)).encode())
    return h.hexdigest()[:16]


def fit_one(synovia, work, truth, r):
    """Make, fit and score dataset r; its result.json is the cache (used
    only when made by the same fit file and script)."""
    folder = os.path.join(work, f"{r:04d}")
    done = os.path.join(folder, "result.json")
    if os.path.exists(done):
        with open(done) as f:
            res = json.load(f)
        if res.get("config") == config_id():
            return dict(res, cached=True)
    write_dataset(folder, dataset_rows(truth, r))
    fit_file = os.path.join(folder, "knee3.fit")
    t0 = time.monotonic()
    p = subprocess.run(["nice", "-n", "19", synovia, "fit", fit_file, "-q", "-o",
                        os.path.join(folder, "fit.h5")], capture_output=True, text=True)
    res = {"config": config_id(), "dataset": r, "seconds": time.monotonic() - t0, "exit": p.returncode}
    if p.returncode == 0:
        res.update(read_fit(os.path.join(folder, "fit.h5")))
        res["objective_at_truth"] = objective_at_truth(synovia, fit_file)
    else:
        res["error"] = p.stderr[-2000:]
    with open(done, "w") as f:
        json.dump(res, f)
    return res


def wilson(k, n, z=stats.norm.ppf(0.975)):
    """The Wilson score 95 % interval of a binomial rate k/n."""
    if n == 0:
        return (math.nan, math.nan)
    c = (k + z * z / 2) / (n + z * z)
    h = z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    return (c - h, c + h)


def sides(r, j, kind):
    """A result's interval of parameter j (kind "profile" or "fisher"); a
    profile side without a crossing (NaN) reaches its bound: the confidence
    set is the whole side up to it."""
    lo, hi = r[kind + "_lower"][j], r[kind + "_upper"][j]
    if kind == "profile":
        lo = r["lower_bound"][j] if math.isnan(lo) else lo
        hi = r["upper_bound"][j] if math.isnan(hi) else hi
    return lo, hi


def misses(results, j, kind, x):
    """'below/above': how often the truth was below / above the interval."""
    below = sum(x < sides(r, j, kind)[0] for r in results)
    above = sum(x > sides(r, j, kind)[1] for r in results)
    return f"{below}/{above}"


def median_interval(results, j, kind):
    return (f"[{np.nanmedian([r[kind + '_lower'][j] for r in results]):.3g}, "
            f"{np.nanmedian([r[kind + '_upper'][j] for r in results]):.3g}]")


def rate(k, n):
    lo, hi = wilson(k, n)
    return f"{k}/{n} = {k / n:.2f} [{lo:.2f}, {hi:.2f}]" if n else "-"


def summarise(results):
    ok = [r for r in results if r["exit"] == 0]
    n = len(ok)
    lines = [f"R = {len(results)} datasets, {n} fitted ({len(results) - n} fits failed); "
             f"median {np.median([r['seconds'] for r in results]):.1f} s wall per fit "
             "(with profiles)", "",
             "| parameter | truth | mean estimate | bias | sd of estimates | profile coverage "
             "[Wilson 95 %] | misses below/above | median profile interval | Fisher coverage "
             "[Wilson 95 %] | misses below/above | median Fisher interval | not identifiable |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for j, name in enumerate(ok[0]["param"] if ok else []):
        x = TRUTH[name]
        est = np.array([r["estimate"][j] for r in ok])
        cov = {k: sum(sides(r, j, k)[0] <= x <= sides(r, j, k)[1] for r in ok)
               for k in ("profile", "fisher")}
        fnan = sum(math.isnan(r["fisher_lower"][j]) or math.isnan(r["fisher_upper"][j]) for r in ok)
        nonid = sum(r["identifiability"][j] != "identifiable" for r in ok)
        lines.append(f"| {name} | {x:g} | {est.mean():.4g} | {est.mean() - x:+.3g} "
                     f"({(est.mean() - x) / x:+.1%}) | {est.std(ddof=1):.3g} | "
                     + " | ".join(f"{rate(cov[k], n)} | {misses(ok, j, k, x)} | "
                                  f"{median_interval(ok, j, k)}" for k in ("profile", "fisher"))
                     + f" | {nonid} |")
        if fnan:
            notes.append(f"- {name}: {fnan} Fisher intervals NaN (not counted as covering)")
    tol = 1e-6
    at_opt = sum(r["best_objective"] <= r["objective_at_truth"] + tol for r in ok)
    lower = sum(r["lowest_objective"] < r["best_objective"] - tol * max(1, abs(r["best_objective"]))
                for r in ok)
    chi = stats.chi2.ppf(LEVEL, len(TRUTH))
    joint = sum(2 * (r["objective_at_truth"] - r["best_objective"]) <= chi for r in ok)
    lines += [""] + notes + [
              f"- best objective <= objective at the truth (+{tol:g}): {at_opt}/{n}",
              f"- starts that failed: {sum(r['starts_failed'] for r in ok)}; fits whose best "
              f"value only one start reached (within 0.01): "
              f"{sum(r['starts_at_best'] == 1 for r in ok)}/{n}",
              f"- a profile found a lower objective than the best: {lower}/{n}",
              f"- joint: 2 (f(truth) - f_best) <= chi2_{len(TRUTH)}(0.95) = {chi:.3f}: "
              f"{rate(joint, n)}"]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-R", type=int, default=100, help="datasets (default 100)")
    ap.add_argument("--first", type=int, default=0, help="index of the first dataset (0)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="fits at a time (2)")
    ap.add_argument("--synovia", default=os.path.join(TOP, "build", "release", "synovia"))
    ap.add_argument("--work", default=os.path.join(TOP, "build", "coverage"))
    a = ap.parse_args()
    synovia = os.path.abspath(a.synovia)
    os.makedirs(a.work, exist_ok=True)
    truth = simulate_truth(synovia)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        jobs = [pool.submit(fit_one, synovia, a.work, truth, r)
                for r in range(a.first, a.first + a.R)]
        results = []
        for k, job in enumerate(concurrent.futures.as_completed(jobs), 1):
            results.append(job.result())
            print(f"\r{k}/{a.R} fits", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    results.sort(key=lambda r: r["dataset"])
    cached = sum(r.get("cached", False) for r in results)
    head = (f"coverage study: {TEMPLATE[len(TOP) + 1:]}, datasets {a.first}..{a.first + a.R - 1} "
            f"(seed {SEED}), {datetime.date.today().isoformat()}: {a.R - cached} fitted in "
            f"{time.monotonic() - t0:.0f} s wall at {a.jobs} at a time, {cached} from {a.work}")
    text = head + "\n\n" + summarise(results) + "\n"
    with open(os.path.join(a.work, "summary.md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
