"""scripts/synovia-plot and synovia report on fit files (issue 15 point 6): the data with their
error bars against the fitted curves per arm and observable, the waterfall of the starts and
the profile likelihoods; and the report of a run file with sensitivities.

The fit files are made by `synovia fit` on a small fit written here: the logistic growth of
tests/sweep/growth.scenario (arms "slow" and "fast") fitted to synthetic counts (normal, sd
from the table), a log-normal share (sd from the table, turned into the sd of ln) and a
normal count with a fixed sd (no sd in the table: no error bar); once with profiles (the
default) and once with --no-profiles. What synovia wrote is first checked independently with
scipy on the logistic closed form: the objective at the estimate and its minimum, every profile
point's objective against the profile re-optimised by scipy, the profile interval against the
crossings found by root finding on that profile, the Fisher interval against the Wald interval
of the Gauss-Newton Hessian of the closed-form residuals, the /fitted curves against the closed
form, and the /observable table against the fit file; a copy with one number moved must fail
those checks. The figures are then tested from synovia's own groups, and from edited copies
(spread and failed starts, a one-sided interval and a failed profile point, no /fitted, a unit).
Every figure check compares what is drawn with the file's numbers. Speaks TAP."""
import base64
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from scipy.optimize import brentq, minimize, minimize_scalar
from scipy.stats import chi2

from plotcheck import (check_image, error_case, figure_checks, figure_notes, finish,
                       header_height, load_script, panel_axes, plot, report)

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
ASAN = os.path.join(BUILD, "asan", "synovia")
GROWTH = os.path.abspath("tests/sweep/growth.scenario")
# the fit's scenario: growth.scenario solved tightly, so that the independent checks below
# compare synovia's numbers with the closed form to 1e-7, not to the default rtol 1e-6
TIGHT = "solver rtol 1e-10 atol 1e-12\n"
ARMS = {"slow": 0.5, "fast": 1.0}      # growth.scenario: set s = 0.5 in "slow"
SD_N, SD_FRAC, SD_COUNT = 0.4, 0.1, 0.5
OBSERVABLES = ["N_obs", "frac", "N_count"]
PREDICTION = "N at 10 d, fast minus slow"


def logistic(r, K, s, t):
    """growth.model: dN/dt = s sqrt(r) N (1 - N/K), N(0) = 1."""
    return K / (1.0 + (K - 1.0) * np.exp(-s * np.sqrt(r) * np.asarray(t, dtype=float)))


def make_fit(tmp):
    text = open(GROWTH).read().replace('model "growth.model"',
                                       f'model "{os.path.dirname(GROWTH)}/growth.model"')
    with open(os.path.join(tmp, "growth.scenario"), "w") as f:
        f.write(text.replace("simulate 0 d", TIGHT + "simulate 0 d", 1))
    rng = np.random.default_rng(3)
    rows = []
    for arm, s in ARMS.items():
        for t in (0, 2, 4, 6, 8, 10):
            n = logistic(0.5, 10.0, s, t)
            rows.append(f"{arm},{t},N_obs,{n + rng.normal(0, SD_N):.4f},{SD_N}")
            if t > 0:
                v = n / 10.0 * math.exp(rng.normal(0, SD_FRAC))
                rows.append(f"{arm},{t},frac,{v:.4f},{SD_FRAC * v:.4f}")
            if t in (4, 8):
                rows.append(f"{arm},{t},N_count,{n + rng.normal(0, SD_COUNT):.4f},")
    with open(os.path.join(tmp, "growth.csv"), "w") as f:
        f.write("arm,time (d),observable,value,sd\n" + "\n".join(rows) + "\n")
    with open(os.path.join(tmp, "growth.fit"), "w") as f:
        f.write(f'fit "Logistic growth in two arms"\nscenario "growth.scenario"\ndata "growth.csv"\n'
                "observable N_obs = N\n  noise normal sd = data\n"
                "observable frac = half   # a share\n  noise lognormal sd = data\n"
                f"observable N_count = N\n  noise normal sd = {SD_COUNT}\n"
                "estimate r log10 within 0.05 5\nestimate K log within 2 50\n"
                "multistart 6 lhs seed 2\n"
                f'predict "{PREDICTION}" = N_end in "fast" - N_end in "slow"\n')
    files = []
    for name, extra in (("growth.h5", []), ("noprof.h5", ["--no-profiles"])):
        out = os.path.join(tmp, name)
        r = subprocess.run([SYNOVIA, "fit", os.path.join(tmp, "growth.fit"), "-q", "-o", out]
                           + extra, capture_output=True, text=True)
        ok = report(r.returncode == 0 and os.path.exists(out),
                    f"synovia fit growth.fit {' '.join(extra)} writes {name} ({r.stderr.strip()})")
        files.append(out if ok else None)
    return files


