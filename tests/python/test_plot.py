"""scripts/synovia-plot: figures from real result files, their sizes and formats, the layout
(no overlapping labels, no font under 9 pt), the choices it makes (topic panels, days, log
scales, dose markers, one colour per arm) and its one-line errors (exit status 2).

Result files are made with the CLI (examples/joint_demo.scenario, examples/two_knees.scenario,
a plain run of models/joint_demo.model, and examples/knee_ia_vs_iv.scenario, whose 17 topic
panels come in two pages) in a temporary folder; a small synthetic file written with h5py
covers 15 one-variable panels and zero-only series. Speaks TAP."""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from plotcheck import (check_image, error_case, figure_checks, figure_notes, finish,
                       header_height, load_script, panel_axes, plot, png_size, report)

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")


def make_results(tmp):
    runs = {"demo": ["examples/joint_demo.scenario"], "knees": ["examples/two_knees.scenario"],
            "plain": ["models/joint_demo.model"], "ia_iv": ["examples/knee_ia_vs_iv.scenario"]}
    out = {}
    for key, args in runs.items():
        path = os.path.join(tmp, key + ".h5")
        r = subprocess.run([SYNOVIA, "run", *args, "-o", path], capture_output=True, text=True)
        if report(r.returncode == 0 and os.path.exists(path), f"synovia run {args[0]}"):
            out[key] = path
    return out


def synthetic(path, nvars, arms=("a", "b")):
    """A minimal result in the documented layout: hours, nvars outputs per arm."""
    t = np.linspace(0.0, 48.0, 49)
    with h5py.File(path, "w") as f:
        f.attrs["title"] = "synthetic"
        for ai, arm in enumerate(arms):
            g = f.create_group(f"arms/{arm}")
            d = g.create_dataset("time", data=t)
            d.attrs["units"] = "h"
            for k in range(nvars):
                y = (k + 1) * np.exp(-t / (10 + ai)) + 1.0
                if k == 0:
                    y = 1e5 * np.exp(-t / 2.0) + 1e-3        # spans eight decades
                if k == 1:
                    y = np.zeros_like(t) if ai == 0 else 1e6 * np.exp(-t / 5.0)
                v = g.create_dataset(f"x{k:02d}", data=y)
                v.attrs.update({"units": "mg/L", "long_name": f"quantity {k}", "kind": "output"})


def page_titles(panels):
    return [(p["title"], tuple(p["vars"])) for p in panels]


