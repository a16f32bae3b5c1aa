#!/usr/bin/python3
"""synovia — sweeps end to end, checked with the tools users have (h5py,
xarray, numpy): the Sobol indices of the Ishigami and Sobol G functions
against their closed forms ([ishigami1990], [sobol1999], [saltelli1995] in
docs/references.md), and their intervals; SALib's row
order of a Saltelli design; the Morris statistics of a linear function
(tests/sweep/morris_linear.*) against their exact values; the sweep files
opened with xarray (netcdf4 and h5netcdf engines, root and arm groups, with
indices and with trajectories); difference arms; seeds.

The CLI integration test (tests/integration/sweep.sh) covers runs under MPI,
shards, interruptions and refusals; this one checks numbers and layouts.

Prints TAP ("ok N - ..." / "not ok N - ...") and exits non-zero on failure.
Run from the repository root: BUILD=build-x /usr/bin/python3 tests/python/test_sweep.py
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import SkipTest, check, fail, finish  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "sweep")
TOL = 0.03  # on Sobol indices at N = 2^12 (docs/design.md, "Tolerances of the Sobol-index tests")





def engines():
    found = []
    for eng, mod in (("netcdf4", "netCDF4"), ("h5netcdf", "h5netcdf")):
        try:
            __import__(mod)
            found.append(eng)
        except ImportError:
            pass
    return found


# ---- closed forms ----------------------------------------------------------------------

def ishigami_indices(a=7.0, b=0.1):
    """S1 and ST of the Ishigami function from its variance terms [sobol1999]."""
    pi4, pi8 = math.pi ** 4, math.pi ** 8
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a * a / 8
    v13 = 8 * b * b * pi8 / 225
    v = a * a / 8 + b * pi4 / 5 + b * b * pi8 / 18 + 0.5
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def sobol_g_indices(a):
    """S1 and ST of Sobol's G function: Vi = 1/(3(1+ai)^2), V = prod(1+Vi) - 1."""
    vi = [1.0 / (3 * (1 + x) ** 2) for x in a]
    v = np.prod([1 + x for x in vi]) - 1
    s1 = [x / v for x in vi]
    st = [vi[i] * np.prod([1 + vi[j] for j in range(len(a)) if j != i]) / v
          for i in range(len(a))]
    return s1, st


# ---- running sweeps --------------------------------------------------------------------

