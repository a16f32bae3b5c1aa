"""scripts/synovia-plot: the demo figure (`make demo`: scripts/demo.sh plots the built-in
demonstration with its --vars) says what the model declares, and hides nothing.

- A panel of one variable is titled by the variable's declared description (with its joint) and
  its y axis says the declared unit ("dimensionless" for "1"); a panel of several variables
  names each by its description in its legend. No title or axis shows an internal name
  (IL6_s, knee.PGE2), and no panel is titled with something it does not show (DAS28).
- Units are truthful: a variable described in mm (VAS) or in % is not drawn as dimensionless.
- The time axis runs to the end of the run: its last tick is the last day (180).
- No legend covers a curve (every drawn point of every curve, densified, lies outside it).
- Doses are marked outside the plotting area (above the frame), never where data are drawn,
  and the figure legend says what the marks are.
Speaks TAP."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from plotcheck import finish, load_script, panel_axes, report

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def demo_vars():
    """The --vars scripts/demo.sh gives the figure."""
    text = open(os.path.join(TOP, "scripts", "demo.sh"), encoding="utf-8").read()
    return re.search(r"--vars\s+(\S+)", text).group(1)


def declared(path):
    """Per variable: (description with joint, unit as drawn), and the run's end in days."""
    out = {}
    with h5py.File(path, "r") as f:
        g = next(iter(f["arms"].values()))
        for name, d in g.items():
            if isinstance(d, h5py.Dataset) and "kind" in d.attrs:
                units = d.attrs["units"].decode()  # fixed-length UTF-8: bytes in h5py
                desc = d.attrs["long_name"].decode() if "long_name" in d.attrs else name
                joint = name.split(".", 1)[0] if "." in name else ""
                out[name] = (f"{joint}: {desc}" if joint else desc,
                             "dimensionless" if units in ("1", "") else units)
        t_end = float(g["time"][-1]) / 24.0
        ndoses = sum(len(a["doses/time"]) for a in f["arms"].values() if "doses" in a)
    return out, t_end, ndoses


def joined(text):
    return " ".join(text.split())


def curve_points(ax):
    """Display coordinates of the curves of a panel (lines in data coordinates), densified
    every 2 px along each curve."""
    pts = []
    for ln in ax.get_lines():
        if ln.get_transform() != ax.transData or len(ln.get_xdata()) < 2:
            continue
        xy = ax.transData.transform(np.column_stack([ln.get_xdata(), ln.get_ydata()]))
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) < 2:
            continue
        at = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        fine = np.linspace(0.0, at[-1], max(2, int(at[-1] / 2.0) + 1))
        pts.append(np.column_stack([np.interp(fine, at, xy[:, 0]),
                                    np.interp(fine, at, xy[:, 1])]))
    return np.concatenate(pts) if pts else np.zeros((0, 2))


def check_figure(mod, path, label, extra):
    decl, t_end, ndoses = declared(path)
    fig, _, _, panels, _, _ = mod.render([path, "-o", os.path.join(os.path.dirname(path),
                                                                    "x.png"), *extra])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = panel_axes(fig)
    report(len(axes) == len(panels), f"{label}: one axes per panel")
    for p, ax in zip(panels, axes):
        title, ylabel = joined(ax.get_title()), joined(ax.get_ylabel())
        vs = p["vars"]
        if len(vs) == 1:
            want_title, want_unit = decl[vs[0]]
            report(title == want_title and ylabel == want_unit,
                   f"{label}: panel {vs[0]} titled by its description {want_title!r} and its "
                   f"axis by its unit {want_unit!r} (got {title!r}, {ylabel!r})")
        else:
            leg = ax.get_legend()
            names = [joined(t.get_text()) for t in leg.get_texts()] if leg else []
            want = [decl[v][0] for v in vs]
            units = {decl[v][1] for v in vs}
            report(names[:len(vs)] == want and ylabel == units.pop(),
                   f"{label}: panel {vs}: its legend names {want} and its axis the unit "
                   f"(got {names}, {ylabel!r})")
        internal = [v for v in decl if ("." in v or "_" in v) and (v in title or v in ylabel)]
        report(not internal, f"{label}: panel {vs}: no internal name in its title or axis "
               f"{internal}")
        report("DAS28" not in title or any("DAS28" in v for v in vs),
               f"{label}: panel {vs} is not titled with DAS28 it does not show ({title!r})")
        described = " ".join(decl[v][0] for v in vs)
        if re.search(r"\bmm\b|%", described):
            report(ylabel != "dimensionless",
                   f"{label}: {vs} described in mm or % has that unit, not dimensionless "
                   f"({ylabel!r})")
        lo, hi = ax.get_xlim()
        ticks = [float(x) for x in ax.get_xticks() if lo <= x <= hi] or [lo]   # the visible ones
        report(max(ticks) >= t_end - 1e-9 and hi >= t_end,
               f"{label}: panel {vs}: the time axis reaches day {t_end:g} (last tick "
               f"{max(ticks):g}, axis to {hi:g})")
        leg = ax.get_legend()
        if leg is not None:
            box = leg.get_window_extent(renderer)
            pts = curve_points(ax)
            hidden = int(np.sum((pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
                                & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)))
            report(hidden == 0, f"{label}: panel {vs}: its legend covers no curve "
                   f"({hidden} points under it)")
        marks = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 1
                 and ln.get_marker() not in (None, "None", "", " ")]
        frame = ax.get_window_extent(renderer)
        inside = [ln for ln in marks
                  if ln.get_transform().transform((ln.get_xdata()[0], ln.get_ydata()[0]))[1]
                  <= frame.y1]
        report(len(marks) == ndoses and not inside,
               f"{label}: panel {vs}: {ndoses} dose marks, all above the frame, none among the "
               f"data ({len(marks)} marks, {len(inside)} inside)")
    legends = [ax.get_legend() for ax in fig.axes if not ax.axison and ax.get_legend()]
    texts = [t.get_text() for lg in legends for t in lg.get_texts()]
    report(any("dose" in t for t in texts), f"{label}: the figure legend explains the dose "
           f"marks ({texts})")
    if legends:
        box = legends[0].get_window_extent(renderer)
        report(not any(box.overlaps(ax.get_window_extent(renderer)) for ax in axes),
               f"{label}: the figure legend is clear of the panels")
    mod.plt.close(fig)


def main():
    if not os.access(SYNOVIA, os.X_OK):
        report(False, f"{SYNOVIA} exists (build it first)")
        return finish()
    mod = load_script()
    tmp = tempfile.mkdtemp(prefix="synovia-plot-readable-")
    try:
        r = subprocess.run([os.path.abspath(SYNOVIA), "run"], cwd=tmp, capture_output=True,
                           text=True)
        path = os.path.join(tmp, "synovia-demo.h5")
        if report(r.returncode == 0 and os.path.exists(path), "synovia run (the demonstration)"):
            check_figure(mod, path, "demo figure", ["--vars", demo_vars()])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