def points(f):
    """The data points of a fit file, read once: (speed s of the arm, time, value, the sd of
    a normal point (the table's, or the fixed SD_COUNT), the sd of ln value of a log-normal
    one, whether it is log-normal)."""
    arm, obs = f["data/arm"].asstr()[:], f["data/observable"].asstr()[:]
    sd = f["data/sd"][:]
    return {"s": np.array([ARMS[a] for a in arm]), "t": f["data/time"][:],
            "m": f["data/value"][:], "sd": np.where(obs == "N_count", SD_COUNT, sd),
            "log": obs == "frac"}


def residuals(d, theta):
    """The residual form of the closed-form objective (docs/fitting.md: (m - y)/sd, or
    (ln m - ln y)/sd for the log-normal share)."""
    r, K = theta
    n = logistic(r, K, d["s"], d["t"])
    return np.where(d["log"], (np.log(d["m"]) - np.log(n / K)) / d["sd"],
                    (d["m"] - n) / d["sd"])


def nllh(d, theta):
    """The objective of docs/fitting.md, written out for the logistic closed form (the file's
    sd of a log-normal point is that of ln m, whose density carries 1/m)."""
    rs = residuals(d, theta)
    return float(np.sum(0.5 * np.log(2 * math.pi * d["sd"] ** 2) + 0.5 * rs ** 2
                        + np.where(d["log"], np.log(d["m"]), 0.0)))


def to_scale(v, scale):
    return math.log10(v) if scale == "log10" else math.log(v) if scale == "log" else v


def from_scale(x, scale):
    return 10.0 ** x if scale == "log10" else math.exp(x) if scale == "log" else x


THRESHOLD = chi2.ppf(0.95, 1) / 2.0
# Tolerances of the independent checks (measured deviations in brackets). The fit's scenario
# is solved at rtol 1e-10: a simulated value is right to about 1e-9 relative (2.4e-9), so a
# curve within 1e-7, a prediction (N at 10 d of fast minus slow, about 10 x smaller than either)
# within 1e-6 (5e-8), the objective, a sum of 36 terms, within 1e-6 (3e-8). A profile point's objective is the re-optimisation's, which stops at the optimiser's
# tolerances: within 1e-5 of scipy's conditional minimum (1.4e-7). An interval end moves by an
# objective error over the profile's slope at the crossing (about 2 x 1.92 / the half-width,
# 50 to 500 here): 1e-6 relative (1.2e-9). The Fisher interval from J^T J of the sensitivities
# against J^T J of central differences of the closed form (step 1e-6 on the scale: truncation
# 1e-12, rounding 1e-10 relative): 1e-6 (7e-12).
TOL_CURVE, TOL_PREDICTION, TOL_OBJECTIVE, TOL_POINT = 1e-7, 1e-6, 1e-6, 1e-5
TOL_INTERVAL, TOL_FISHER = 1e-6, 1e-6


def scaled(theta, scales):
    return np.array([to_scale(v, s) for v, s in zip(theta, scales)])


def linear(x, scales):
    return [from_scale(v, s) for v, s in zip(x, scales)]


def scipy_profile(d, j, v, scales, lo, hi):
    """min over the other parameter of the objective with parameter j fixed at v (linear)."""
    k = 1 - j

    def g(xk):
        theta = [0.0, 0.0]
        theta[j], theta[k] = v, from_scale(xk, scales[k])
        return nllh(d, theta)
    res = minimize_scalar(g, bounds=(to_scale(lo[k], scales[k]), to_scale(hi[k], scales[k])),
                          method="bounded", options={"xatol": 1e-10})
    return float(res.fun)


def scipy_crossing(d, j, est, side, scales, lo, hi, best):
    """Where scipy's profile of j crosses best + threshold on one side (brentq), NaN if the
    bound comes first."""
    def rise(x):
        return scipy_profile(d, j, from_scale(x, scales[j]), scales, lo, hi) - best - THRESHOLD
    a = to_scale(est[j], scales[j])
    b = to_scale(lo[j] if side < 0 else hi[j], scales[j])
    if rise(b) < 0:
        return math.nan
    return from_scale(brentq(rise, a, b, xtol=1e-12), scales[j])


