"""scripts/synovia-plot and synovia report on fit files (issue 15 point 6): the data with their
error bars against the fitted curves per arm and observable, the waterfall of the starts and
the profile likelihoods; and the report of a run file with sensitivities.

The fit file is made by `synovia fit` on a small fit written here: the logistic growth of
tests/sweep/growth.scenario (arms "slow" and "fast") fitted to synthetic counts (normal, sd
from the table), a log-normal share (sd from the table, turned into the sd of ln) and a
normal count with a fixed sd (no sd in the table: no error bar). Its /uncertainty, /profile
and /fitted groups are added here with h5py, as docs/fitting.md and LAYOUT.md specify them,
computed independently with scipy on the logistic closed form (the profile re-optimises the
other parameter, the interval interpolates the threshold crossings, the Fisher interval comes
from a finite-difference Hessian); the file as synovia wrote it checks the figures without
them. Every check compares what is drawn with the file's numbers. Speaks TAP."""
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
from scipy.optimize import minimize_scalar
from scipy.stats import chi2

from plotcheck import (check_image, error_case, figure_checks, figure_notes, finish,
                       header_height, load_script, panel_axes, plot, report)

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
ASAN = os.path.join(BUILD, "asan", "synovia")
GROWTH = os.path.abspath("tests/sweep/growth.scenario")
ARMS = {"slow": 0.5, "fast": 1.0}      # growth.scenario: set s = 0.5 in "slow"
SD_N, SD_FRAC, SD_COUNT = 0.4, 0.1, 0.5
OBSERVABLES = ["N_obs", "frac", "N_count"]


def logistic(r, K, s, t):
    """growth.model: dN/dt = s sqrt(r) N (1 - N/K), N(0) = 1."""
    return K / (1.0 + (K - 1.0) * np.exp(-s * np.sqrt(r) * np.asarray(t, dtype=float)))


def make_fit(tmp):
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
        f.write(f'fit "Logistic growth in two arms"\nscenario "{GROWTH}"\ndata "growth.csv"\n'
                "observable N_obs = N\n  noise normal sd = data\n"
                "observable frac = half   # a share\n  noise lognormal sd = data\n"
                f"observable N_count = N\n  noise normal sd = {SD_COUNT}\n"
                "estimate r log10 within 0.05 5\nestimate K log within 2 50\n"
                "multistart 6 lhs seed 2\n")
    out = os.path.join(tmp, "growth.h5")
    r = subprocess.run([SYNOVIA, "fit", os.path.join(tmp, "growth.fit"), "-q", "-o", out],
                       capture_output=True, text=True)
    return out if report(r.returncode == 0 and os.path.exists(out),
                         f"synovia fit growth.fit writes the fit file ({r.stderr.strip()})") \
        else None


def nllh(f, theta):
    """The objective of docs/fitting.md, written out for the logistic closed form."""
    r, K = theta
    arm, obs = f["data/arm"].asstr()[:], f["data/observable"].asstr()[:]
    t, m, sd = f["data/time"][:], f["data/value"][:], f["data/sd"][:]
    total = 0.0
    for i in range(len(m)):
        n = logistic(r, K, ARMS[arm[i]], t[i])
        if obs[i] != "frac":
            s = sd[i] if obs[i] == "N_obs" else SD_COUNT
            total += 0.5 * math.log(2 * math.pi * s * s) + 0.5 * ((m[i] - n) / s) ** 2
        else:
            y, s = n / K, sd[i]      # the file's sd of a log-normal point is that of ln m
            total += (0.5 * math.log(2 * math.pi * s * s) + math.log(m[i])
                      + 0.5 * ((math.log(m[i]) - math.log(y)) / s) ** 2)
    return total


def to_scale(v, scale):
    return math.log10(v) if scale == "log10" else math.log(v) if scale == "log" else v


def from_scale(x, scale):
    return 10.0 ** x if scale == "log10" else math.exp(x) if scale == "log" else x


