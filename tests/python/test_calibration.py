"""Calibration of the shipped models (models/knee_oa.model, models/ra.model) against the
targets of docs/model.md §4 (their sources: docs/references.md).

Runs the scenarios in tests/calibration/ through the `synovia` program, reads the results with
h5py and checks one target per line, with its source in the message. A target the model cannot
meet with plausible parameters stays strict and is printed as `not ok … # TODO known gap:
closest value …` (documented in docs/model.md). Speaks TAP."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
n = 0
failed = 0
tmp = tempfile.mkdtemp(prefix="synovia-cal-")


def report(ok, name, gap=None):
    """One TAP line; `gap` marks a documented known gap (TODO) when the check fails."""
    global n, failed
    n += 1
    if ok:
        print(f"ok {n} - {name}")
    elif gap is not None:
        print(f"not ok {n} - {name} # TODO known gap: {gap}")
    else:
        failed += 1
        print(f"not ok {n} - {name}")


def run(scenario):
    out = os.path.join(tmp, os.path.basename(scenario) + ".h5")
    cmd = [SYNOVIA, "run", os.path.join("tests/calibration", scenario), "-q", "-o", out]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + "\n" + p.stderr)
    return h5py.File(out, "r")["arms"]


def last(arms, arm, name):
    return float(arms[arm][name][-1])


def within(x, lo, hi):
    return lo <= x <= hi


# ---- target 1: untreated steady states ---------------------------------------------------
# "≈ X" is read as X ± 30 %: different assays and cohorts report concentrations 3–10× apart, so a
# tighter band would claim more than the sources give; ranges are used as printed.
knee = run("knee_steady.scenario")
ra = run("ra_steady.scenario")

v = last(knee, "effusive OA", "knee.IL6")
report(within(v, 100, 1000), f"target 1: knee OA SF IL-6 {v:.0f} pg/mL in 10²–10³ (Kokebie 2011; Sohn 2012)")
v = last(knee, "early OA", "knee.IL6")
report(within(v, 100, 1000), f"target 1: early OA SF IL-6 {v:.0f} pg/mL in 10²–10³ (Kokebie 2011; Sohn 2012)")
v = last(ra, "active RA", "knee_R.IL6")
report(within(v, 350, 2600), f"target 1: RA knee SF IL-6 {v:.0f} pg/mL in 350–2600 (Kokebie 2011; Sack 1993)")
for arm, model, want, src in [("healthy", knee, 3.0, "Sohn 2012: 3.02"), ("effusive OA", knee, 5.13, "Sohn 2012: 5.13"),
                              ("active RA", ra, 20.0, "Levi/Frey 2013: 20–22")]:
    v = last(model, arm, "IL6_s")
    report(within(v, 0.7 * want, 1.3 * want), f"target 1: serum IL-6 {arm} {v:.2f} pg/mL ≈ {want} ± 30 % ({src})")
for arm, model, want, src in [("healthy", knee, 1.2, "Li 2018: 1.16"), ("effusive OA", knee, 1.7, "Sowers 2002: 1.7"),
                              ("active RA", ra, 8.0, "Li 2018: 7.81")]:
    v = last(model, arm, "CRP")
    report(within(v, 0.7 * want, 1.3 * want), f"target 1: CRP {arm} {v:.2f} mg/L ≈ {want} ± 30 % ({src})")
r = last(knee, "effusive OA", "knee.IL6") / last(knee, "effusive OA", "IL6_s")
report(within(r, 50, 500), f"target 1: SF:serum IL-6 ratio, OA knee, {r:.0f} in 50–500 (Sohn 2012: 190)")
r = last(ra, "active RA", "knee_R.IL6") / last(ra, "active RA", "IL6_s")
report(within(r, 50, 500), f"target 1: SF:serum IL-6 ratio, RA knee, {r:.0f} in 50–500 (Sack 1993: ≈190)",
       gap=f"closest value {r:.0f}: 16 inflamed joints drain into one plasma pool")
v = last(knee, "healthy", "knee.MMP_TIMP_ratio")
report(v < 1, f"target 1: healthy MMP-3:TIMP-1 molar ratio {v:.2f} < 1 (Lohmander 1993: 0.5)")
for arm in ("early OA", "effusive OA"):
    v = last(knee, arm, "knee.MMP_TIMP_ratio")
    report(within(v, 1.6, 5.3), f"target 1: {arm} MMP-3:TIMP-1 molar ratio {v:.2f} in 1.6–5.3 (Lohmander 1993)")

# ---- target 2: CRP half-life once IL-6 production stops ----------------------------------
g = run("crp_decay.scenario")["no IL-6"]
t, c = g["time"][:], g["CRP"][:]
i1, i2 = np.searchsorted(t, 24), np.searchsorted(t, 72)
th = np.log(2) * (t[i2] - t[i1]) / np.log(c[i1] / c[i2])
report(within(th, 19, 31), f"target 2: CRP t½ {th:.1f} h in 19–31 h (Clin Chem 19 h; Li 2018; Netterberg 2018)")

# ---- targets 3, 4, 9: MSC pharmacokinetics ------------------------------------------------
pk = run("knee_pk.scenario")
dose = 1e7
g = pk["IV 1e7"]
t = g["time"][:]
i = np.searchsorted(t, 1.0)
viable = g["MSC_blood"][i] + g["MSC_lung"][i] + g["MSC_joints_total"][i]
f = g["MSC_lung"][i] / viable
report(f > 0.5, f"target 3: {100 * f:.1f} % of viable IV cells in the lungs at 1 h (> 50 %; Lee 2009, Eggenhofer 2012)")
lung = g["MSC_lung"][:]
i1, i2 = np.searchsorted(t, 24), np.searchsorted(t, 72)
th = np.log(2) * (t[i2] - t[i1]) / np.log(lung[i1] / lung[i2])
report(within(th, 18, 30), f"target 3: lung viable-cell t½ {th:.1f} h ≈ 1 d (18–30 h; Lee 2009)")
fj = g["MSC_joints_total"][:].max() / dose
report(fj < 1e-3, f"target 3: peak fraction of an IV dose in the knee {fj:.2e} < 0.1 % (Lee 2009: < 0.05 % outside the lungs)")
gr = run("ra_iv_pk.scenario")["IV 1e8"]
fj = gr["MSC_joints_total"][:].max() / 1e8
report(fj < 1e-3, f"target 3: peak fraction of an IV dose in all 16 RA joints {fj:.2e} < 0.1 % (Lee 2009)")

g = pk["IA 1e7"]
t = g["time"][:]
j = g["MSC_joints_total"][:]
f30 = j[np.searchsorted(t, 30 * 24)] / dose
f180 = j[np.searchsorted(t, 180 * 24)] / dose
report(within(f30, 0.10, 0.20), f"target 4: IA cells in the joint at 1 month {100 * f30:.1f} % ≈ 15 % (10–20 %; Toupet 2013)")
report(within(f180, 0.010, 0.020), f"target 4: IA cells in the joint at 6 months {100 * f180:.2f} % ≈ 1.5 % (1.0–2.0 %; Toupet 2013)")


def auc(g, name, t_end):
    t = g["time"][:]
    k = t <= t_end + 1e-9
    y = g[name][:][k]
    return float(np.sum((y[1:] + y[:-1]) * np.diff(t[k])) / 2)


a_ia = auc(pk["IA 1e7"], "MSC_joints_total", 28 * 24)
a_iv = auc(pk["IV 1e7"], "MSC_joints_total", 28 * 24)
report(a_ia > 1000 * a_iv, f"target 9: joint MSC AUC(28 d) IA/IV = {a_ia / a_iv:.0f} > 1000 (same dose 10⁷; docs/model.md §4)")


def at(g, name, day):
    """Value of output `name` at the output time nearest to `day` days."""
    t = g["time"][:]
    return float(g[name][int(np.argmin(np.abs(t - day * 24)))])


def rel(g, c, name, day):
    """Treated over control at `day` days."""
    return at(g, name, day) / at(c, name, day)


# ---- targets 5, 6: IA UC-MSC in effusive knee OA ------------------------------------------
# "measurably lower" is read as ≥ 10 % below control (beyond the assay repeatability);
# "halted" as no cartilage lost below the control at 6 months; "not reversed" as an MRI-like
# cartilage volume gain under 2 points of normal (the resolution of MRI volumetry).
ia = run("knee_ia_efficacy.scenario")
c = ia["control"]
for arm in ("IA 1e7", "IA 1e8"):
    g = ia[arm]
    for name, label in (("knee.IL6", "IL-6"), ("knee.TNF", "TNF-α")):
        r = rel(g, c, name, 28)
        report(r <= 0.9, f"target 5: {arm} SF {label} at 4 weeks {r:.2f}× control (≤ 0.9; docs/model.md §4 target 5)")
    for day in (90, 180):
        d = at(c, "knee.pain_VAS", day) - at(g, "knee.pain_VAS", day)
        report(within(d, 13, 19), f"target 5: {arm} pain VAS {d:.1f} mm below control at day {day} (13–19 mm; meta-analyses Bone Joint Res 2020: −13.2, Medicine 2020: −19.2)")
    dc = at(g, "knee.cartilage_volume", 180) - at(c, "knee.cartilage_volume", 180)
    report(dc >= 0, f"target 5: {arm} cartilage at 6 months {dc:+.1f} points vs control: loss halted (≥ 0; Lee 2019)")
    gain = at(g, "knee.cartilage_volume", 180) - at(g, "knee.cartilage_volume", 0)
    report(gain < 2, f"target 5: {arm} cartilage gain by 6 months {gain:+.1f} points of normal, not reversed (< 2; Lee 2019)")


def t_half(g, name, t_end_day):
    """Time (days) at which `name` has made half of its change from day 0 to `t_end_day`."""
    t = g["time"][:] / 24
    y = g[name][:]
    k = t <= t_end_day + 1e-9
    t, y = t[k], y[k]
    d = y - y[0]
    half = d[-1] / 2
    i = int(np.argmax(np.abs(d) >= abs(half)))
    return float(t[i])


for arm in ("IA 1e7", "IA 1e8"):
    g = ia[arm]
    tp, tc = t_half(g, "knee.pain_VAS", 180), t_half(g, "knee.cartilage_volume", 180)
    report(tp < 0.5 * tc, f"target 6: {arm} half the pain improvement at day {tp:.0f}, half the cartilage change at day {tc:.0f} "
           f"(pain well before structure: < half the time; docs/model.md §4 target 6)")


# ---- targets 7, 8: IV in moderate RA (DAS28-CRP ≈ 4.5, the Park 2018 population) -----------
# "fall" is read as ≥ 10 % below control at 4 weeks; "lasts 3–6 months" as still ≥ 10 % below at
# 3 months and waning by 6 months; "≈ 1.6" as 1.6 ± 30 %; "nearly unchanged" as within 10 % of
# control at 1, 4 and 12 weeks.
iv = run("ra_iv_efficacy.scenario")
c = iv["control"]
v = at(c, "DAS28_CRP", 0)
report(within(v, 0.7 * 4.5, 1.3 * 4.5), f"target 7: untreated moderate RA DAS28-CRP {v:.2f} ≈ 4.5 (Park 2018: 4.53)")
for arm in ("UC 4e7", "UC 1e8"):
    g = iv[arm]
    for name, label in (("IL6_s", "serum IL-6"), ("TNF_s", "serum TNF-α"), ("CRP", "CRP")):
        r = rel(g, c, name, 28)
        report(r <= 0.9, f"target 7: {arm} IV {label} at 4 weeks {r:.2f}× control (≤ 0.9; Wang 2013, Park 2018)")
    for name, label in (("IL6_s", "serum IL-6"), ("CRP", "CRP")):
        r90, r180 = rel(g, c, name, 90), rel(g, c, name, 180)
        report(r90 <= 0.9 and r180 > r90, f"target 7: {arm} IV {label} still {r90:.2f}× control at 3 months, waning to {r180:.2f}× at 6 (Wang 2013: effect 3–6 months)")
g = iv["UC 1e8"]
d = at(g, "DAS28_CRP", 28) - at(c, "DAS28_CRP", 28)
report(within(d, -1.6 * 1.3, -1.6 * 0.7), f"target 7: UC 1e8 IV ΔDAS28-CRP at 4 weeks {d:.2f} ≈ −1.6 ± 30 % (Park 2018: −1.60 ± 1.57)")
g = iv["autologous 2e8"]
for name, label in (("IL6_s", "serum IL-6"), ("TNF_s", "serum TNF-α")):
    worst = min(rel(g, c, name, day) for day in (7, 28, 90))
    report(worst >= 0.9, f"target 8: autologous long-inflamed 2e8 IV, {label} lowest {worst:.2f}× control in 12 weeks (nearly unchanged: ≥ 0.9; Lee 2021)",
           gap=f"closest value {worst:.2f}×: a potency of 0.3 at twice the highest UC dose still gives a signal near that of 4×10⁷ UC-MSCs")

# ---- target 10: RA combination protocol (active RA, UC-MSC) --------------------------------
cb = run("ra_combination.scenario")
for day in (90, 180):
    a, b = at(cb["IV + IA"], "CRP", day), at(cb["IA alone"], "CRP", day)
    report(a < b, f"target 10: day {day} CRP IV+IA {a:.2f} < IA alone {b:.2f} mg/L (docs/model.md §4)")
    a, b = at(cb["IV + IA"], "knee_R.pain", day), at(cb["IV alone"], "knee_R.pain", day)
    report(a < b, f"target 10: day {day} worst joint (right knee) pain IV+IA {a:.2f} < IV alone {b:.2f} (docs/model.md §4)")
    a, b = at(cb["IV + IA"], "knee_R.cartilage_volume", day), at(cb["IV alone"], "knee_R.cartilage_volume", day)
    report(a > b, f"target 10: day {day} worst joint cartilage IV+IA {a:.1f} > IV alone {b:.1f} % (docs/model.md §4)")

print(f"1..{n}")
sys.exit(1 if failed else 0)