def scipy_fisher(d, est, scales):
    """The Wald interval from J^T J of the residuals on the scales (central differences)."""
    x0, h = scaled(est, scales), 1e-6
    J = np.column_stack([(residuals(d, linear(x0 + h * e, scales))
                          - residuals(d, linear(x0 - h * e, scales))) / (2 * h)
                         for e in np.eye(2)])
    half = np.sqrt(chi2.ppf(0.95, 1) * np.diag(np.linalg.inv(J.T @ J)))
    return linear(x0 - half, scales), linear(x0 + half, scales)


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def independent_errors(path):
    """The largest deviations of what synovia wrote from the scipy computations, per kind."""
    with h5py.File(path, "r") as f:
        est = [float(v) for v in f["estimate"][:]]
        scales = list(f["scale"].asstr()[:])
        lo, hi = f["lower"][:], f["upper"][:]
        best = float(f.attrs["best_objective"])
        d = points(f)
        x_best = minimize(lambda x: nllh(d, linear(x, scales)), scaled(est, scales),
                          method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12}).fun
        err = {"objective at the estimate": abs(nllh(d, est) - best),
               "the estimate is the minimum": best - x_best}
        u, p = f["uncertainty"], f["profile"]
        pp, pv, po = p["param"][:], p["value"][:], p["objective"][:]
        err["profile points"] = max(abs(po[i] - scipy_profile(d, int(pp[i]), pv[i], scales,
                                                              lo, hi))
                                    for i in range(len(pp)) if math.isfinite(po[i]))
        worst = 0.0
        for j in range(2):
            for side, key in ((-1, "interval_lower"), (1, "interval_upper")):
                mine = scipy_crossing(d, j, est, side, scales, lo, hi, best)
                theirs = float(u[key][j])
                worst = max(worst, 0.0 if math.isnan(mine) and math.isnan(theirs)
                            else rel(theirs, mine) if not math.isnan(mine) else math.inf)
        err["profile interval"] = worst
        flo, fhi = scipy_fisher(d, est, scales)
        err["Fisher interval"] = max(max(rel(u["fisher_lower"][j], flo[j]),
                                         rel(u["fisher_upper"][j], fhi[j])) for j in range(2))
        fa, fo = f["fitted/arm"].asstr()[:], f["fitted/observable"].asstr()[:]
        ft, fv = f["fitted/time"][:], f["fitted/value"][:]
        n = logistic(est[0], est[1], np.array([ARMS[a] for a in fa]), ft)
        want = np.where(fo == "frac", n / est[1], n)
        err["fitted curves"] = float(np.max(np.abs(fv - want) / np.abs(want)))
        err["prediction"] = prediction_error(f, est, best)
    return err


def n_end_difference(theta):
    return float(logistic(theta[0], theta[1], ARMS["fast"], 10.0)
                 - logistic(theta[0], theta[1], ARMS["slow"], 10.0))


def prediction_error(f, est, best):
    """The prediction and its range over the profile vectors inside the threshold
    (docs/fitting.md, "Predictions"), in the closed form, against /prediction."""
    g, p = f["prediction"], f["profile"]
    inside = [p["x"][i] for i in range(p["param"].shape[0])
              if p["objective"][i] <= best + float(f["uncertainty"].attrs["threshold"])]
    vals = [n_end_difference(x) for x in inside] + [n_end_difference(est)]
    names = list(g["name"].asstr()[:])
    if names != [PREDICTION]:
        return math.inf
    return max(rel(g["estimate"][0], n_end_difference(est)), rel(g["lower"][0], min(vals)),
               rel(g["upper"][0], max(vals)))


TOLERANCES = {"objective at the estimate": TOL_OBJECTIVE, "the estimate is the minimum":
              TOL_OBJECTIVE, "profile points": TOL_POINT, "profile interval": TOL_INTERVAL,
              "Fisher interval": TOL_FISHER, "fitted curves": TOL_CURVE,
              "prediction": TOL_PREDICTION}