def profile_of(f, j, est, scales, lo, hi, thr, best):
    """Points of the profile of parameter j: the other one re-optimised (scipy), stepping
    0.02 on j's scale each way until the rise passes 1.5 x threshold or the bound."""
    k = 1 - j
    pts = []
    for direction in (-1, 1):
        x = to_scale(est[j], scales[j])
        while True:
            x += direction * 0.02
            lim = to_scale(lo[j] if direction < 0 else hi[j], scales[j])
            if (x - lim) * direction > 0:
                break
            def g(xk):
                theta = [0.0, 0.0]
                theta[j], theta[k] = from_scale(x, scales[j]), from_scale(xk, scales[k])
                return nllh(f, theta)
            bounds = (to_scale(lo[k], scales[k]), to_scale(hi[k], scales[k]))
            res = minimize_scalar(g, bounds=bounds,
                                  method="bounded", options={"xatol": 1e-9})
            theta = [0.0, 0.0]
            theta[j], theta[k] = from_scale(x, scales[j]), from_scale(res.x, scales[k])
            pts.append((theta[j], res.fun, theta))
            if res.fun - best > 1.5 * thr:
                break
    pts.append((est[j], best, list(est)))
    return sorted(pts, key=lambda p: p[0])


def crossing(pts, est, side, thr, best):
    """Where the profile crosses best + thr on one side (linear interpolation), NaN if never."""
    seq = [p for p in pts if (p[0] <= est if side < 0 else p[0] >= est)]
    if side < 0:
        seq = seq[::-1]
    for a, b in zip(seq, seq[1:]):
        ya, yb = a[1] - best, b[1] - best
        if ya <= thr < yb:
            return a[0] + (thr - ya) / (yb - ya) * (b[0] - a[0])
    return math.nan


def add_layout_groups(path):
    """Adds /uncertainty, /profile and /fitted: groups as LAYOUT.md / docs/fitting.md specify them,
    computed here with scipy on the logistic closed form (not by synovia)."""
    with h5py.File(path, "r+") as f:
        est = [float(v) for v in f["estimate"][:]]
        scales = list(f["scale"].asstr()[:])
        lo, hi = f["lower"][:], f["upper"][:]
        best = float(f.attrs["best_objective"])
        thr = chi2.ppf(0.95, 1) / 2.0
        strs = h5py.string_dtype()
        rows, ivl, ivu = [], [], []
        for j in range(2):
            pts = profile_of(f, j, est, scales, lo, hi, thr, best)
            rows += [(j, p[0], p[1], p[2]) for p in pts]
            ivl.append(crossing(pts, est[j], -1, thr, best))
            ivu.append(crossing(pts, est[j], 1, thr, best))
        # Fisher: the Hessian of the objective on the scales, by central differences
        x0 = np.array([to_scale(v, s) for v, s in zip(est, scales)])
        h, H = 1e-3, np.zeros((2, 2))
        def F(x):
            return nllh(f, [from_scale(x[i], scales[i]) for i in range(2)])
        for a in range(2):
            for b in range(2):
                e_a, e_b = np.eye(2)[a] * h, np.eye(2)[b] * h
                H[a, b] = (F(x0 + e_a + e_b) - F(x0 + e_a - e_b) - F(x0 - e_a + e_b)
                           + F(x0 - e_a - e_b)) / (4 * h * h)
        se = np.sqrt(np.diag(np.linalg.inv(H)))
        g = f.create_group("uncertainty")
        g.attrs["confidence"] = 0.95
        g.attrs["threshold"] = thr
        g.attrs["best_objective"] = best
        g.create_dataset("interval_lower", data=np.array(ivl))
        g.create_dataset("interval_upper", data=np.array(ivu))
        cls = ["identifiable" if math.isfinite(a) and math.isfinite(b) else
               "practically non-identifiable" for a, b in zip(ivl, ivu)]
        g.create_dataset("identifiability", data=np.array(cls, dtype=object), dtype=strs)
        fl = g.create_dataset("fisher_lower", data=np.array(
            [from_scale(x0[i] - 1.959964 * se[i], scales[i]) for i in range(2)]))
        g.create_dataset("fisher_upper", data=np.array(
            [from_scale(x0[i] + 1.959964 * se[i], scales[i]) for i in range(2)]))
        fl.attrs["method"] = "Fisher information (Wald) at the best estimate"
        p = f.create_group("profile")
        p.create_dataset("point", data=np.arange(len(rows), dtype=np.int64))
        p.create_dataset("param", data=np.array([r[0] for r in rows], dtype=np.int64))
        p.create_dataset("value", data=np.array([r[1] for r in rows]))
        p.create_dataset("objective", data=np.array([r[2] for r in rows]))
        p.create_dataset("status", data=np.array(["converged"] * len(rows), dtype=object),
                         dtype=strs)
        p.create_dataset("x", data=np.array([r[3] for r in rows]))
        fa, fo, ft, fv = [], [], [], []
        data_t = f["data/time"][:]
        for arm, s in ARMS.items():
            times = np.unique(np.concatenate([np.linspace(0.0, 10.0, 200), data_t]))
            n = logistic(est[0], est[1], s, times)
            for obs, y in (("N_obs", n), ("frac", n / est[1]), ("N_count", n)):
                fa += [arm] * times.size
                fo += [obs] * times.size
                ft += list(times)
                fv += list(y)
        q = f.create_group("fitted")
        q.create_dataset("row", data=np.arange(len(fa), dtype=np.int64))
        q.create_dataset("arm", data=np.array(fa, dtype=object), dtype=strs)
        q.create_dataset("observable", data=np.array(fo, dtype=object), dtype=strs)
        q.create_dataset("time", data=np.array(ft)).attrs["units"] = "d"
        q.create_dataset("value", data=np.array(fv))
    return best, est


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
    for j, ax in enumerate(axes):
        sel = pp == j
        order = np.argsort(pv[sel])
        line = [ln for ln in ax.get_lines() if ln.get_gid() == mod.DATA_GID]
        report(len(line) == 1 and np.allclose(line[0].get_xdata(), pv[sel][order])
               and np.allclose(line[0].get_ydata(), po[sel][order] - best),
               f"profile {names[j]}: the file's points, objective minus the best")
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
    report(len(line.get_xdata()) == int((pp == 0).sum()) - 1
           and "1 profile point whose re-optimisation failed" in figure_notes(fig),
           "practical: the failed profile point left out, and said")
    mod.plt.close(fig)


