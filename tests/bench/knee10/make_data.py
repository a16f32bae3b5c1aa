#!/usr/bin/env python3
"""synovia — the synthetic trial data of tests/bench/knee10/knee10.fit, the
10-parameter knee fit that `make bench` times (tests/bench/fit_knee10.sh).

The truth is examples/knee_ia_vs_iv.scenario as written (the shipped knee
model, effusive_OA and UC_MSC presets, 50e6 cells IA); its values of the ten
estimated parameters are in truth.txt (written here). Three observables per
arm at nine visits (days 0, 3, 7, 14, 28, 56, 90, 120, 180), with the noise
of examples/fit/make_data.py (whose simulate() this reuses): synovial IL-6
log-normal (patient sd of ln 0.35, n = 20), pain VAS normal (patient sd
12 mm, n = 20), serum CRP one assay with sd 0.1 + 0.1 y. Seed 10.

Usage, from the repository's top folder (build/release/synovia built):
    /usr/bin/python3 tests/bench/knee10/make_data.py [SYNOVIA]
writes tests/bench/knee10/knee10.csv and truth.txt; the same seed and program
give the same table."""
import csv
import importlib.util
import os
import sys
import tempfile

import numpy as np

SEED = 10
VISITS_D = [0, 3, 7, 14, 28, 56, 90, 120, 180]
# the ten estimated parameters at the truth: the model's values with the
# effusive_OA preset (models/knee_oa.model, models/parts/joint_network.model),
# the scenario's IA dose and make_data.py's CRP noise
TRUTH = [("severity", 0.06), ("w_p", 0.16), ("w_c", 0.13), ("w_s", 0.71), ("k_act", 0.05),
         ("k_rest", 0.02), ("s_IL6_M", 4000.0), ("dose:IA 50M UC-MSC:IA.amount", 50e6),
         ("sigma_CRP", 0.1), ("rel_CRP", 0.1)]


def load_example(top):
    path = os.path.join(top, "examples", "fit", "make_data.py")
    spec = importlib.util.spec_from_file_location("knee_make_data", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.VISITS_D = VISITS_D  # its simulate() reads the visits from here
    return mod


def rows_of(ex, truth, rng):
    rows, src = [], "synthetic: tests/bench/knee10/make_data.py"
    for arm in ("control", "IA 50M UC-MSC", "IV 100M UC-MSC"):
        for k, day in enumerate(VISITS_D):
            il6 = truth[arm]["knee.IL6"][k] * np.exp(
                rng.normal(0.0, ex.IL6_SD_LOG / np.sqrt(ex.N_PATIENTS)))
            rows.append([arm, day, "IL6_sf", f"{il6:.5g}", f"{il6 * ex.IL6_SD_LOG:.3g}",
                         ex.N_PATIENTS, src])
            pain = truth[arm]["knee.pain_VAS"][k] + rng.normal(
                0.0, ex.PAIN_SD / np.sqrt(ex.N_PATIENTS))
            rows.append([arm, day, "VAS", f"{pain:.5g}", f"{ex.PAIN_SD:.3g}", ex.N_PATIENTS, src])
            crp = truth[arm]["CRP"][k]
            value = crp + rng.normal(0.0, ex.CRP_ADD + ex.CRP_PROP * crp)
            rows.append([arm, day, "CRP_serum", f"{value:.5g}", "", "", src])
    return rows


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.abspath(os.path.join(here, "..", "..", ".."))
    synovia = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "build/release/synovia")
    ex = load_example(top)
    rng = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        truth = ex.simulate(synovia, os.path.join(top, "examples/knee_ia_vs_iv.scenario"),
                            os.path.join(tmp, "truth.h5"))
    rows = rows_of(ex, truth, rng)
    with open(os.path.join(here, "knee10.csv"), "w", newline="") as f:
        f.write(f"# synthetic trial data, made by tests/bench/knee10/make_data.py (seed {SEED})\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["arm", "time (d)", "observable", "value", "sd", "n", "source"])
        w.writerows(rows)
    with open(os.path.join(here, "truth.txt"), "w") as f:
        f.write("# the parameters knee10.csv was made with (make_data.py)\n")
        for name, value in TRUTH:
            f.write(f"{name}\t{value:.10g}\n")
    print(f"wrote knee10.csv ({len(rows)} rows) and truth.txt")


if __name__ == "__main__":
    main()
