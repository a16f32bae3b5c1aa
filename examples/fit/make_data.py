#!/usr/bin/env python3
"""synovia — the synthetic trial data of examples/fit/knee_trial.fit.

Runs examples/knee_ia_vs_iv.scenario as it is written (the truth: every
parameter at the scenario's values, effusive_OA and UC_MSC presets,
severity 0.06, 50e6 cells IA), reads three observables per arm at the visits
(days 0, 7, 28, 90, 180) and adds noise drawn with a fixed seed (15):

  synovial IL-6 (knee.IL6, pg/mL): arm means of n = 20 patients, log-normal
      between-patient spread of 35 % (sd of ln 0.35); the mean gets the noise of
      a mean of 20, the table gives the sd of the patients and n;
  pain VAS (knee.pain_VAS, mm): normal, patient sd 12 mm, n = 20, as above;
  serum CRP (CRP, mg/L): one pooled assay per visit, noise sd 0.1 + 0.1 * y
      (the combined additive and proportional model the fit estimates).

Usage, from the repository's top folder (build/release/synovia built):
    /usr/bin/python3 examples/fit/make_data.py [SYNOVIA] [OUT_DIR]
writes OUT_DIR/knee_trial.csv (default examples/fit). The same seed and
program give the same table."""
import csv
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

SEED = 15
VISITS_D = [0, 7, 28, 90, 180]
N_PATIENTS = 20
IL6_SD_LOG = 0.35
PAIN_SD = 12.0
CRP_ADD, CRP_PROP = 0.1, 0.1


def simulate(synovia, scenario, out):
    subprocess.run([synovia, "run", scenario, "-q", "-o", out], check=True)
    with h5py.File(out, "r") as f:
        arms = {}
        for arm in f["arms"]:
            g = f["arms"][arm]
            t_h = g["time"][:]
            rows = {}
            for name in ("knee.IL6", "knee.pain_VAS", "CRP"):
                rows[name] = [float(np.interp(d * 24.0, t_h, g[name][:])) for d in VISITS_D]
            arms[arm] = rows
        return arms


def main():
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    synovia = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "build/release/synovia")
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(top, "examples/fit")
    rng = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        truth = simulate(synovia, os.path.join(top, "examples/knee_ia_vs_iv.scenario"),
                         os.path.join(tmp, "truth.h5"))
    rows = []
    for arm in ("control", "IA 50M UC-MSC", "IV 100M UC-MSC"):
        for k, day in enumerate(VISITS_D):
            il6 = truth[arm]["knee.IL6"][k]
            mean_il6 = il6 * np.exp(rng.normal(0.0, IL6_SD_LOG / np.sqrt(N_PATIENTS)))
            rows.append([arm, day, "IL6_sf", f"{mean_il6:.4g}", f"{mean_il6 * IL6_SD_LOG:.3g}",
                         N_PATIENTS, "synthetic: examples/fit/make_data.py"])
            pain = truth[arm]["knee.pain_VAS"][k]
            mean_pain = pain + rng.normal(0.0, PAIN_SD / np.sqrt(N_PATIENTS))
            rows.append([arm, day, "VAS", f"{mean_pain:.4g}", f"{PAIN_SD:.3g}", N_PATIENTS,
                         "synthetic: examples/fit/make_data.py"])
            crp = truth[arm]["CRP"][k]
            value = crp + rng.normal(0.0, CRP_ADD + CRP_PROP * crp)
            rows.append([arm, day, "CRP_serum", f"{value:.4g}", "", "",
                         "synthetic: examples/fit/make_data.py"])
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "knee_trial.csv")
    with open(path, "w", newline="") as f:
        f.write(f"# synthetic trial data, made by examples/fit/make_data.py (seed {SEED})\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["arm", "time (d)", "observable", "value", "sd", "n", "source"])
        w.writerows(rows)
    print(f"wrote {path} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
