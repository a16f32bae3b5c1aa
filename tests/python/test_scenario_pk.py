"""Doses through the whole pipeline against closed forms.

tests/scenario/pk_closed_forms.scenario runs every dose kind of the
one-compartment model (IV bolus, repeated boluses, zero-order infusions, two
overlapping infusions, repeated oral doses with first-order absorption, two
doses at the same time, a dose at the last output time) through `synovia run`
at tight tolerances. The amounts are compared with the textbook closed forms
(superposition of single-dose solutions; Gibaldi & Perrier, Pharmacokinetics)
at every output time, and at times between doses through the `at` metric, to
1e-6 relative; the `auc` metrics with the analytic integrals; `max`/`tmax`
and `time_below` with their closed forms. Speaks TAP."""
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
SCENARIO = "tests/scenario/pk_closed_forms.scenario"
V, CL, KA, F = 20.0, 5.0, 1.5, 0.8
K = CL / V
n = failed = 0


def report(ok, name):
    global n, failed
    n += 1
    failed += 0 if ok else 1
    print(("ok" if ok else "not ok") + f" {n} - {name}")


def bolus(t, d, t0):
    return np.where(t >= t0, d * np.exp(-K * (t - t0)), 0.0)


def infusion(t, d, t0, dur):
    r = d / dur
    during = r / K * (1 - np.exp(-K * np.clip(t - t0, 0, None)))
    end = r / K * (1 - math.exp(-K * dur))
    after = end * np.exp(-K * (t - t0 - dur))
    return np.where(t < t0, 0.0, np.where(t <= t0 + dur, during, after))


def oral(t, d, t0):
    dt = np.clip(t - t0, 0, None)
    return np.where(t >= t0, F * d * KA / (KA - K) * (np.exp(-K * dt) - np.exp(-KA * dt)), 0.0)


ARMS = {
    "bolus": lambda t: bolus(t, 100, 0),
    "bolus at 2.5 h and 10 h": lambda t: bolus(t, 100, 2.5) + bolus(t, 50, 10),
    "infusion": lambda t: infusion(t, 100, 1, 3.5),
    "overlapping infusions": lambda t: infusion(t, 60, 0, 10) + infusion(t, 30, 4, 2),
    "oral every 8 h": lambda t: sum(oral(t, 40, 8 * i) for i in range(4)),
    "two at once": lambda t: bolus(t, 50, 6),
    "at the end": lambda t: bolus(t, 10, 48),
}


def rel(got, want, floor=1e-9):
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), floor)))


out = os.path.join(tempfile.mkdtemp(prefix="synovia-pk-"), "pk.h5")
p = subprocess.run([SYNOVIA, "run", SCENARIO, "-o", out, "--rtol", "1e-11", "--atol", "1e-14"],
                   capture_output=True, text=True)
report(p.returncode == 0, "synovia run of the PK scenario succeeds" + ("" if p.returncode == 0 else ": " + p.stderr))
if p.returncode != 0:
    print(f"1..{n}")
    sys.exit(1)
f = h5py.File(out, "r")
fine = np.linspace(0, 48, 48 * 64 + 1)
for arm, closed in ARMS.items():
    g = f["arms"][arm]
    t = g["time"][:]
    report(len(t) == 49 and t[0] == 0 and t[-1] == 48 and np.all(np.diff(t) > 0),
           f"{arm}: the output grid is 0..48 h, never shifted or repeated")
    w = rel(g["A"][:], closed(t))
    report(w < 1e-6, f"{arm}: A at every output time vs the closed form (worst {w:.1e})")
    names = [s.decode() if isinstance(s, bytes) else s for s in g["metric"][:]]
    m = dict(zip(names, g["metric_value"][:]))
    a_fine = closed(fine)
    if arm == "bolus":
        auc = 100 / K * (1 - math.exp(-K * 48))
        part = 100 / K * (math.exp(-K * 3.3) - math.exp(-K * 17.7))
        report(abs(m["auc_part"] - part) / part < 1e-6, f"{arm}: auc over a window cutting steps = analytic ({m['auc_part']:.9g} vs {part:.9g})")
        tb = math.log(100 / 20) / K
        report(abs(m["below_20"] - tb) < 1e-6, f"{arm}: time_below(A, 20) = ln(5)/k ({m['below_20']:.9g} vs {tb:.9g})")
        report(abs(m["auc_all"] - auc) / auc < 1e-6, f"{arm}: auc(A, 0, 48 h) = D/k (1 - e^-48k) ({m['auc_all']:.9g} vs {auc:.9g})")
    at7 = float(closed(np.array([7.25]))[0])
    report(abs(m["at_7"] - at7) <= 1e-6 * max(abs(at7), 1e-9), f"{arm}: at(A, 7.25 h) between outputs = closed form ({m['at_7']:.9g} vs {at7:.9g})")
    if arm == "oral every 8 h":
        # the first peak of a single oral dose: tmax = ln(ka/k)/(ka-k), later doses add on top;
        # compare with a fine search of the closed form
        i = int(np.argmax(a_fine))
        lo, hi = fine[max(i - 1, 0)], fine[min(i + 1, len(fine) - 1)]
        for _ in range(200):  # golden-section search of the closed form around the fine peak
            m1, m2 = lo + (hi - lo) * 0.382, lo + (hi - lo) * 0.618
            if closed(np.array([m1]))[0] < closed(np.array([m2]))[0]:
                lo = m1
            else:
                hi = m2
        tpk = 0.5 * (lo + hi)
        apk = float(closed(np.array([tpk]))[0])
        report(abs(m["Amax"] - apk) / apk < 1e-6 and abs(m["tmaxA"] - tpk) < 1e-4,
               f"{arm}: max/tmax between outputs match the closed form "
               f"({m['Amax']:.9g} at {m['tmaxA']:.6g} h vs {apk:.9g} at {tpk:.6g} h)")
report("doses" in f["arms"]["oral every 8 h"] and len(f["arms"]["oral every 8 h"]["doses"]["time"]) == 4,
       "dose records: 4 oral doses stored")
report("metrics" in f and f["metrics"]["value"].shape == (len(ARMS), 6), "the /metrics table has every arm and metric")
print(f"1..{n}")
sys.exit(1 if failed else 0)
