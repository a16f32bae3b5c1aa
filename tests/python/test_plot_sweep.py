"""scripts/synovia-plot on sweep files: Sobol indices with their intervals, the Morris mu*-sigma
plot, metric distributions by arm and a metric against each parameter, in PNG, SVG and PDF of
the documented sizes, with readable labels (no overlaps, nothing under 9 pt), and every error.

Sweep files are made with the CLI in a temporary folder: tests/sweep/ishigami.sweep (Sobol),
tests/sweep/morris_linear.sweep (Morris), and two sweeps of tests/sweep/growth.scenario written
here (a Latin hypercube with failing samples and a saltelli design, both with a difference arm).
Copies edited with h5py cover figures of more than 12 panels (pages), a difference arm named
with a Unicode minus and a sweep whose samples all failed. Speaks TAP."""
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import h5py
import numpy as np

from plotcheck import (check_image, error_case, figure_checks, figure_notes, finish,
                       header_height, load_script, panel_axes, plot, png_size, report)

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
FIXTURES = os.path.abspath("tests/sweep")
GROWTH = os.path.join(FIXTURES, "growth.scenario")
SWEEPS = {
    "lhs": f'sweep "Growth: two arms and their difference"\nscenario "{GROWTH}"\n'
           'design lhs 60 seed 3\nvary r uniform -0.1 2 /d\nvary K loguniform 2 50\n'
           'difference fast slow\n',
    "saltelli": f'sweep "Growth: what drives each arm"\nscenario "{GROWTH}"\n'
                'design saltelli 64 seed 5\nvary r uniform 0.1 2 /d\nvary K loguniform 2 50\n'
                'difference fast slow\n',
}


def make_sweeps(tmp):
    made = {}
    jobs = [("ishigami", os.path.join(FIXTURES, "ishigami.sweep")),
            ("morris", os.path.join(FIXTURES, "morris_linear.sweep"))]
    for key, text in SWEEPS.items():
        path = os.path.join(tmp, key + ".sweep")
        with open(path, "w") as f:
            f.write(text)
        jobs.append((key, path))
    for key, sweep in jobs:
        out = os.path.join(tmp, key + ".h5")
        r = subprocess.run([SYNOVIA, "sweep", sweep, "-o", out], capture_output=True, text=True)
        if report(r.returncode == 0 and os.path.exists(out),
                  f"synovia sweep {os.path.basename(sweep)} ({r.stderr.strip()[-80:]})"):
            made[key] = out
    run = os.path.join(tmp, "run.h5")
    r = subprocess.run([SYNOVIA, "run", GROWTH, "-o", run], capture_output=True, text=True)
    if report(r.returncode == 0, "synovia run growth.scenario (a run file for the errors)"):
        made["run"] = run
    return made


def edited_copy(src, dst, edit):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)
    return dst


def check_layout(mod, fig, key, ncols, nrows, panel_h, single=False):
    """Width and height from the layout rules of docs/plotting.md ("Sweep files")."""
    w, h = fig.get_size_inches()
    if single:
        want_w, body = 6.4, max(4.0, panel_h)
    else:
        want_w, body = 4.6 * ncols, panel_h * nrows
    want_h = round((body + header_height(fig)) * 150) / 150
    return report(abs(w - want_w) < 1e-9 and abs(h - want_h) < 1e-9,
                  f"{key}: {want_w:.2f} x {want_h:.2f} in ({ncols} columns, {nrows} rows of "
                  f"{panel_h:.2f} in; got {w:.2f} x {h:.2f})")


def formats(mod, path, key, extra, fig_in, tmp):
    """The CLI writes PNG, SVG and PDF of the in-process figure's size, and says so."""
    for ext in (".png", ".svg", ".pdf"):
        out = os.path.join(tmp, key.replace(" ", "_") + f"_fig{ext}")
        r = plot(path, *extra, "-o", out)
        if report(r.returncode == 0 and os.path.exists(out) and r.stdout.startswith(f"wrote {out} ("),
                  f"{key}: writes {ext} ({r.stdout.strip()} {r.stderr.strip()[:80]})"):
            check_image(ext, out, fig_in, f"{key} {ext}")
            if ext == ".png":
                w, h = png_size(out)
                report(f"({w}x{h} px, " in r.stdout, f"{key}: the printed size is the PNG's")


