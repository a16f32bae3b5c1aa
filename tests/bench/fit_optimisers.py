#!/usr/bin/env python3
"""synovia bench — the optimisers compared on the fit problems, the numbers of
docs/optimisers.md ("How the default was chosen") and docs/benchmarks.md
(Boehm from 100 random starts).

For each problem (examples/fit/knee_trial.fit, tests/bench/knee10/knee10.fit,
tests/data/petab/Boehm_JProteomeRes2014/boehm2014.fit) and each optimiser of
the table (lm, lbfgs, slsqp, bobyqa), `synovia fit --optimizer T --starts N`
serially (the fit file's LHS design and seed, the same starts for every
optimiser), and from its output file: how many starts reach the best value
within 0.01 and within 1e-6 relative (the best: the lowest objective any
optimiser found on that problem; for Boehm the published reference
138.22199693517703, Boehm et al. 2014 / the PEtab benchmark collection), the
spread of the objectives of those within 0.01, the median evaluations per start,
the CPU and wall time per start (the run's / N), and the statuses.
Then Boehm from 100 random starts inside the bounds (`multistart 100
random`) with each optimiser: how many reach the reference within 0.01 and
the CPU time per start. No timing is asserted: it prints.

Usage: fit_optimisers.py SYNOVIA [--starts N] [--boehm-starts N] [--boehm100 N]
       [--boehm-parts K] [--boehm-optimisers lm,lbfgs,...]
       [--only knee_trial|knee10|boehm|boehm100]\n(defaults 16, 10, 100, 2, all four)"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BOEHM_DIR = os.path.join(TOP, "tests/data/petab/Boehm_JProteomeRes2014")
BOEHM_REF = 138.22199693517703
PROBLEMS = [("knee_trial", os.path.join(TOP, "examples/fit/knee_trial.fit"), None),
            ("knee10", os.path.join(TOP, "tests/bench/knee10/knee10.fit"), None),
            ("boehm", os.path.join(BOEHM_DIR, "boehm2014.fit"), BOEHM_REF)]
OPTIMISERS = ["lm", "lbfgs", "slsqp", "bobyqa"]


def run_fit(synovia, fit, optimiser, starts, out):
    args = [synovia, "fit", fit, "--starts", str(starts), "-q", "-o", out]
    if optimiser:
        args += ["--optimizer", optimiser]
    t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(args, capture_output=True, text=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU (user + sys) of the run: on a shared machine wall time depends on the load
    wall = (time.perf_counter() - t0, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    if p.returncode != 0:
        return None, wall, p.stderr.strip().splitlines()[-1:] or ["exit %d" % p.returncode]
    with h5py.File(out, "r") as f:
        status = [s.decode() if isinstance(s, bytes) else str(s) for s in f["status"][:]]
        res = {"objective": f["objective"][:], "evaluations": f["evaluations"][:],
               "status": status}
    return res, wall, None


def status_word(s):
    """the status's kind: converged, stalled, stopped (a limit), failed"""
    for w in ("converged", "stalled", "failed"):
        if s.startswith(w) or (w == "stalled" and "no further progress" in s):
            return w
    return "stopped" if s.startswith("stopped") else "other"


def summarise(name, optimiser, res, wall, starts, best):
    obj = res["objective"]
    ok = np.isfinite(obj)
    near = ok & (obj <= best + 0.01)
    tight = ok & (np.abs(obj - best) <= 1e-6 * abs(best))
    spread = (obj[near].max() - obj[near].min()) / abs(best) if near.sum() > 1 else 0.0
    kinds = {}
    for s in res["status"]:
        kinds[status_word(s)] = kinds.get(status_word(s), 0) + 1
    kind_text = " ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    print(f"{name:11s} {optimiser:7s} {near.sum():3d}/{starts:<3d} {tight.sum():3d}/{starts:<3d} "
          f"{spread:9.1e} {statistics.median(res['evaluations']):8.0f} {wall[1] / starts:6.2f} "
          f"{wall[0] / starts:6.2f}  "
          f"{kind_text}")


def show(name, t, run, n, best):
    res, wall, err = run
    if res is None:
        print(f"{name:11s} {t:7s} no result: {err[0] if err else ''}")
    else:
        summarise(name, t, res, wall, n, best)
    sys.stdout.flush()