def check_auto(mod, path, tmp, fitted):
    fig, panels = figure_checks(mod, path, "auto" + ("" if fitted else " (bare file)"), [])
    kinds = [p["kind"] for p in panels]
    want = ["data"] * 6 + ["waterfall"] + (["profile"] * 2 if fitted else [])
    report(kinds == want, f"auto: the data, the waterfall{', the profiles' if fitted else ''} "
           f"({kinds})")
    check_size(fig, "auto", 3 if fitted else 2, 4)
    if not fitted:
        report("the file has no profiles (/profile)" in figure_notes(fig),
               "auto without /profile: a note says so")
    fig_in = tuple(fig.get_size_inches())
    mod.plt.close(fig)
    key = "full" if fitted else "bare"
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


def main():
    if not os.access(SYNOVIA, os.X_OK):
        report(False, f"{SYNOVIA} exists (build it first)")
        return finish()
    mod = load_script()
    tmp = tempfile.mkdtemp(prefix="synovia-plot-fit-")
    try:
        bare = make_fit(tmp)
        if bare is None:
            return finish()
        with h5py.File(bare, "r") as f:
            mine, theirs = nllh(f, f["estimate"][:]), float(f.attrs["best_objective"])
        report(abs(mine - theirs) < 1e-3,
               f"the fixture's objective (scipy, closed form) at the estimate is synovia's "
               f"({mine:.6f} vs {theirs:.6f})")
        full = os.path.join(tmp, "full.h5")
        shutil.copyfile(bare, full)
        add_layout_groups(full)
        d = file_data(full)
        check_data_panels(mod, full, d, fitted=True)
        check_data_panels(mod, bare, d, fitted=False)
        check_waterfall(mod, full, tmp)
        check_profiles(mod, full, tmp)
        check_auto(mod, full, tmp, fitted=True)
        check_auto(mod, bare, tmp, fitted=False)
        run = check_run_sensitivities(tmp)
        if run:
            check_errors(full, bare, run, tmp)
        check_report(full, bare, tmp)
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