def file_values(path, arm, key):
    with h5py.File(path, "r") as f:
        return f[f"arms/{arm}/{key}"][:]


def check_sobol(mod, path, tmp):
    fig, panels = figure_checks(mod, path, "ishigami indices", ["--show", "indices"])
    axes = panel_axes(fig)
    report(len(panels) == 1 and len(axes) == 1, f"ishigami: one panel (got {len(panels)})")
    ax = axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    report(ticks == ["x1", "x2", "x3"], f"ishigami: the parameters in file order {ticks}")
    bars = [c for c in ax.containers if c.__class__.__name__ == "BarContainer"]
    with_err = [c for c in bars if c.errorbar is not None]
    report(len(bars) == 2 and len(with_err) == 2,
           f"ishigami: S1 and ST bars, each with error bars ({len(bars)}, {len(with_err)})")
    s1, st = file_values(path, "f", "sobol_S1")[0], file_values(path, "f", "sobol_ST")[0]
    conf = file_values(path, "f", "sobol_S1_conf")[0]
    widths = [[p.get_width() for p in c.patches] for c in bars]
    report(np.allclose(widths[0], s1) and np.allclose(widths[1], st),
           f"ishigami: bar lengths are the file's S1 and ST {np.round(widths, 3).tolist()}")
    segs = with_err[0].errorbar.lines[2][0].get_segments()
    spans = [abs(s[1][0] - s[0][0]) / 2 for s in segs]
    report(np.allclose(spans, conf), f"ishigami: S1 error bars are the file's half-widths {spans}")
    report(ax.get_xlim()[0] <= 0 and ax.get_xlim()[1] >= 1.0,
           f"ishigami: the index axis spans 0 to 1 at least {ax.get_xlim()}")
    legend = [t.get_text() for ax2 in fig.axes if not ax2.axison
              for t in ax2.get_legend().get_texts()]
    report(any("S1" in t for t in legend) and any("ST" in t for t in legend)
           and any("95% bootstrap interval" in t for t in legend),
           f"ishigami: the legend explains S1, ST and the interval {legend}")
    check_layout(mod, fig, "ishigami", 1, 1, 3.3, single=True)
    fig_in = tuple(fig.get_size_inches())
    mod.plt.close(fig)
    formats(mod, path, "ishigami", ["--show", "indices"], fig_in, tmp)
    r = plot(path, "-o", os.path.join(tmp, "ish_auto.png"))
    report(r.returncode == 0 and ", 1 panel)" in r.stdout
           and png_size(os.path.join(tmp, "ish_auto.png")) == (round(fig_in[0] * 150),
                                                                round(fig_in[1] * 150)),
           f"ishigami: --show auto draws the indices ({r.stdout.strip()})")