def run_sweep(sweep, out, *extra):
    """Runs `synovia sweep` (quietly); returns the completed process."""
    proc = subprocess.run([SYNOVIA, "sweep", sweep, "-o", out, "-q"] + list(extra),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert os.path.exists(out) and not os.path.exists(out + ".parts")
    return proc


def write_sweep(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def decode(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def check_sobol(path, arm, s1_true, st_true, label):
    with h5py.File(path, "r") as f:
        g = f["arms"][arm]
        assert decode(f["param"][:]) == ["x%d" % (j + 1) for j in range(len(s1_true))]
        s1, s1c = g["sobol_S1"][0, :], g["sobol_S1_conf"][0, :]
        st, stc = g["sobol_ST"][0, :], g["sobol_ST_conf"][0, :]
        assert int(g["sobol_n_used"][0]) == f.attrs["design_n"], g["sobol_n_used"][:]
        assert int(g["sobol_n_dropped"][0]) == 0

    @check("%s: S1 within %.2f of the closed form" % (label, TOL))
    def _():
        err = np.abs(s1 - np.array(s1_true))
        assert (err <= TOL).all(), (s1, s1_true)

    @check("%s: ST within %.2f of the closed form" % (label, TOL))
    def _():
        err = np.abs(st - np.array(st_true))
        assert (err <= TOL).all(), (st, st_true)

    @check("%s: each interval (+- conf) holds the true value or is within %.2f of it"
           % (label, TOL))
    def _():
        for est, conf, true in ((s1, s1c, s1_true), (st, stc, st_true)):
            assert np.isfinite(conf).all() and (conf > 0).all() and (conf < 0.1).all(), conf
            lo, hi = est - conf, est + conf
            gap = np.maximum(0, np.maximum(lo - true, np.array(true) - hi))
            assert (gap <= TOL).all(), (est, conf, true)


# ---- the checks ------------------------------------------------------------------------

def check_ishigami(tmp):
    path = os.path.join(tmp, "ishigami.h5")
    run_sweep(os.path.join(FIXTURES, "ishigami.sweep"), path)
    s1, st = ishigami_indices()

    @check("Ishigami: the closed forms give the published indices")
    def _():
        assert np.allclose(s1, [0.3139, 0.4424, 0], atol=1e-4), s1
        assert np.allclose(st, [0.5576, 0.4424, 0.2437], atol=1e-4), st

    check_sobol(path, "f", s1, st, "Ishigami")

    @check("Saltelli design: N(D+2) samples in SALib's row order (A, AB_1..AB_D, B)")
    def _():
        with h5py.File(path, "r") as f:
            x = f["param_value"][:]
            n, d = f.attrs["design_n"], x.shape[1]
            assert x.shape == (n * (d + 2), d), x.shape
            assert (f["status"][:] == 1).all()
            assert (f["sample"][:] == np.arange(n * (d + 2))).all()
        rows = x.reshape(n, d + 2, d)
        a, b = rows[:, 0, :], rows[:, d + 1, :]
        for j in range(d):
            ab = rows[:, 1 + j, :]
            want = a.copy()
            want[:, j] = b[:, j]
            assert (ab == want).all(), j
        # A and B are different points (not one column reused)
        assert (a != b).mean() > 0.99
        assert (np.abs(x) <= math.pi).all()

    @check("Ishigami: the metric is the function of the row's parameters")
    def _():
        with h5py.File(path, "r") as f:
            x = f["param_value"][:]
            y = f["arms/f/metric_value"][:, 0]
        want = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
        assert np.allclose(y, want, rtol=1e-12, atol=1e-12), np.abs(y - want).max()

    return path


def check_sobol_g(tmp):
    path = os.path.join(tmp, "sobol_g.h5")
    run_sweep(os.path.join(FIXTURES, "sobol_g.sweep"), path)
    a = [0, 0.5, 3, 9, 99, 99]
    s1, st = sobol_g_indices(a)

    @check("Sobol G: the closed forms give the published indices")
    def _():
        assert np.allclose(s1, [.5868, .2608, .0367, .0059, .0001, .0001], atol=1e-4), s1
        assert np.allclose(st, [.6901, .3562, .0563, .0092, .0001, .0001], atol=1e-4), st

    check_sobol(path, "g", s1, st, "Sobol G")


def check_morris(tmp):
    path = os.path.join(tmp, "morris.h5")
    run_sweep(os.path.join(FIXTURES, "morris_linear.sweep"), path)
    # y = 2 x1 - 3 x2 + 0 x3 on x1 in [0, 1], x2 in [-2, 3], x3 in [10, 20]:
    # an elementary effect per unit-cube step is c_i (hi - lo) (SALib's scaling)
    c = np.array([2.0, -3.0, 0.0])
    width = np.array([1.0, 5.0, 10.0])
    with h5py.File(path, "r") as f:
        g = f["arms/lin"]
        mu, mu_star, sigma = g["morris_mu"][0, :], g["morris_mu_star"][0, :], \
            g["morris_sigma"][0, :]
        x = f["param_value"][:]
        r = int(f.attrs["design_n"])
        levels = int(f.attrs["morris_levels"])
        used = int(g["morris_n_used"][0])

    @check("Morris: N(D+1) samples, trajectories moving one parameter at a time on the grid")
    def _():
        assert (r, levels) == (20, 4), (r, levels)
        assert x.shape == (r * 4, 3), x.shape
        lo = np.array([0.0, -2.0, 10.0])
        u = (x - lo) / width * (levels - 1)
        assert np.allclose(u, np.round(u), atol=1e-9), u  # on the p-level grid
        steps = np.diff(x.reshape(r, 4, 3), axis=1)
        moved = np.abs(steps) > 1e-12
        assert (moved.sum(axis=2) == 1).all()
        assert (moved.sum(axis=1) == 1).all()  # each parameter once per trajectory
        assert used == r

    @check("Morris: mu* = |c_i| (hi - lo), mu has the sign of c_i, sigma = 0")
    def _():
        want = c * width
        assert np.allclose(mu_star, np.abs(want), rtol=1e-12, atol=1e-9), mu_star
        assert np.allclose(mu, want, rtol=1e-12, atol=1e-9), mu
        assert mu[0] > 0 and mu[1] < 0 and mu[2] == 0, mu
        assert (np.abs(sigma) <= 1e-9).all(), sigma


def check_xarray(path, label, root_vars, group, group_dims, trajectories=None):
    try:
        import xarray as xr
    except ImportError:
        @check("%s: xarray" % label)
        def _():
            raise SkipTest("no xarray")
        return
    found = engines()

    for eng in ("netcdf4", "h5netcdf"):
        @check("%s: xarray (%s) opens the root with dims (sample, param)" % (label, eng))
        def _():
            if eng not in found:
                raise SkipTest("no %s" % eng)
            with xr.open_dataset(path, engine=eng) as ds:
                assert ds["param_value"].dims == ("sample", "param"), ds["param_value"].dims
                assert ds["status"].dims == ("sample",)
                assert ds["param_units"].dims == ("param",)
                for v in root_vars:
                    assert v in ds.variables, (v, list(ds.variables))
                with h5py.File(path, "r") as f:
                    assert list(ds["param"].values) == decode(f["param"][:])
                    assert (ds["param_value"].values == f["param_value"][:]).all()
                    assert ds.sizes["sample"] == f["status"].shape[0]

        @check("%s: xarray (%s) opens the group %s" % (label, eng, group))
        def _():
            if eng not in found:
                raise SkipTest("no %s" % eng)
            with xr.open_dataset(path, group=group, engine=eng) as ds:
                for v, dims in group_dims.items():
                    assert ds[v].dims == dims, (v, ds[v].dims, dims)
                with h5py.File(path, "r") as f:
                    g = f[group]
                    mv, xv = g["metric_value"][:], ds["metric_value"].values
                    assert ((mv == xv) | (np.isnan(mv) & np.isnan(xv))).all()
                    assert list(ds["metric"].values) == decode(g["metric"][:])
                    if "sobol_S1" in group_dims:
                        assert (ds["sobol_S1"].values == g["sobol_S1"][:]).all()
                        assert list(ds["sobol_S1"]["param"].values) == decode(f["param"][:]) \
                            or "param" not in ds["sobol_S1"].coords
                    for s in (trajectories or []):
                        assert ds[s].dims == ("sample", "time"), (s, ds[s].dims)
                        assert (ds["time"].values == g["time"][:]).all()
                        a, b = g[s][:], ds[s].values
                        assert ((a == b) | (np.isnan(a) & np.isnan(b))).all()


def check_growth(tmp):
    """The growth fixture with a difference arm and trajectories; seeds."""
    scenario = os.path.join(FIXTURES, "growth.scenario")
    text = ('scenario "%s"\ndesign lhs 40 seed 3\nvary r uniform -0.1 2 /d\n'
            'vary K loguniform 2 50\ndifference fast slow\nkeep trajectories\n' % scenario)
    sweep = write_sweep(tmp, "diff.sweep", text)
    path = os.path.join(tmp, "diff.h5")
    run_sweep(sweep, path)

    @check("difference arm: metric_value (and trajectories) equal fast - slow exactly")
    def _():
        with h5py.File(path, "r") as f:
            assert sorted(f["arms"].keys()) == ["fast", "fast - slow", "slow"], list(f["arms"])
            s = f["status"][:]
            assert (s == 1).any() and (s == -2).any(), s
            fast, slow = f["arms/fast/metric_value"][:], f["arms/slow/metric_value"][:]
            diff = f["arms/fast - slow/metric_value"][:]
            ok = s == 1
            assert (diff[ok] == fast[ok] - slow[ok]).all()
            assert np.isnan(diff[~ok]).all()
            for series in ("N", "half"):
                a, b = f["arms/fast/" + series][:], f["arms/slow/" + series][:]
                d = f["arms/fast - slow/" + series][:]
                assert (d[ok] == a[ok] - b[ok]).all(), series
            assert decode(f["arms/fast - slow/metric"][:]) == ["N_end", "N_auc"]

    check_xarray(path, "trajectories", ["param_units", "status_reason"], "arms/fast",
                 {"metric_value": ("sample", "metric")}, trajectories=["N", "half"])
    check_xarray(path, "difference arm", ["status"], "arms/fast - slow",
                 {"metric_value": ("sample", "metric")}, trajectories=["N"])

    again = os.path.join(tmp, "diff_again.h5")
    run_sweep(sweep, again)
    other = write_sweep(tmp, "seed4.sweep", text.replace("seed 3", "seed 4"))
    other_path = os.path.join(tmp, "seed4.h5")
    run_sweep(other, other_path)

    @check("the same seed gives identical param_value; another seed other values")
    def _():
        with h5py.File(path, "r") as f, h5py.File(again, "r") as g, \
                h5py.File(other_path, "r") as h:
            p, q, o = f["param_value"][:], g["param_value"][:], h["param_value"][:]
            assert p.tobytes() == q.tobytes()
            assert (f["status"][:] == g["status"][:]).all()
            m1, m2 = f["arms/fast/metric_value"][:], g["arms/fast/metric_value"][:]
            assert m1.tobytes() == m2.tobytes()
            assert p.shape == o.shape
            assert (p != o).all(axis=1).mean() > 0.9, (p[:3], o[:3])
            # both are Latin hypercubes of the same ranges
            for x in (p, o):
                strata = np.floor((x[:, 0] + 0.1) / 2.1 * 40).astype(int)
                assert sorted(strata) == list(range(40)), strata


def main():
    if not os.access(SYNOVIA, os.X_OK):
        print("1..1")
        print("not ok 1 - %s is not built (make %s)" % (SYNOVIA, SYNOVIA))
        return 1
    tmp = tempfile.mkdtemp(prefix="syn_sweep_py_")
    try:
        ishigami = None
        try:
            ishigami = check_ishigami(tmp)
        except Exception:
            fail("Ishigami sweep runs", traceback.format_exc())
        if ishigami:
            check_xarray(ishigami, "indices", ["param_lower", "param_upper"], "arms/f",
                         {"metric_value": ("sample", "metric"),
                          "sobol_S1": ("metric", "param"), "sobol_ST": ("metric", "param"),
                          "sobol_S1_conf": ("metric", "param"),
                          "sobol_n_used": ("metric",)})
        for fn, name in ((check_sobol_g, "Sobol G sweep runs"),
                         (check_morris, "Morris sweep runs"),
                         (check_growth, "growth sweeps run")):
            try:
                fn(tmp)
            except Exception:
                fail(name, traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