def check_independently(path, tmp):
    """synovia's numbers against scipy's (each within its tolerance); a copy with an interval
    end, a Fisher bound, a profile objective or a curve moved must fail."""
    err = independent_errors(path)
    for kind, e in err.items():
        report(e <= TOLERANCES[kind], f"independent check: {kind}: deviation {e:.3g} "
               f"(tolerance {TOLERANCES[kind]:g})")
    with h5py.File(path, "r") as f:
        nfit = f["fitted/row"].shape[0]
        nt = int(np.sum((f["fitted/arm"].asstr()[:] == "slow")
                        & (f["fitted/observable"].asstr()[:] == "N_obs")))
        pp = f["profile/param"][:]
        times = f["fitted/time"][:]
        arms = f["fitted/arm"].asstr()[:]
        data_t = np.unique(f["data/time"][:])
    report(nt >= 200 and nfit == 6 * nt,
           f"/fitted: {nt} times per arm and observable (>= 200), 6 curves")
    sel = times[(arms == "slow")][:nt]
    report(np.all(np.diff(sel) >= 0) and sel[0] == 0 and sel[-1] == 10
           and all(np.any(sel == t) for t in data_t),
           "/fitted: sorted, 0 to the last data time, the data times among them")
    report(all(np.sum(pp == j) >= 4 for j in range(2)), "/profile: points of both parameters")
    moved = os.path.join(tmp, "moved.h5")
    edits = [("profile interval", "uncertainty/interval_upper", 1),
             ("Fisher interval", "uncertainty/fisher_lower", 0),
             ("profile points", "profile/objective", 1),
             ("fitted curves", "fitted/value", nt // 2),
             ("prediction", "prediction/upper", 0)]
    for kind, name, i in edits:
        shutil.copyfile(path, moved)
        with h5py.File(moved, "r+") as f:
            v = f[name][:]
            step = 3 * TOLERANCES[kind] * max(abs(v[i]), 1.0)   # 3 x the tolerance, abs or rel
            v[i] += step
            f[name][:] = v
        e = independent_errors(moved)[kind]
        report(e > TOLERANCES[kind], f"independent check fails on a copy with {name}[{i}] "
               f"moved by {step:.3g} ({kind}: {e:.3g})")


def check_observable_table(path):
    with h5py.File(path, "r") as f:
        g = f.get("observable")
        table = ({k: list(g[k].asstr()[:]) for k in ("name", "formula", "units", "distribution",
                                                      "sd_model")} if g is not None else {})
        scale = g is not None and g["observable"].attrs.get("CLASS") == b"DIMENSION_SCALE"
    want = {"name": OBSERVABLES, "formula": ["N", "half", "N"], "units": ["", "", ""],
            "distribution": ["normal", "lognormal", "normal"],
            "sd_model": ["data", "data", f"{SD_COUNT:g}"]}
    report(table == want and scale, f"/observable: the fit file's observables, units and noise "
           f"models, a table with the scale observable ({table})")
    # the other sd models as text: an estimated sd plus a proportional term, a fixed one in
    # the log-normal share (no unit)
    tmp = os.path.dirname(path)
    text = open(os.path.join(tmp, "growth.fit")).read()
    text = text.replace(f"noise normal sd = {SD_COUNT}", "noise normal sd = sig_c + 0.05 * y")
    text = text.replace("noise lognormal sd = data", "noise lognormal sd = 0.1")
    text = text.replace("estimate K", "estimate sig_c log within 0.1 2\nestimate K")
    with open(os.path.join(tmp, "models.fit"), "w") as f:
        f.write(text)
    out = os.path.join(tmp, "models.h5")
    r = subprocess.run([SYNOVIA, "fit", os.path.join(tmp, "models.fit"), "-q", "--no-profiles",
                        "--starts", "1", "-o", out], capture_output=True, text=True)
    sd = []
    if r.returncode == 0:
        with h5py.File(out, "r") as f:
            sd = list(f["observable/sd_model"].asstr()[:])
    report(sd == ["data", "0.1", "sig_c + 0.05 * y"],
           f"/observable/sd_model: a fixed log-normal sd, an estimated sd plus a term in y ({sd} "
           f"{r.stderr.strip()})")


# ---- reading the file back as the checks need it


def file_data(path):
    with h5py.File(path, "r") as f:
        d = {k: f[f"data/{k}"][:] for k in ("time", "value", "sd", "fitted")}
        d["arm"] = f["data/arm"].asstr()[:]
        d["observable"] = f["data/observable"].asstr()[:]
    return d


def rows_of(d, arm, obs):
    return (d["arm"] == arm) & (d["observable"] == obs)


def layout_size(fig, ncols, nrows, single=False):
    """docs/plotting.md: panels 4.6 x 3.3 in (a single one 6.4 x 4.0), the header on top."""
    w, body = (6.4, 4.0) if single else (4.6 * ncols, 3.3 * nrows)
    return w, round((body + header_height(fig)) * 150) / 150


def check_size(fig, label, ncols, nrows, single=False):
    want = layout_size(fig, ncols, nrows, single)
    got = tuple(fig.get_size_inches())
    return report(abs(got[0] - want[0]) < 1e-9 and abs(got[1] - want[1]) < 1e-9,
                  f"{label}: {ncols} columns, {nrows} rows by the layout rules (got "
                  f"{got[0]:.2f} x {got[1]:.2f}, want {want[0]:.2f} x {want[1]:.2f})")


def by_title(fig):
    return {ax.get_title().split("\n")[0]: ax for ax in panel_axes(fig)}


def marker_line(ax):
    return [ln for ln in ax.get_lines() if ln.get_marker() == "o" and ln.get_linestyle() == "None"]


def error_segments(ax):
    segs = []
    for c in ax.collections:
        if c.__class__.__name__ == "LineCollection":
            segs.extend(np.asarray(s) for s in c.get_segments())
    return segs


# ---- the checks


def check_data_panels(mod, path, d, fitted):
    fig, panels = figure_checks(mod, path, "data panels", ["--show", "data"])
    want = [f"{a}: {o}" for o in OBSERVABLES for a in ARMS]
    report([p["title"] for p in panels] == want,
           "data: one panel per observable and arm, a row per observable "
           f"{[p['title'] for p in panels]}")
    check_size(fig, "data", 2, 3)
    axes = by_title(fig)
    with h5py.File(path, "r") as f:
        ft = f["fitted/time"][:] if fitted else None
        fv = f["fitted/value"][:] if fitted else None
        fa = f["fitted/arm"].asstr()[:] if fitted else None
        fo = f["fitted/observable"].asstr()[:] if fitted else None
    for obs in OBSERVABLES:
        for arm in ARMS:
            ax, sel = axes[f"{arm}: {obs}"], rows_of(d, arm, obs)
            pts = marker_line(ax)
            report(len(pts) == 1 and np.allclose(pts[0].get_xdata(), d["time"][sel])
                   and np.allclose(pts[0].get_ydata(), d["value"][sel]),
                   f"{arm}: {obs}: the data points are the file's (time, value)")
            curve = [ln for ln in ax.get_lines() if ln.get_gid() == mod.DATA_GID
                     and ln.get_marker() != "o"]
            if fitted:
                cs = (fa == arm) & (fo == obs)
                order = np.argsort(ft[cs], kind="stable")
                ok = (len(curve) == 1 and curve[0].get_linestyle() == "-"
                      and np.allclose(curve[0].get_xdata(), ft[cs][order])
                      and np.allclose(curve[0].get_ydata(), fv[cs][order]))
                what = "the curve is /fitted (time sorted)"
            else:
                order = np.argsort(d["time"][sel], kind="stable")
                ok = (len(curve) == 1 and curve[0].get_linestyle() == ":"
                      and np.allclose(curve[0].get_ydata(), d["fitted"][sel][order]))
                what = "without /fitted, a dotted line through /data/fitted"
            report(ok, f"{arm}: {obs}: {what}")
            segs = error_segments(ax)
            v, sd = d["value"][sel], d["sd"][sel]
            has = np.isfinite(sd)
            if obs == "frac":     # log-normal: the sd is that of ln(value)
                lo, hi = v[has] * np.exp(-sd[has]), v[has] * np.exp(sd[has])
            else:
                lo, hi = v[has] - sd[has], v[has] + sd[has]
            ends = sorted((float(min(s[:, 1])), float(max(s[:, 1]))) for s in segs)
            report(len(segs) == int(has.sum()) and np.allclose(ends, sorted(zip(lo, hi)),
                                                               rtol=1e-12),
                   f"{arm}: {obs}: {int(has.sum())} error bars, "
                   + ("value x e^(+-sd)" if obs == "frac" else "value +- sd")
                   + (" (none: the table gives no sd)" if not has.any() else ""))
    report(all(axes[f"{a}: frac"].get_yscale() == "log" for a in ARMS)
           and all(axes[f"{a}: {o}"].get_yscale() == "linear" for a in ARMS
                   for o in ("N_obs", "N_count")),
           "data: the log-normal observable on a log axis, the normal ones linear")
    report(all(axes[f"slow: {o}"].get_ylim() == axes[f"fast: {o}"].get_ylim() for o in OBSERVABLES),
           "data: the arms of one observable share their y range")
    report(all("days" in ax.get_xlabel() for ax in axes.values()),
           "data: the time axis names its unit (days)")
    notes = figure_notes(fig)
    report("log-normal (frac): value \u00d7 e^(\u00b1sd)" in notes
           and ("no /fitted" in notes) != fitted,
           "data: the notes say what the bars are"
           f"{'' if fitted else ' and that /fitted is missing'} ({notes!r})")
    fig_in = tuple(fig.get_size_inches())
    mod.plt.close(fig)
    return fig_in


def check_waterfall(mod, path, tmp):
    spread = os.path.join(tmp, "spread.h5")
    shutil.copyfile(path, spread)
    with h5py.File(spread, "r+") as f:
        best = float(f.attrs["best_objective"])
        obj = np.array([best + 0.5, best, best + 0.009, np.nan, best + 3.0, best + 0.005])
        f["objective"][:] = obj
    fig, panels = figure_checks(mod, spread, "waterfall", ["--show", "waterfall"])
    ax = panel_axes(fig)[0]
    check_size(fig, "waterfall", 1, 1, single=True)
    ranked = np.sort(obj[np.isfinite(obj)]) - best + mod.WATERFALL_OFFSET
    drawn = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    xs = np.concatenate([ln.get_xdata() for ln in drawn])
    ys = np.concatenate([ln.get_ydata() for ln in drawn])
    order = np.argsort(xs)
    report(np.allclose(xs[order], np.arange(1, 6)) and np.allclose(ys[order], ranked),
           f"waterfall: the 5 finite objectives ranked, minus the best plus {mod.WATERFALL_OFFSET}")
    near = [ln for ln in drawn if ln.get_color() == mod.NEAR_COLOUR]
    report(len(near) == 1 and len(near[0].get_xdata()) == 3,
           "waterfall: the 3 starts within 0.01 of the best marked in their own colour")
    report(ax.get_title().replace("\n", " ") == "Waterfall: 3 of 6 starts within 0.01 of the best",
           f"waterfall: the title counts them ({ax.get_title()!r})")
    report(ax.get_yscale() == "log" and "(1 failed)" in ax.get_xlabel()
           and any(abs(ln.get_ydata()[0] - (0.01 + mod.WATERFALL_OFFSET)) < 1e-12
                   for ln in ax.get_lines() if ln.get_linestyle() == "--"),
           "waterfall: log axis, the 0.01 line, the failed start counted")
    fig_in = tuple(fig.get_size_inches())
    mod.plt.close(fig)
    return spread, fig_in


def check_profiles(mod, path, tmp):
    with h5py.File(path, "r") as f:
        pp, pv, po = f["profile/param"][:], f["profile/value"][:], f["profile/objective"][:]
        thr, best = f["uncertainty"].attrs["threshold"], f["uncertainty"].attrs["best_objective"]
        lo, hi = f["uncertainty/interval_lower"][:], f["uncertainty/interval_upper"][:]
        flo, fhi = f["uncertainty/fisher_lower"][:], f["uncertainty/fisher_upper"][:]
        names = list(f["param"].asstr()[:])
    fig, panels = figure_checks(mod, path, "profiles", ["--show", "profiles"])
    axes = panel_axes(fig)
    report([p["title"].split("\n")[0] for p in panels] == ["r: identifiable", "K: identifiable"],
           "profiles: one panel per parameter, titled with its class "
           f"{[p['title'] for p in panels]}")
    check_size(fig, "profiles", 2, 1)
    with h5py.File(path, "r") as f:
        estimates = f["estimate"][:]
    for j, ax in enumerate(axes):
        sel = pp == j
        # the walks' points and the estimate at rise 0, through which both walks start
        xs, ys = np.append(pv[sel], estimates[j]), np.append(po[sel] - best, 0.0)
        order = np.argsort(xs)
        line = [ln for ln in ax.get_lines() if ln.get_gid() == mod.DATA_GID]
        report(len(line) == 1 and np.allclose(line[0].get_xdata(), xs[order])
               and np.allclose(line[0].get_ydata(), ys[order])
               and np.min(line[0].get_ydata()) == 0.0,
               f"profile {names[j]}: the file's points and the estimate, objective minus the best")
        hline = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        report(len(hline) == 1 and abs(hline[0].get_ydata()[0] - thr) < 1e-12
               and abs(thr - chi2.ppf(0.95, 1) / 2) < 1e-9,
               f"profile {names[j]}: the threshold line at chi2_1(0.95)/2 = {thr:.6f}")
        span = [p for p in ax.patches if p.__class__.__name__ == "Polygon"]
        xy = span[0].get_xy() if span else np.zeros((1, 2))
        report(len(span) == 1 and np.isclose(xy[:, 0].min(), lo[j])
               and np.isclose(xy[:, 0].max(), hi[j]),
               f"profile {names[j]}: the interval [{lo[j]:.4g}, {hi[j]:.4g}] shaded")
        vl = sorted(ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_linestyle() == ":")
        report(np.allclose(vl, [flo[j], fhi[j]]), f"profile {names[j]}: the Fisher interval marked")
        report(ax.get_xscale() == "log", f"profile {names[j]}: a log-scale parameter on log x")
        report(f"95% interval {lo[j]:.3g} to {hi[j]:.3g}" in ax.get_title(),
               f"profile {names[j]}: the title gives the interval ({ax.get_title()!r})")
        star = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
        with h5py.File(path, "r") as f:
            est = f["estimate"][j]
        report(len(star) == 1 and np.isclose(star[0].get_xdata()[0], est)
               and star[0].get_ydata()[0] == 0, f"profile {names[j]}: the estimate at 0")
    mod.plt.close(fig)

    # a parameter that does not cross on one side, and a failed re-optimisation
    practical = os.path.join(tmp, "practical.h5")
    shutil.copyfile(path, practical)
    with h5py.File(practical, "r+") as f:
        f["uncertainty/interval_upper"][1] = np.nan
        f["uncertainty/identifiability"][1] = "practically non-identifiable"
        obj = f["profile/objective"][:]
        k = int(np.flatnonzero(f["profile/param"][:] == 0)[0])
        obj[k] = np.nan
        f["profile/objective"][:] = obj
    fig, panels = figure_checks(mod, practical, "practical", ["--show", "profiles"])
    ax = panel_axes(fig)[1]
    xy = [p for p in ax.patches if p.__class__.__name__ == "Polygon"][0].get_xy()
    report(ax.get_title().startswith("K: practically non-identifiable")
           and "to none" in ax.get_title() and np.isclose(xy[:, 0].max(), pv[pp == 1].max()),
           f"practical: class and 'to none' in the title, the band to the last point "
           f"({ax.get_title()!r})")
    line = [ln for ln in panel_axes(fig)[0].get_lines() if ln.get_gid() == mod.DATA_GID][0]
    report(len(line.get_xdata()) == int((pp == 0).sum())  # one failed point out, the estimate in
           and "1 profile point whose re-optimisation failed" in figure_notes(fig),
           "practical: the failed profile point left out, and said")
    mod.plt.close(fig)


def check_auto(mod, path, tmp, profiled):
    fig, panels = figure_checks(mod, path, "auto" + ("" if profiled else " (--no-profiles)"), [])
    kinds = [p["kind"] for p in panels]
    want = ["data"] * 6 + ["waterfall"] + (["profile"] * 2 if profiled else [])
    report(kinds == want, f"auto: the data, the waterfall{', the profiles' if profiled else ''} "
           f"({kinds})")
    check_size(fig, "auto", 3 if profiled else 2, 4)
    if not profiled:
        report("the file has no profiles (/profile)" in figure_notes(fig),
               "auto without /profile: a note says so")
    fig_in = tuple(fig.get_size_inches())
    mod.plt.close(fig)
    key = "full" if profiled else "bare"
    for ext in (".png", ".svg", ".pdf"):
        out = os.path.join(tmp, f"{key}{ext}")
        r = plot(path, "-o", out)
        if report(r.returncode == 0 and r.stdout.startswith(f"wrote {out} (")
                  and f", {len(want)} panels)" in r.stdout,
                  f"{key}: writes {ext} ({r.stdout.strip()})"):
            check_image(ext, out, fig_in, f"{key} {ext}")
    r = plot(path, "--arm", "fast", "--show", "data", "-o", os.path.join(tmp, "fast.png"))
    report(r.returncode == 0 and ", 3 panels)" in r.stdout,
           f"--arm fast: 3 data panels ({r.stdout.strip()})")


def check_errors(path, bare, run, tmp):
    unprofiled = os.path.join(tmp, "unprofiled.h5")
    shutil.copyfile(path, unprofiled)
    with h5py.File(unprofiled, "r+") as f:     # a /profile whose rows name no parameter
        f["profile/param"][:] = 7
    cases = [
        ("--show profiles, no parameter profiled", [unprofiled, "--show", "profiles"],
         "has no profiles (/profile) of any parameter (r, K not profiled)"),
        ("--show profiles without /profile", [bare, "--show", "profiles"],
         "has no profiles (/profile)"),
        ("--vars on a fit file", [path, "--vars", "N"], "--vars is not for fit files"),
        ("--sensitivities on a fit file", [path, "--sensitivities", "log"],
         "--sensitivities is not for fit files"),
        ("--show indices on a fit file", [path, "--show", "indices"],
         "is a fit file: --show indices needs a sweep file"),
        ("--show data on a run file", [run, "--show", "data"],
         "is a run file: --show data needs a fit file"),
        ("unknown --arm", [path, "--arm", "fsat"],
         "unknown arm 'fsat' in --arm (did you mean 'fast'"),
        ("--arm with --show waterfall", [path, "--arm", "fast", "--show", "waterfall"],
         "--arm chooses the data panels"),
    ]
    for label, args, needle in cases:
        error_case(label, args + ["-o", os.path.join(tmp, "err.png")], needle)
    report(not os.path.exists(os.path.join(tmp, "err.png")), "no figure for a refused command")


def images(html):
    return re.findall(r'<img alt="([^"]*)" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"',
                      html)


def check_report(path, bare, tmp):
    env = dict(os.environ, SYNOVIA_PLOT=os.path.abspath("scripts/synovia-plot"))
    summary = subprocess.run([SYNOVIA, "summary", path, "--width", "0"], capture_output=True,
                             text=True).stdout
    for key, h5, n in (("full", path, 3), ("bare", bare, 2)):
        out = os.path.join(tmp, f"{key}.html")
        r = subprocess.run([SYNOVIA, "report", h5, "-o", out], capture_output=True, text=True,
                           env=env)
        report(r.returncode == 0 and r.stdout == f"wrote {out} ({n} figures)\n",
               f"report of the {key} fit file: {n} figures ({r.stdout.strip()} {r.stderr.strip()})")
        if r.returncode != 0:
            continue
        html = open(out).read()
        imgs = images(html)
        alts = [a for a, _ in imgs]
        report(len(imgs) == n and alts[0].startswith("The data (error bars")
               and alts[1].startswith("The waterfall")
               and (n == 2 or alts[2].startswith("Profile")),
               f"report {key}: the data, waterfall{' and profile' if n == 3 else ''} figures")
        report(all(base64.b64decode(b).decode().lstrip().startswith("<?xml") for _, b in imgs),
               f"report {key}: each figure an embedded SVG")
        aic = re.search(r"AIC\s+(\S+)", summary)
        report(aic is not None and f"<dt>AIC</dt><dd>{aic.group(1)} " in html
               and "<td>r</td><td>log10</td>" in html and "<td>K</td><td>log</td>" in html
               and "Fit of " in html.split("</h1>")[0],
               f"report {key}: summary's estimate table and fit quality, titled by the fit file")
        with h5py.File(h5, "r") as f:
            row = [f"<td>{PREDICTION}</td>"] + [f'<td class="num">{f[k][0]:.8g}</td>' for k in
                                                ("prediction/estimate", "prediction/lower",
                                                 "prediction/upper")]
        report("".join(row) in html, f"report {key}: the /prediction table ({''.join(row)})")


def check_run_sensitivities(tmp):
    run = os.path.join(tmp, "sens.h5")
    r = subprocess.run([SYNOVIA, "run", GROWTH, "-q", "-o", run, "--sensitivities", "r,K"],
                       capture_output=True, text=True)
    if not report(r.returncode == 0, "synovia run growth.scenario --sensitivities r,K"):
        return
    out = os.path.join(tmp, "sens.html")
    env = dict(os.environ, SYNOVIA_PLOT=os.path.abspath("scripts/synovia-plot"))
    r = subprocess.run([SYNOVIA, "report", run, "-o", out], capture_output=True, text=True, env=env)
    report(r.returncode == 0 and r.stdout == f"wrote {out} (3 figures)\n",
           f"report of a run with sensitivities in 2 arms: 3 figures ({r.stdout.strip()})")
    alts = [a for a, _ in images(open(out).read())] if r.returncode == 0 else []
    report(len(alts) == 3 and alts[0].startswith("The arms compared")
           and all("d ln y / d ln p" in a for a in alts[1:])
           and alts[1].endswith('of arm &quot;slow&quot;.')
           and alts[2].endswith('of arm &quot;fast&quot;.'),
           f"report: a sensitivity figure per arm, named ({alts[1:]})")
    plain = os.path.join(tmp, "plain.h5")
    subprocess.run([SYNOVIA, "run", GROWTH, "-q", "-o", plain], capture_output=True)
    r = subprocess.run([SYNOVIA, "report", plain, "-o", os.path.join(tmp, "plain.html")],
                       capture_output=True, text=True, env=env)
    report(r.returncode == 0 and r.stdout.endswith("(1 figure)\n"),
           f"report of a run without sensitivities: its one figure ({r.stdout.strip()})")
    return plain


def without_fitted(path, tmp):
    """A copy without /fitted, as a file from before the fitted curves has none."""
    out = os.path.join(tmp, "nofitted.h5")
    shutil.copyfile(path, out)
    with h5py.File(out, "r+") as f:
        del f["fitted"]
    return out


def check_units(mod, path, tmp):
    """The y axes carry the units of /observable; without the table, no unit and normal."""
    unit = os.path.join(tmp, "unit.h5")
    shutil.copyfile(path, unit)
    with h5py.File(unit, "r+") as f:
        f["observable/units"][0] = "cells"
    fig, _ = figure_checks(mod, unit, "units", ["--show", "data"])
    axes = by_title(fig)
    report(all(axes[f"{a}: N_obs"].get_ylabel() == "N_obs (cells)" for a in ARMS)
           and all(axes[f"{a}: {o}"].get_ylabel() == o for a in ARMS for o in ("frac", "N_count")),
           "units: the y label of an observable with a unit names it, the dimensionless none "
           f"({[ax.get_ylabel() for ax in axes.values()]})")
    notes = figure_notes(fig)
    report(f"N_count: sd = {SD_COUNT:g}" in notes,
           f"notes: the sd model of an observable without sds in the data ({notes!r})")
    mod.plt.close(fig)
    with h5py.File(unit, "r+") as f:
        del f["observable"]
    fig, _ = figure_checks(mod, unit, "no /observable", ["--show", "data"])
    axes = by_title(fig)
    report(all(axes[f"{a}: frac"].get_yscale() == "linear" for a in ARMS),
           "without /observable every observable is normal (linear axis, value +- sd)")
    mod.plt.close(fig)


def main():
    if not os.access(SYNOVIA, os.X_OK):
        report(False, f"{SYNOVIA} exists (build it first)")
        return finish()
    mod = load_script()
    tmp = tempfile.mkdtemp(prefix="synovia-plot-fit-")
    try:
        full, noprof = make_fit(tmp)
        if full is None or noprof is None:
            return finish()
        check_observable_table(full)
        check_independently(full, tmp)
        with h5py.File(noprof, "r") as f:
            report("profile" not in f and "fitted" in f and "observable" in f
                   and list(f["uncertainty/identifiability"].asstr()[:]) == ["not profiled"] * 2,
                   "--no-profiles: no /profile; /uncertainty (not profiled), /fitted, /observable")
        nofitted = without_fitted(full, tmp)
        d = file_data(full)
        check_data_panels(mod, full, d, fitted=True)
        check_data_panels(mod, nofitted, d, fitted=False)
        check_units(mod, full, tmp)
        check_waterfall(mod, full, tmp)
        check_profiles(mod, full, tmp)
        check_auto(mod, full, tmp, profiled=True)
        check_auto(mod, noprof, tmp, profiled=False)
        run = check_run_sensitivities(tmp)
        if run:
            check_errors(full, noprof, run, tmp)
        check_report(full, noprof, tmp)
        if os.path.exists(ASAN):
            r = subprocess.run([ASAN, "report", full, "-o", os.path.join(tmp, "asan.html"),
                                "--no-figures"], capture_output=True, text=True)
            report(r.returncode == 0 and "Sanitizer" not in r.stderr,
                   f"report of a fit file under AddressSanitizer: clean ({r.stderr[-200:]})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