def check_morris(mod, path, tmp):
    fig, panels = figure_checks(mod, path, "morris", [])
    ax = panel_axes(fig)[0]
    names = sorted(t.get_text() for t in ax.texts)
    report(names == ["x1", "x2", "x3"], f"morris: each point named {names}")
    pts = np.concatenate([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    mu_star = file_values(path, "lin", "morris_mu_star")[0]
    sigma = file_values(path, "lin", "morris_sigma")[0]
    report(np.allclose(sorted(pts[:, 0]), sorted(mu_star)) and np.allclose(
        sorted(pts[:, 1]), sorted(sigma), atol=1e-9),
        f"morris: points at the file's (mu*, sigma) {pts.tolist()}")
    report(abs(mu_star[1] - 15) < 1e-6 and abs(mu_star[0] - 2) < 1e-6,
           f"morris: mu* of the linear function is |coefficient| x range {mu_star}")
    report("\u03bc*" in ax.get_xlabel() and "\u03c3" in ax.get_ylabel(),
           f"morris: axes named mu* and sigma ({ax.get_xlabel()!r}, {ax.get_ylabel()!r})")
    check_layout(mod, fig, "morris", 1, 1, 3.3, single=True)
    fig_in = tuple(fig.get_size_inches())
    mod.plt.close(fig)
    formats(mod, path, "morris", ["--show", "indices"], fig_in, tmp)

    # names of points that coincide or crowd a corner move apart (with a leader line)
    rng = np.random.default_rng(1)
    points = [(float(x), float(y), f"param_{k}") for k, (x, y) in
              enumerate(zip(rng.uniform(0, 1, 14) ** 3, rng.uniform(0, 0.5, 14) ** 2))]
    points += [(0.0, 0.0, "k_a"), (0.0, 0.0, "k_b"), (0.0, 0.0, "k_c")]
    fig = mod.plt.figure(figsize=(6.4, 4.0), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    ax.scatter([p[0] for p in points], [p[1] for p in points])
    ax.set_xlim(-0.06, 1.2)
    ax.set_ylim(-0.015, 0.3)
    mod.place_point_labels(fig, [{"ax": ax, "points": points}])
    overlaps = mod.text_overlaps(fig)
    named = sorted(t.get_text() for t in ax.texts if t.get_text())
    report(not overlaps and named == sorted(p[2] for p in points),
           f"morris: 17 crowded names placed without overlap {overlaps[:3]}")
    mod.plt.close(fig)


def check_saltelli(mod, path, tmp):
    fig, panels = figure_checks(mod, path, "growth saltelli", [])
    titles = [p["title"] for p in panels]
    report(titles == ["slow: N_end", "slow: N_auc", "fast: N_end", "fast: N_auc",
                      "fast - slow: N_end", "fast - slow: N_auc"],
           f"saltelli: one panel per arm and metric, the difference arm included {titles}")
    axes = panel_axes(fig)
    report(all(len([c for c in ax.containers if getattr(c, "errorbar", None)]) == 2
               for ax in axes), "saltelli: error bars in every panel")
    report(len({ax.get_xlim() for ax in axes}) == 1, "saltelli: one index scale for all panels")
    report(all([t.get_text() for t in ax.get_yticklabels()] == ["r", "K"] for ax in axes),
           "saltelli: parameter names on every panel")
    check_layout(mod, fig, "saltelli", 2, 3, 3.3)
    fig_in = tuple(fig.get_size_inches())
    mod.plt.close(fig)
    formats(mod, path, "saltelli", ["--show", "indices"], fig_in, tmp)
    fig, panels = figure_checks(mod, path, "saltelli --arm --metric",
                                ["--arm", "fast - slow", "--metric", "N_auc"])
    report([p["title"] for p in panels] == ["fast - slow: N_auc"],
           "saltelli: --arm and --metric pick one panel")
    mod.plt.close(fig)

    check_pages(mod, path, tmp)


def titles_of(panels):
    return [p["title"] for p in panels]


def check_pages(mod, path, tmp):
    """Copies of the saltelli sweep with more arms: 16 arm x metric panels (a group of two
    per arm) and, with one metric, 15 panels in one group; pages of 12 that keep the rows."""
    many = edited_copy(path, os.path.join(tmp, "many_arms.h5"), lambda f: [
        f.copy("arms/fast", f"arms/fast copy {k}") for k in range(1, 13)])
    arms = ["slow", "fast", "fast - slow"] + [f"fast copy {k}" for k in range(1, 13)]
    six = ",".join(arms[:3] + arms[3:8])          # 8 arms x 2 metrics = 16 panels
    out = os.path.join(tmp, "many.png")
    every = [f"{a}: {m}" for a in sorted(six.split(","), key=arms.index)
             for m in ("N_end", "N_auc")]
    pages, limits = [], set()
    for k, n, rows in ((1, 12, 6), (2, 4, 2)):
        r = plot(many, "--arm", six, "--page", str(k), "-o", out)
        want = f"page {k} of 2 (16 panels)" + (": the others with --page 2" if k == 1 else "")
        report(r.returncode == 0 and r.stdout == f"wrote {out} ({png_size(out)[0]}x"
               f"{png_size(out)[1]} px, {n} panels, page {k} of 2)\n"
               and r.stderr == f"synovia-plot: note: {want}\n",
               f"16 arm x metric panels, page {k}: {n} panels and the note "
               f"({r.stdout.strip()} {r.stderr.strip()})")
        fig, panels = figure_checks(mod, many, f"indices page {k}",
                                    ["--arm", six, "--page", str(k)])
        pages.append(titles_of(panels))
        report(f"note: {want}" in figure_notes(fig),
               f"indices page {k}: the note is drawn ({figure_notes(fig)!r})")
        check_layout(mod, fig, f"indices page {k}", 2, rows, 3.3)
        limits |= {ax.get_xlim() for ax in panel_axes(fig)}
        fig_in = tuple(fig.get_size_inches())
        mod.plt.close(fig)
        if k == 2:
            formats(mod, many, "indices page 2", ["--arm", six, "--page", "2"], fig_in, tmp)
    report(pages[0] + pages[1] == every and len(set(every)) == 16,
           f"indices: pages 1 and 2 hold the 16 panels once each, in order {pages[1]}")
    report(len(limits) == 1, f"indices: one index scale on both pages {sorted(limits)}")
    r = plot(many, "--arm", six, "-o", out)
    report(r.returncode == 0 and r.stdout.endswith(", 12 panels, page 1 of 2)\n"),
           f"indices: page 1 by default ({r.stdout.strip()})")

    # one metric: all 15 arms' panels are one group, split 12 + 3 between the pages
    for k, n, rows in ((1, 12, 4), (2, 3, 1)):
        fig, panels = figure_checks(mod, many, f"one group page {k}",
                                    ["--metric", "N_end", "--page", str(k)])
        report(titles_of(panels) == [f"{a}: N_end" for a in arms][12 * (k - 1):12 * k],
               f"one group page {k}: panels {12 * (k - 1) + 1} to {12 * (k - 1) + n}")
        check_layout(mod, fig, f"one group page {k}", 3, rows, 3.3)
        mod.plt.close(fig)
    error_case("--page 3 of 2", [many, "--metric", "N_end", "--page", "3", "-o", out + "3.png"],
               "--page 3: the figure has only 2 pages")
    report(not os.path.exists(out + "3.png"), "no file for a page past the last")
    r = plot(path, "--page", "1", "-o", os.path.join(tmp, "one.png"))
    report(r.returncode == 0 and "page" not in r.stdout + r.stderr
           and r.stdout.endswith(", 6 panels)\n"),
           f"a figure of 6 panels: --page 1 prints no page text ({r.stdout.strip()})")

    # groups that straddle a page: each part starts a row; every panel on exactly one page
    groups = [[("g", i, j) for j in range(n)] for i, n in enumerate((5, 5, 5, 13))]
    got = []
    for k in (1, 2, 3):
        notes = []
        part, page = mod.page_groups(groups, k, notes)
        got.append(([len(g) for g in part], page, notes))
    report([g[:2] for g in got] == [([5, 5, 2], (1, 3)), ([3, 9], (2, 3)), ([4], (3, 3))]
           and got[1][2] == ["page 2 of 3 (28 panels): the others with --page 3"],
           f"page_groups: 28 panels in groups of 5, 5, 5, 13 make pages of 12, 12, 4 {got}")
    notes = []
    report(mod.page_groups([[1, 2], [3]], 1, notes) == ([[1, 2], [3]], (1, 1)) and not notes,
           "page_groups: one page leaves the groups and notes as they are")
    report(mod.page_note(1, 3, 30) == "page 1 of 3 (30 panels): the others with --page 2 and 3"
           and mod.page_note(1, 4, 40).endswith("--page 2 to 4"),
           "page notes name the pages after this one")


def check_lhs(mod, path, tmp):
    with h5py.File(path, "r") as f:
        status = f["status"][:]
    n_ok, n_failed = int((status == 1).sum()), int((status < 0).sum())
    report(n_failed > 0, f"lhs: the growth sweep has failed samples ({n_failed})")
    fig, panels = figure_checks(mod, path, "lhs distributions", [])
    titles = [p["title"] for p in panels]
    report(titles == ["N_end", "N_end: difference between arms", "N_auc",
                      "N_auc: difference between arms"],
           f"lhs: --show auto draws distributions, arms and difference apart {titles}")
    axes = panel_axes(fig)
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    report(labels == [f"slow\n(n = {n_ok})", f"fast\n(n = {n_ok})"],
           f"lhs: arms named with their ok samples {labels}")
    report(len(axes[0].patches) == 2 and len(axes[1].patches) == 1,
           "lhs: one box per arm")
    dots = sum(len(c.get_offsets()) for c in axes[0].collections)
    report(dots == 2 * n_ok, f"lhs: one dot per ok sample and arm ({dots})")
    report(any(ln.get_xdata()[0] == 0 and ln.get_linestyle() == "--"
               for ln in axes[1].get_lines()), "lhs: a zero line in the difference panel")
    report("N_auc (d)" == axes[2].get_xlabel(), f"lhs: metric units ({axes[2].get_xlabel()!r})")
    notes = [t.get_text() for ax in fig.axes if not ax.axison for t in ax.texts]
    report(any(f"{n_failed} of {status.size} samples failed" in t for t in notes),
           f"lhs: the figure notes the failed samples {notes}")
    slow = file_values(path, "slow", "metric_value")[status == 1, 0]
    medians = [ln.get_xdata()[0] for ln in axes[0].get_lines()
               if ln.get_linewidth() == 2.0 and len(ln.get_xdata()) == 2]
    report(len(medians) == 2 and abs(medians[0] - np.median(slow)) < 1e-12,
           f"lhs: the box's median line is the median of the ok samples {medians[:1]}")
    check_layout(mod, fig, "lhs distributions", 2, 2, 3.3)
    fig_in = tuple(fig.get_size_inches())
    mod.plt.close(fig)
    formats(mod, path, "lhs distributions", ["--show", "distributions"], fig_in, tmp)

    fig, panels = figure_checks(mod, path, "lhs --log on", ["--log", "on", "--metric", "N_auc"])
    axes = panel_axes(fig)
    logs = np.log10(file_values(path, "slow", "metric_value")[status == 1, 1])
    lq1, lq3 = np.percentile(logs, [25, 75])
    reach = 1.5 * (lq3 - lq1)
    want = (10 ** logs[logs >= lq1 - reach].min(), 10 ** logs[logs <= lq3 + reach].max())
    whiskers = [ln.get_xdata() for ln in axes[0].get_lines()
                if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] != ln.get_xdata()[1]
                and ln.get_linewidth() != 2.0][:2]
    got = (min(whiskers[0]), max(whiskers[1])) if len(whiskers) == 2 else None
    report(all(ax.get_xscale() == "log" for ax in axes) and got is not None
           and np.allclose(got, want, rtol=1e-12),
           f"lhs --log on: log axes, whiskers from the logarithms (got {got}, want {want})")
    mod.plt.close(fig)

    fig, panels = figure_checks(mod, path, "lhs scatter", ["--show", "scatter"])
    axes = panel_axes(fig)
    report(len(panels) == 4 and [p["param"] for p in panels] == [0, 1, 0, 1],
           f"lhs scatter: one panel per parameter, arms then difference ({len(panels)})")
    report([ax.get_xlabel() for ax in axes[:2]] == ["r (/d)", "K (dimensionless)"],
           f"lhs scatter: parameter names and units {[ax.get_xlabel() for ax in axes[:2]]}")
    report(axes[0].get_xscale() == "linear" and axes[1].get_xscale() == "log",
           "lhs scatter: log x for the loguniform K, linear for the uniform r")
    report(all(ax.get_ylabel() == "N_end (dimensionless)" for ax in axes),
           "lhs scatter: the first metric by default, named with its units")
    report(axes[0].get_title().startswith("r\nuniform -0.1 2 /d"),
           f"lhs scatter: panel title names the distribution {axes[0].get_title()!r}")
    colours = {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in axes[0].collections}
    report(len(colours) == 2, f"lhs scatter: one colour per arm ({len(colours)})")
    check_layout(mod, fig, "lhs scatter", 2, 2, 3.3)
    fig_in = tuple(fig.get_size_inches())
    mod.plt.close(fig)
    formats(mod, path, "lhs scatter", ["--show", "scatter"], fig_in, tmp)
    fig, panels = figure_checks(mod, path, "lhs scatter N_auc",
                                ["--show", "scatter", "--metric", "N_auc", "--arm", "fast",
                                 "--title", "T"])
    axes = panel_axes(fig)
    report(len(panels) == 2 and axes[0].get_ylabel() == "N_auc (d)"
           and fig._suptitle.get_text() == "T",
           "lhs scatter: --metric, --arm and --title honoured")
    mod.plt.close(fig)

    report(mod.wants_log_x(np.array([1e-3, 0.5, 2.0]), "design file")
           and not mod.wants_log_x(np.array([1.0, 20.0, 50.0]), "uniform 1 50")
           and not mod.wants_log_x(np.array([-1.0, 1e4]), "uniform -1 1e4"),
           "log x also for positive values over more than 3 decades, never for values <= 0")

    def rename(f):
        f.move("arms/fast - slow", "arms/fast \u2212 slow")
    minus = edited_copy(path, os.path.join(tmp, "minus.h5"), rename)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, panels = figure_checks(mod, minus, "unicode minus", ["--show", "scatter"])
        fig.savefig(os.path.join(tmp, "minus.png"))
    glyphs = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    legend = [t.get_text() for ax in fig.axes if not ax.axison
              for t in ax.get_legend().get_texts()]
    report("fast \u2212 slow" in legend and not glyphs and len(panels) == 4,
           f"an arm named with a Unicode minus is a difference arm and renders {legend} {glyphs}")
    mod.plt.close(fig)


def check_errors(mod, made, tmp):
    lhs, run, sal = made.get("lhs"), made.get("run"), made.get("saltelli")
    if not (lhs and run and sal):
        report(False, "files for the error checks")
        return
    failed = edited_copy(lhs, os.path.join(tmp, "all_failed.h5"),
                         lambda f: f["status"].__setitem__(slice(None), -1))
    cases = [
        ("run file, --show indices", [run, "--show", "indices"],
         "is a run file: --show indices needs a sweep file"),
        ("run file, --show scatter", [run, "--show", "scatter"], "is a run file"),
        ("run file, --metric", [run, "--metric", "N_end"], "--metric is for sweep files"),
        ("sweep without indices, --show indices", [lhs, "--show", "indices"],
         "has no sensitivity indices (design 'lhs'"),
        ("--vars on a sweep file", [lhs, "--vars", "N"], "--vars is for run files"),
        ("--panels on a sweep file", [lhs, "--panels", "topic"], "--panels is for run files"),
        ("unknown --arm", [lhs, "--arm", "fats"], "unknown arm 'fats' in --arm (did you mean 'fast'"),
        ("unknown --metric", [sal, "--metric", "N_ed"],
         "unknown metric 'N_ed' in --metric (did you mean 'N_end'"),
        ("scatter of two metrics", [lhs, "--show", "scatter", "--metric", "N_end,N_auc"],
         "--show scatter draws one metric"),
        ("every sample failed", [failed, "--show", "distributions"], "finished ok (60 failed)"),
        ("bad --show", [lhs, "--show", "pie"], "invalid choice"),
        ("unknown extension", [lhs, "-o", os.path.join(tmp, "fig.jpg")], ".png, .svg or .pdf"),
    ]
    for label, args, needle in cases:
        error_case(label, args, needle)
    report(not os.path.exists(os.path.join(tmp, "fig.jpg")), "no file for a refused extension")
    r = plot(lhs, "--arm", "fast - slow", "-o", os.path.join(tmp, "one_diff.png"))
    report(r.returncode == 0 and ", 1 panel)" not in r.stdout and ", 2 panels)" in r.stdout,
           f"--arm with a difference arm's name (it contains no comma) ({r.stdout.strip()})")


def main():
    if not os.access(SYNOVIA, os.X_OK):
        report(False, f"{SYNOVIA} exists (build it first)")
        return finish()
    mod = load_script()
    tmp = tempfile.mkdtemp(prefix="synovia-plot-sweep-")
    try:
        made = make_sweeps(tmp)
        for key, fn in (("ishigami", check_sobol), ("morris", check_morris),
                        ("saltelli", check_saltelli), ("lhs", check_lhs)):
            if key in made:
                fn(mod, made[key], tmp)
        check_errors(mod, made, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
