#!/usr/bin/python3
"""synovia — the sensitivities of a run file (docs/output-format.md, "Sensitivities"), on the
file written by tests/tools/h5_sens_sample: x = x0 e^(-kt) and d = x0 - x with their exact
d/dk, d/dx0 (tests/support/sens_decay.h), metrics x_auc and x_end with exact gradients.

Read back with h5py, xarray (netCDF4 engine) and ncdump; drawn by scripts/synovia-plot
--sensitivities raw|log (the file written, non-empty, one line per parameter per panel);
ranked by `synovia summary` (the order checked against the closed forms). Speaks TAP.
Run: BUILD=build /usr/bin/python3 tests/python/test_h5_sens.py
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import SkipTest, check, finish  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
TOOL = os.path.join(BUILD, "test", "tools", "h5_sens_sample")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
PLOT = "scripts/synovia-plot"

K, X0, T_END = 0.3, 5.0, 24.0
TIMES = [0.5 * i for i in range(49)]
PARAMS = ["k", "x0"]
PARAM_UNITS = ["1/h", "pg/mL"]


def value(series, t):
    x = X0 * math.exp(-K * t)
    return x if series == "x" else X0 - x


def sens(series, p, t):
    """d(series)/d(param p) at t, the closed form."""
    e = math.exp(-K * t)
    dx = -X0 * t * e if p == "k" else e
    return dx if series == "x" else (-dx if p == "k" else 1.0 - e)


def metric(m):
    e = math.exp(-K * T_END)
    return X0 * (1 - e) / K if m == "x_auc" else X0 * e


def metric_grad(m, p):
    e = math.exp(-K * T_END)
    if m == "x_auc":
        return -X0 * (1 - e) / K ** 2 + X0 * T_END * e / K if p == "k" else (1 - e) / K
    return -X0 * T_END * e if p == "k" else e


def pvalue(p):
    return K if p == "k" else X0


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(b))


tmpdir = tempfile.mkdtemp(prefix="syn_h5_sens_")
path = os.path.join(tmpdir, "sens.h5")


def main():
    if not os.access(TOOL, os.X_OK):
        print("1..1")
        print("not ok 1 - %s is not built (make %s)" % (TOOL, TOOL))
        return 1
    proc = subprocess.run([TOOL, path], capture_output=True, text=True)

    @check("h5_sens_sample writes the file")
    def _():
        assert proc.returncode == 0, proc.stderr
        assert os.path.exists(path)

    import numpy as np

    @check("h5py: sensitivities/ has the param scale, values, units and exact (param x time) series")
    def _():
        import h5py
        with h5py.File(path, "r") as f:
            g = f["arms/decay/sensitivities"]
            assert [x.decode() for x in g["param"][:]] == PARAMS
            assert g["param"].attrs["CLASS"] == b"DIMENSION_SCALE"
            assert list(g["param_value"][:]) == [K, X0]
            assert [x.decode() for x in g["param_units"][:]] == PARAM_UNITS
            for s in ("x", "d"):
                d = g[s]
                assert d.shape == (2, 49), d.shape
                assert d.attrs["units"].decode() == "pg/mL per (1/h); pg/mL per (pg/mL)"
                assert d.attrs["series_units"].decode() == "pg/mL"
                for i, p in enumerate(PARAMS):
                    want = np.array([sens(s, p, t) for t in TIMES])
                    assert np.array_equal(d[i, :], want) or np.allclose(d[i, :], want, 1e-14, 0)
                lg = g["log"][s]
                assert lg.attrs["units"].decode() == "1"
                for i, p in enumerate(PARAMS):
                    for j, t in enumerate(TIMES):
                        y = value(s, t)
                        if y == 0:
                            assert math.isnan(lg[i, j]), (s, p, t)
                        else:
                            assert close(lg[i, j], pvalue(p) / y * sens(s, p, t)), (s, p, t)
            mg, ml = g["metric_gradient"], g["metric_gradient_log"]
            assert mg.shape == ml.shape == (2, 2)
            for a, m in enumerate(["x_auc", "x_end"]):
                for b, p in enumerate(PARAMS):
                    assert close(mg[a, b], metric_grad(m, p))
                    assert close(ml[a, b], pvalue(p) / metric(m) * metric_grad(m, p))
            assert "sensitivities" not in f["arms/plain"]

    @check("h5py: the arms' own series and tables are where they always were")
    def _():
        import h5py
        with h5py.File(path, "r") as f:
            for arm in ("decay", "plain"):
                g = f["arms/" + arm]
                assert np.allclose(g["x"][:], [value("x", t) for t in TIMES], 1e-15, 0)
                assert g["x"].attrs["kind"] == b"state"
            assert len(f["arms/decay/param"]) == 3  # the arm's table keeps the fixed V

    @check("xarray (netCDF4 engine): sensitivities with the param coordinate, by name")
    def _():
        try:
            import xarray as xr
        except ImportError:
            raise SkipTest("xarray is not installed")
        with xr.open_dataset(path, group="arms/decay/sensitivities", engine="netcdf4") as ds:
            assert list(ds["param"].values) == PARAMS
            assert ds["x"].dims == ("param", "time")
            assert ds.sizes["param"] == 2
            got = ds["x"].sel(param="k").values
            want = np.array([sens("x", "k", t) for t in TIMES])
            assert np.allclose(got, want, 1e-14, 0)
            assert ds["metric_gradient"].dims == ("metric", "param")
            assert close(float(ds["metric_gradient"].sel(param="k")[1]), metric_grad("x_end", "k"))
        with xr.open_dataset(path, group="arms/decay/sensitivities/log", engine="netcdf4") as ds:
            got = ds["x"].values[0]   # d ln x / d ln k = -k t
            assert np.allclose(got, [-K * t for t in TIMES], 1e-12, 1e-15)
        with xr.open_dataset(path, group="arms/decay", engine="netcdf4") as ds:
            assert ds.sizes["param"] == 3   # the arm's own param is a different dimension

    @check("ncdump -h: the sensitivities' dimensions resolve (param local, time from the arm)")
    def _():
        if shutil.which("ncdump") is None:
            raise SkipTest("ncdump is not installed")
        r = subprocess.run(["ncdump", "-h", path], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "double x(param, time)" in r.stdout
        assert "double metric_gradient(metric, param)" in r.stdout

    @check("synovia summary ranks each metric's parameters by |d ln m / d ln p|")
    def _():
        r = subprocess.run([SYNOVIA, "summary", path, "--width", "0"], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        head = [i for i, ln in enumerate(lines) if ln.startswith("Parameters ranked")]
        assert len(head) == 1 and '"decay"' in lines[head[0]], r.stdout
        rows = [ln.split() for ln in lines[head[0] + 2:head[0] + 6]]
        # x_auc: x0 (1) before k (0.9946); x_end: k (7.2) before x0 (1) — from the closed forms
        want = {}
        for m in ("x_auc", "x_end"):
            norm = {p: abs(pvalue(p) / metric(m) * metric_grad(m, p)) for p in PARAMS}
            want[m] = sorted(PARAMS, key=lambda p: -norm[p])
        assert want == {"x_auc": ["x0", "k"], "x_end": ["k", "x0"]}, want
        assert rows[0][:3] == ["x_auc", "1", want["x_auc"][0]], rows
        assert rows[1][:2] == ["2", want["x_auc"][1]], rows
        assert rows[2][:3] == ["x_end", "1", want["x_end"][0]], rows
        assert rows[3][:2] == ["2", want["x_end"][1]], rows
        assert close(float(rows[2][3]), -K * T_END, 1e-5), rows[2]
        assert "plain" not in lines[head[0]]

    @check("synovia report shows the ranking; summary, export and report are clean under ASan")
    def _():
        out = os.path.join(tmpdir, "r.html")
        r = subprocess.run([SYNOVIA, "report", path, "-o", out, "--no-figures"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "Parameters ranked by their effect on the metrics" in open(out).read()
        asan = os.path.join(BUILD, "asan", "synovia")
        if not os.access(asan, os.X_OK):
            raise SkipTest("%s is not built (make test builds it)" % asan)
        for args in (["summary", path], ["export", path, "--csv", os.path.join(tmpdir, "csv")],
                     ["report", path, "-o", out, "--no-figures"]):
            r = subprocess.run([asan, *args], capture_output=True, text=True)
            assert r.returncode == 0 and "Sanitizer" not in r.stderr, (args, r.stderr[-800:])

    def plotted(args, npanels):
        out = os.path.join(tmpdir, "fig-%d.png" % len(os.listdir(tmpdir)))
        r = subprocess.run([PLOT, path, "-o", out, *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert os.path.getsize(out) > 1000
        assert ("%d panel" % npanels) in r.stdout, r.stdout
        return r

    @check("synovia-plot --sensitivities raw|log: a file, one line per parameter in each panel")
    def _():
        plotted(["--sensitivities", "raw"], 2)
        r = plotted(["--sensitivities", "log"], 2)
        assert "undefined where y = 0" in r.stderr
        import importlib.machinery
        import importlib.util
        loader = importlib.machinery.SourceFileLoader("synovia_plot", PLOT)
        spec = importlib.util.spec_from_loader("synovia_plot", loader)
        mod = importlib.util.module_from_spec(spec)
        loader.exec_module(mod)
        for mode in ("raw", "log"):
            fig, _, _, panels, _, _ = mod.render(
                [path, "-o", os.path.join(tmpdir, "m.png"), "--sensitivities", mode])
            axes = [ax for ax in fig.axes if ax.get_lines()]
            assert len(axes) == len(panels) == 2
            for ax in axes:
                data = [ln for ln in ax.get_lines() if ln.get_gid() == mod.DATA_GID]
                assert len(data) == len(PARAMS), len(data)
            ax = axes[0]
            data = [ln for ln in ax.get_lines() if ln.get_gid() == mod.DATA_GID]
            want = [sens("x", "k", t) for t in TIMES] if mode == "raw" else [-K * t for t in TIMES]
            assert np.allclose(data[0].get_ydata(), want, 1e-12, 1e-14)
            mod.plt.close(fig)

    @check("synovia-plot --sensitivities --vars x: one panel; mistakes are one-line errors")
    def _():
        plotted(["--sensitivities", "raw", "--vars", "x"], 1)
        r = subprocess.run([PLOT, path, "-o", os.path.join(tmpdir, "e.png"), "--sensitivities",
                            "raw", "--arm", "plain"], capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.startswith("synovia-plot: error:"), r.stderr
        assert "plain" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        r = plotted([], 2)   # the plain figure says the file has sensitivities
        assert "--sensitivities" in r.stderr

    @check("synovia-plot --sensitivities on a file without them: one-line error")
    def _():
        tool = os.path.join(BUILD, "test", "tools", "h5_sample")
        if not os.access(tool, os.X_OK):
            raise SkipTest("%s is not built" % tool)
        other = os.path.join(tmpdir, "plain.h5")
        subprocess.run([tool, other], check=True)
        r = subprocess.run([PLOT, other, "-o", os.path.join(tmpdir, "n.png"), "--sensitivities",
                            "log"], capture_output=True, text=True)
        assert r.returncode == 2 and "has no sensitivities" in r.stderr, r.stderr

    return finish()


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    sys.exit(rc)