def check_pages(mod, path, tmp):
    """examples/knee_ia_vs_iv.scenario: 17 topic panels, 12 on page 1 and 5 on page 2; each
    panel on exactly one page, in order; sizes by the layout rules; the printed lines."""
    keep = mod.MAX_PANELS
    mod.MAX_PANELS = 100          # every panel on one page: the list the pages must split
    try:
        fig, _, _, every, _, page = mod.render([path, "-o", os.path.join(tmp, "all.png")])
        mod.plt.close(fig)
    finally:
        mod.MAX_PANELS = keep
    report(len(every) == 17 and page == (1, 1),
           f"ia_iv: 17 topic panels in all (got {len(every)}, page {page})")
    got, sizes = [], []
    for k, want_n, rows in ((1, 12, 4), (2, 5, 2)):
        fig, panels = figure_checks(mod, path, f"ia_iv page {k}", ["--page", str(k)])
        got.extend(page_titles(panels))
        report(len(panels) == want_n and len(panel_axes(fig)) == want_n,
               f"ia_iv page {k}: {want_n} panels (got {len(panels)})")
        w, h = fig.get_size_inches()
        want_h = round((rows * mod.PANEL_H + header_height(fig)) * 150) / 150
        report(abs(w - 3 * mod.PANEL_W) < 1e-9 and abs(h - want_h) < 1e-9,
               f"ia_iv page {k}: 3 columns, {rows} rows of {mod.PANEL_H} in and the header "
               f"({w:.2f} x {h:.2f} in, want {3 * mod.PANEL_W:.2f} x {want_h:.2f})")
        note = figure_notes(fig)
        want_note = "page 1 of 2 (17 panels): the others with --page 2" if k == 1 else \
            "page 2 of 2 (17 panels)"
        report(f"note: {want_note}" in note and (k == 2 or "others" in note)
               and (k == 1 or "others" not in note),
               f"ia_iv page {k}: the figure says {want_note!r} ({note!r})")
        sizes.append(tuple(fig.get_size_inches()))
        mod.plt.close(fig)
    report(got == page_titles(every) and len(set(got)) == 17,
           "ia_iv: pages 1 and 2 hold every panel once, in order")

    for k, n in ((1, 12), (2, 5)):
        for ext in (".png", ".svg", ".pdf"):
            out = os.path.join(tmp, f"ia_iv_p{k}{ext}")
            r = plot(path, "--page", str(k), "-o", out)
            size = (f"{round(sizes[k - 1][0] * 150)}x{round(sizes[k - 1][1] * 150)} px"
                    if ext == ".png" else f"{sizes[k - 1][0]:.2f}x{sizes[k - 1][1]:.2f} in")
            want = f"wrote {out} ({size}, {n} panels, page {k} of 2)\n"
            if report(r.returncode == 0 and r.stdout == want,
                      f"ia_iv --page {k} {ext}: prints {want.strip()!r} (got {r.stdout!r})"):
                check_image(ext, out, sizes[k - 1], f"ia_iv page {k} {ext}")
    r = plot(path, "-o", os.path.join(tmp, "ia_iv_default.png"))
    report(r.returncode == 0 and r.stdout.endswith(", 12 panels, page 1 of 2)\n")
           and png_size(os.path.join(tmp, "ia_iv_default.png"))
           == png_size(os.path.join(tmp, "ia_iv_p1.png")),
           f"ia_iv: page 1 by default ({r.stdout.strip()})")
    r = plot(path, "--vars", "IL6,TNF,pain_VAS", "-o", os.path.join(tmp, "ia_iv_vars.png"))
    report(r.returncode == 0 and "page" not in r.stdout + r.stderr,
           f"ia_iv: --vars with fewer panels makes one page ({r.stdout.strip()})")
    out = os.path.join(tmp, "ia_iv_p3.png")
    r = plot(path, "--page", "3", "-o", out)
    report(r.returncode == 2 and r.stdout == "" and r.stderr == "synovia-plot: error: --page 3: "
           "the figure has only 2 pages\n" and not os.path.exists(out),
           f"ia_iv --page 3: one line, exit 2, no file ({r.returncode}: {r.stderr.strip()})")


def check_one_page(mod, path, key, tmp):
    """A figure of at most 12 panels: --page 1 changes nothing, no page text anywhere."""
    outs = [os.path.join(tmp, f"{key}_one{k}.png") for k in (1, 2)]
    plain = plot(path, "-o", outs[0])
    paged = plot(path, "-o", outs[1], "--page", "1")
    report(plain.returncode == 0 and paged.returncode == 0
           and "page" not in plain.stdout + plain.stderr + paged.stdout + paged.stderr
           and plain.stdout.replace(outs[0], outs[1]) == paged.stdout
           and plain.stdout.endswith(" panels)\n")
           and png_size(outs[0]) == png_size(outs[1]),
           f"{key}: one page, --page 1 the same figure, no page text ({paged.stdout.strip()})")


