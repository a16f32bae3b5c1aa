"""scripts/synovia-plot: figures from real result files, their sizes and formats, the layout
(no overlapping labels, no font under 9 pt), the choices it makes (topic panels, days, log
scales, dose markers, one colour per arm) and its one-line errors (exit status 2).

Result files are made with the CLI (examples/joint_demo.scenario, examples/two_knees.scenario,
a plain run of models/joint_demo.model) in a temporary folder; two small synthetic files
written with h5py cover the panel cap and zero-only series. Speaks TAP."""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from plotcheck import (check_image, error_case, figure_checks, finish, load_script, panel_axes,
                       plot, png_size, report)

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")


def make_results(tmp):
    runs = {"demo": ["examples/joint_demo.scenario"], "knees": ["examples/two_knees.scenario"],
            "plain": ["models/joint_demo.model"]}
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
            markers = [ln for ln in axes[0].get_lines() if ln.get_marker() == "^"]
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

        many = os.path.join(tmp, "many.h5")
        synthetic(many, 15)
        r = plot(many, "-o", os.path.join(tmp, "many.png"))
        report(r.returncode == 0 and "showing the first 12 of 15" in r.stderr
               and ", 12 panels)" in r.stdout, f"15 variables: 12 panels and a note ({r.stderr.strip()})")
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
        ]
        for label, args, needle in cases:
            error_case(label, args, needle)
        report(not os.path.exists(os.path.join(tmp, "fig.jpg")), "no file for a refused extension")
        if "demo" in results:
            r = plot(results["demo"], "--vars", "TNFa")
            report("did you mean 'TNF'" in r.stderr, f"did-you-mean names TNF ({r.stderr.strip()})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