def compare(synovia, tmp, starts, boehm_starts, only):
    if only == "boehm100":
        return
    print("problem     optimiser reach  reach    spread  median  CPU s  wall s  statuses")
    print("                     0.01   1e-6 rel  (rel)   evals   /start /start")
    for name, fit, ref in PROBLEMS:
        if only and name != only:
            continue
        n = boehm_starts if name == "boehm" else starts
        runs = {}
        for t in OPTIMISERS:
            res, wall, err = run_fit(synovia, fit, t, n, os.path.join(tmp, f"{name}_{t}.h5"))
            runs[t] = (res, wall, err)
            if ref is not None:  # the best is known: the row now
                show(name, t, runs[t], n, ref)
        found = [np.nanmin(r[0]["objective"]) for r in runs.values() if r[0] is not None]
        best = ref if ref is not None else min(found)
        for t in runs if ref is None else []:
            show(name, t, runs[t], n, best)
        print(f"{name:11s} best {best:.12g}" + (" (the published reference)" if ref else ""))
    sys.stdout.flush()


def boehm_fit_text(starts, seed):
    """boehm2014.fit with `multistart N random seed S`, its files by absolute path"""
    text = open(os.path.join(BOEHM_DIR, "boehm2014.fit")).read()
    text = text.replace('scenario "boehm2014.scenario"',
                        f'scenario "{os.path.join(BOEHM_DIR, "boehm2014.scenario")}"')
    text = text.replace('data "boehm2014.csv"', f'data "{os.path.join(BOEHM_DIR, "boehm2014.csv")}"')
    return re.sub(r"(?m)^multistart.*$", "", text) + f"\nmultistart {starts} random seed {seed}\n"


def boehm_random(synovia, tmp, starts, parts, optimiser):
    """Boehm from `starts` random starts inside the bounds with `optimiser`:
    `parts` processes at once (seeds 1..parts, starts/parts each),
    so that the 100 starts fit in the time of a bench on a shared machine;
    the CPU time per start is what does not depend on that."""
    n = starts // parts
    procs = []
    for k in range(parts):
        fit = os.path.join(tmp, f"boehm_random_{optimiser}{k}.fit")
        with open(fit, "w") as f:
            f.write(boehm_fit_text(n, k + 1))
        procs.append(fit)
    t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    running = [subprocess.Popen([synovia, "fit", fit, "-q", "--no-profiles", "--optimizer",
                                 optimiser, "-o", fit + ".h5"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for fit in procs]
    errs = [p.communicate()[1] for p in running]
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter() - t0
    cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    obj, evals = [], []
    for fit, p, err in zip(procs, running, errs):
        if p.returncode != 0:
            print(f"boehm, random starts, {optimiser}: no result: {err.decode().strip()[-200:]}")
            return
        with h5py.File(fit + ".h5", "r") as f:
            obj += list(f["objective"][:])
            evals += list(f["evaluations"][:])
    obj = np.array(obj)
    near = np.isfinite(obj) & (obj <= BOEHM_REF + 0.01)
    print(f"boehm, {len(obj)} random starts inside the bounds (seeds 1-{parts}), {optimiser:6s}: "
          f"{near.sum():3d} reach {BOEHM_REF} within 0.01 (best {np.nanmin(obj):.10g}); "
          f"{cpu / len(obj):.2f} s CPU per start ({wall:.0f} s wall in all, {parts} processes); "
          f"median evaluations {statistics.median(evals):.0f}")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("synovia")
    ap.add_argument("--starts", type=int, default=16)
    ap.add_argument("--boehm-starts", type=int, default=10)
    ap.add_argument("--boehm100", type=int, default=100)
    ap.add_argument("--boehm-parts", type=int, default=2)
    ap.add_argument("--boehm-optimisers", default=",".join(OPTIMISERS))
    ap.add_argument("--only", default=None)
    a = ap.parse_args()
    print(f"== fit optimisers ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores; serial)")
    with tempfile.TemporaryDirectory() as tmp:
        compare(a.synovia, tmp, a.starts, a.boehm_starts, a.only)
        if a.boehm100 > 0 and a.only in (None, "boehm", "boehm100"):
            for t in a.boehm_optimisers.split(","):
                boehm_random(a.synovia, tmp, a.boehm100, a.boehm_parts, t)


if __name__ == "__main__":
    main()