def main():
    if not os.access(SYNOVIA, os.X_OK):
        report(False, f"{SYNOVIA} exists (build it first)")
        return 1
    mod = load_script()
    tmp = tempfile.mkdtemp(prefix="synovia-plot-")
    try:
        results = make_results(tmp)
        expected_panels = {"demo": 5, "knees": 4, "plain": 5}
        for key, path in results.items():
            if key not in expected_panels:
                continue
            # default name: RESULT with .png
            r = plot(path)
            default = path[:-3] + ".png"
            report(r.returncode == 0 and os.path.exists(default)
                   and r.stdout.startswith(f"wrote {default} (")
                   and f"{png_size(default)[0]}x{png_size(default)[1]} px" in r.stdout,
                   f"{key}: default output {os.path.basename(default)}, size as printed"
                   f" ({r.stdout.strip()})")
            fig, panels = figure_checks(mod, path, key)
            fig_in = tuple(fig.get_size_inches())
            report(len(panels) == expected_panels[key],
                   f"{key}: {expected_panels[key]} panels (got {len(panels)})")
            nrows, ncols = mod.grid(len(panels))
            report(abs(fig_in[0] - ncols * mod.PANEL_W) < 1e-9
                   and fig_in[1] > nrows * mod.PANEL_H,
                   f"{key}: {ncols} columns of {mod.PANEL_W} in, {nrows} rows of {mod.PANEL_H} in")
            check_image(".png", default, fig_in, f"{key} default")
            for ext in (".png", ".svg", ".pdf"):
                out = os.path.join(tmp, f"{key}_fig{ext}")
                r = plot(path, "-o", out)
                if report(r.returncode == 0 and os.path.exists(out),
                          f"{key}: writes {ext} ({r.stderr.strip()[:80]})"):
                    check_image(ext, out, fig_in, f"{key} {ext}")
            mod.plt.close(fig)

        if "demo" in results:
            fig, panels = figure_checks(mod, results["demo"], "demo (details)")
            titles = [p["title"] for p in panels]
            report(titles[0] == "Cytokines" and any(t.startswith("MSCs by compartment")
                                                    for t in titles),
                   f"demo: topic panels {titles}")
            axes = panel_axes(fig)
            report(all("days" in ax.get_xlabel() for ax in axes if ax.get_xlabel()),
                   "demo: 90-day run drawn in days")
            by_title = {ax.get_title().replace("\n", " "): ax for ax in axes}
            pge2 = [ax for t, ax in by_title.items() if "prostaglandin" in t]
            m_ax = [ax for t, ax in by_title.items() if "macrophages" in t]
            report(pge2 and pge2[0].get_yscale() == "log", "demo: PGE2 (>3 decades) on a log axis")
            report(m_ax and m_ax[0].get_yscale() == "linear",
                   "demo: macrophage fraction on a linear axis")
            report(pge2 and "ng/mL" in pge2[0].get_ylabel(), "demo: units in the y label")
            # one colour per arm, the same in every panel (first line drawn per arm and panel)
            colours_ok = True
            for ax in axes:
                solid = [ln for ln in ax.get_lines() if ln.get_marker() in ("None", "", None)
                         and len(ln.get_xdata()) > 1]
                arm_colours = [ln.get_color() for ln in solid]
                if not set(map(str, arm_colours)) <= set(map(str, mod.arm_colours(3))):
                    colours_ok = False
            report(colours_ok, "demo: every curve in one of the three arm colours")
            markers = [ln for ln in axes[0].get_lines() if ln.get_marker() == "v"]
            report(len(markers) == 2, f"demo: two dose markers per panel (got {len(markers)})")
            legends = [lg for ax in fig.axes if not ax.axison for lg in [ax.get_legend()] if lg]
            names = [t.get_text() for t in legends[0].get_texts()] if legends else []
            report(names[:3] == ["control", "IA 10M MSCs", "IA 50M MSCs"],
                   f"demo: one figure legend with the arms {names}")
            mod.plt.close(fig)
            fig, panels = figure_checks(mod, results["demo"], "demo --log off",
                                        ["--log", "off", "--vars", "PGE2,pain", "--title", "T"])
            report(all(ax.get_yscale() == "linear" for ax in panel_axes(fig))
                   and len(panels) == 2 and fig._suptitle.get_text() == "T",
                   "demo: --vars, --log off and --title honoured")
            mod.plt.close(fig)

        if "plain" in results:
            fig, panels = figure_checks(mod, results["plain"], "plain (details)")
            report(any(ax.get_xlabel() == "time (h)" for ax in panel_axes(fig)),
                   "plain: a 24 h run stays in hours")
            mod.plt.close(fig)

        if "knees" in results:
            fig, panels = figure_checks(mod, results["knees"], "knees --vars MSC",
                                        ["--vars", "MSC"])
            report([p["vars"] for p in panels] == [["knee_L.MSC"], ["knee_R.MSC"]],
                   f"knees: --vars MSC selects every joint's MSC {[p['vars'] for p in panels]}")
            report(any(p["title"].startswith("knee_R:") for p in panels),
                   "knees: per-joint panel titles name the joint")
            mod.plt.close(fig)

        if "ia_iv" in results:
            check_pages(mod, results["ia_iv"], tmp)
        for key in ("demo", "plain"):
            if key in results:
                check_one_page(mod, results[key], key, tmp)

        many = os.path.join(tmp, "many.h5")
        synthetic(many, 15)
        out = os.path.join(tmp, "many.png")
        r = plot(many, "-o", out)
        report(r.returncode == 0 and r.stderr.strip() == "synovia-plot: note: page 1 of 2 (15 "
               "panels): the others with --page 2"
               and r.stdout.endswith(", 12 panels, page 1 of 2)\n"),
               f"15 variables: 12 panels on page 1 and a note ({r.stdout.strip()} "
               f"{r.stderr.strip()})")
        r = plot(many, "-o", out, "--page", "2")
        report(r.returncode == 0 and r.stderr.strip() == "synovia-plot: note: page 2 of 2 (15 "
               "panels)" and r.stdout == f"wrote {out} (2070x{png_size(out)[1]} px, 3 panels, "
               "page 2 of 2)\n", f"15 variables: 3 panels on page 2 ({r.stdout.strip()})")
        fig, panels = figure_checks(mod, many, "synthetic")
        axes = panel_axes(fig)
        report(axes[0].get_yscale() == "log" and axes[2].get_yscale() == "linear",
               "synthetic: log only where the values span more than 3 decades")
        leg = axes[1].get_legend()
        report(leg is not None and "0 throughout" in " ".join(t.get_text() for t in leg.get_texts()),
               "synthetic: a series that is zero throughout is named on a log axis")
        mod.plt.close(fig)

        # errors: one line on stderr, exit status 2, nothing written
        notres = os.path.join(tmp, "not_hdf5.h5")
        with open(notres, "w") as f:
            f.write("not a result\n")
        noarms = os.path.join(tmp, "noarms.h5")
        with h5py.File(noarms, "w") as f:
            f.create_group("something")
        demo = results.get("demo", many)
        cases = [
            ("missing file", [os.path.join(tmp, "absent.h5")], "no such file"),
            ("not an HDF5 file", [notres], "not an HDF5 file"),
            ("no /arms", [noarms], "not a synovia result (no /arms group)"),
            ("unknown --vars", [demo, "--vars", "TNF,IL7"] if demo != many else
             [many, "--vars", "x1"], "did you mean"),
            ("unknown extension", [demo, "-o", os.path.join(tmp, "fig.jpg")],
             ".png, .svg or .pdf"),
            ("bad --log", [demo, "--log", "maybe"], "invalid choice"),
            ("--page 0", [demo, "--page", "0", "-o", os.path.join(tmp, "p0.png")],
             "argument --page: invalid page number: '0'"),
            ("--page -1", [demo, "--page=-1", "-o", os.path.join(tmp, "p0.png")],
             "argument --page: invalid page number: '-1'"),
            ("--page two", [demo, "--page", "two", "-o", os.path.join(tmp, "p0.png")],
             "argument --page: invalid page number: 'two'"),
            ("--page 2 of a one-page figure", [demo, "--page", "2", "-o",
                                               os.path.join(tmp, "p0.png")],
             "--page 2: the figure has only 1 page"),
        ]
        for label, args, needle in cases:
            error_case(label, args, needle)
        report(not os.path.exists(os.path.join(tmp, "fig.jpg")), "no file for a refused extension")
        report(not os.path.exists(os.path.join(tmp, "p0.png")), "no file for a refused --page")
        if "demo" in results:
            r = plot(results["demo"], "--vars", "TNFa")
            report("did you mean 'TNF'" in r.stderr, f"did-you-mean names TNF ({r.stderr.strip()})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
