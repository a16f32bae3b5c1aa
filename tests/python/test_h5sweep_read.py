#!/usr/bin/python3
"""synovia — reads the sweep file written by tests/tools/h5sweep_sample with
the tools users have: h5py and xarray (netcdf4 and h5netcdf engines), at the
root and in the arm groups; in both storage modes of the writer (built in
memory; written straight to disk) and as merged from three parts, with
Sobol indices in arm IA and Morris statistics in arm IV.

Prints TAP ("ok N - ..." / "not ok N - ...") and exits non-zero on failure.
(The snippets of docs/output-format.md run in test_doc_output_format.py.)
Run: BUILD=build-hs /usr/bin/python3 tests/python/test_h5sweep_read.py
"""
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import check, finish  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
TOOL = os.path.join(BUILD, "test", "tools", "h5sweep_sample")





# What h5sweep_sample writes (its header comment): closed forms of i, p, a, t.
NS, PARAMS, ARMS, METRICS = 10, ["k_deg", "V_joint", "hill"], ["IA", "IV"], ["auc", "cmax"]
TIMES = [0.5 * k for k in range(5)]
WRITTEN = range(8)             # 8 and 9 never written
STATUS = {3: -1, 5: -2}        # the others written are ok (1)
REASON = {3: "CVODE: too much work at t = 1.2 h", 5: "IL6 is NaN at t = 0.5 h"}



def text(v):
    """An attribute's text: h5py gives a fixed-length string as bytes (xarray as str)."""
    return v.decode("utf-8") if isinstance(v, bytes) else v


def fixed_utf8(obj, name):
    """1 when attribute name of obj is a fixed-length UTF-8 string (not variable-length)."""
    import h5py
    t = obj.attrs.get_id(name).get_type()
    return (isinstance(t, h5py.h5t.TypeStringID) and not t.is_variable_str()
            and t.get_cset() == h5py.h5t.CSET_UTF8)

def param(i, p):
    return 1.0 + p + 0.1 * i


def metric(a, i, m):
    return 100.0 * a + i + 0.5 * m


def il6(a, i, t):
    return (a + 1) * 10.0 * math.exp(-param(i, 0) * t)


def has_data(i):
    return i in WRITTEN and i not in STATUS


def status(i):
    return STATUS.get(i, 1) if i in WRITTEN else 0


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def engines():
    found = []
    for eng, mod in (("netcdf4", "netCDF4"), ("h5netcdf", "h5netcdf")):
        try:
            __import__(mod)
            found.append(eng)
        except ImportError:
            pass
    return found


def check_file(path, mode):
    import h5py
    import numpy as np

    @check("%s: h5py: root attributes, scales and values" % mode)
    def _():
        with h5py.File(path, "r") as f:
            a = f.attrs
            assert text(a["Conventions"]) == "CF-1.8"
            assert text(a["sweep_sha256"]) == "cd34" and text(a["design"]) == "lhs"
            assert text(a["sweep_file"]) == "examples/tiny.sweep"
            assert int(a["seed"]) == 42 and int(a["base_seed"]) == 12345678901
            assert int(a["n_samples"]) == NS
            if mode == "merged":  # a whole sweep
                assert "task_index" not in a and "task_count" not in a
                assert text(a["command_line"]) == "synovia merge"
            else:
                assert int(a["task_index"]) == 1 and int(a["task_count"]) == 3
                assert text(a["command_line"]) == "synovia sweep examples/tiny.sweep"
            assert text(a["config_sha256"]) == "ef56" and int(a["design_n"]) == NS
            assert text(a["title"]) == "tiny sweep"
            if mode == "merged":  # its own date; the parts' kept as an ISO 8601 interval
                assert text(a["date_created"]) != "2026-01-02T03:04:05Z"
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text(a["date_created"]))
                assert text(a["parts_date_created"]) == "2026-01-02T03:04:05Z/2026-01-02T03:04:05Z"
            else:
                assert text(a["date_created"]) == "2026-01-02T03:04:05Z"
            assert list(f["provenance/file"].asstr()[:]) == ["examples/tiny.sweep"]
            assert list(f["sample"][:]) == list(range(NS))
            assert list(f["param"].asstr()[:]) == PARAMS
            assert list(f["param_units"].asstr()[:]) == ["1/h", "mL", "1"]
            assert list(f["param_lower"][:]) == [0.5, 1.5, 2.5]
            assert list(f["param_upper"][:]) == [2.5, 3.5, 4.5]
            assert f["param_distribution"].asstr()[2] == "loguniform(2.5, 4.5)"
            pv = f["param_value"][:]
            assert pv.shape == (NS, 3)
            for i in range(NS):
                for p in range(3):
                    want = param(i, p) if i in WRITTEN else float("nan")
                    assert same(pv[i, p], want), (i, p, pv[i, p])
            st = f["status"]
            assert st.dtype == np.int8
            assert list(st[:]) == [status(i) for i in range(NS)]
            assert list(st.attrs["flag_values"]) == [0, 1, -1, -2, -3]
            assert text(st.attrs["flag_meanings"]) == "not_run ok solver_failure nonfinite error"
            reasons = [r.decode() if r else "" for r in f["status_reason"][:]]
            assert reasons == [REASON.get(i, "") for i in range(NS)]
            for name in ("param_value", "status", "status_reason",
                         "arms/IA/metric_value", "arms/IV/IL6"):
                d = f[name]
                for k in range(d.ndim):
                    assert len(d.dims[k]) == 1, (name, k)
            assert f["arms/IV/IL6"].dims[0][0].name == "/sample"
            assert f["arms/IV/IL6"].dims[1][0].name == "/arms/IV/time"

    for eng in engines():
        @check("%s: xarray (%s): root dims, coords, values, attrs" % (mode, eng))
        def _():
            import xarray as xr
            with xr.open_dataset(path, engine=eng) as ds:
                assert dict(ds.sizes) == {"sample": NS, "param": 3}, dict(ds.sizes)
                assert ds["param_value"].dims == ("sample", "param")
                assert list(ds["sample"].values) == list(range(NS))
                assert list(ds["param"].values) == PARAMS
                assert ds["status"].dims == ("sample",)
                assert list(ds["status"].values) == [status(i) for i in range(NS)]
                assert list(ds["status_reason"].values) == [REASON.get(i, "") for i in range(NS)]
                v = ds["param_value"].sel(param="V_joint").values
                for i in range(NS):
                    assert same(float(v[i]), param(i, 1) if i in WRITTEN else float("nan"))
                assert text(ds.attrs["design"]) == "lhs" and int(ds.attrs["n_samples"]) == NS

        for a, arm in enumerate(ARMS):
            @check("%s: xarray (%s): group arms/%s: metrics and IL6 (sample, time)"
                   % (mode, eng, arm))
            def _():
                import xarray as xr
                with xr.open_dataset(path, engine=eng, group="arms/" + arm) as g:
                    sizes = {"sample": NS, "metric": 2, "time": 5}
                    if mode == "merged":  # the indices bring the param dimension
                        sizes["param"] = 3
                    assert dict(g.sizes) == sizes, dict(g.sizes)
                    assert g["metric_value"].dims == ("sample", "metric")
                    assert list(g["metric"].values) == METRICS
                    assert list(g["metric_units"].values) == ["pg/mL*h", "pg/mL"]
                    assert g["IL6"].dims == ("sample", "time")
                    assert text(g["IL6"].attrs["units"]) == "pg/mL"
                    assert list(g["time"].values) == TIMES  # units "h": stays float
                    mv, tr = g["metric_value"].values, g["IL6"].values
                    for i in range(NS):
                        for m in range(2):
                            want = metric(a, i, m) if has_data(i) else float("nan")
                            assert same(float(mv[i, m]), want), (i, m, mv[i, m])
                        for k, t in enumerate(TIMES):
                            want = il6(a, i, t) if has_data(i) else float("nan")
                            got = float(tr[i, k])
                            assert (math.isnan(want) and math.isnan(got)) or \
                                abs(got - want) <= 1e-14 * abs(want), (i, k, got, want)


# The indices h5sweep_sample writes into the merged file (its header comment).
def sobol_s1(m, p):
    return 0.05 + 0.1 * m + 0.01 * p


def check_indices(path):
    import h5py
    import numpy as np

    @check("merged: h5py: index tables (metric, param) with both scales, counts, attributes")
    def _():
        with h5py.File(path, "r") as f:
            for arm, names in (("IA", ["sobol_S1", "sobol_S1_conf", "sobol_ST", "sobol_ST_conf"]),
                               ("IV", ["morris_mu", "morris_mu_star", "morris_sigma",
                                       "morris_mu_star_conf"])):
                g = f["arms/" + arm]
                for name in names:
                    d = g[name]
                    assert d.shape == (2, 3) and d.dtype == np.float64, (name, d.shape)
                    assert d.dims[0][0].name == "/arms/%s/metric" % arm
                    assert d.dims[1][0].name == "/param"
                    assert "long_name" in d.attrs
                    if name.startswith("sobol"):
                        assert text(d.attrs["units"]) == "1"
                    else:
                        assert "units" not in d.attrs and "metric_units" in text(d.attrs["comment"])
            ia, iv = f["arms/IA"], f["arms/IV"]
            assert list(ia["sobol_n_used"][:]) == [8, 7]
            assert list(ia["sobol_n_dropped"][:]) == [0, 1]
            assert list(iv["morris_n_used"][:]) == [8, 7]
            assert int(ia.attrs["sobol_n_base"]) == 2 and int(ia.attrs["sobol_n_boot"]) == 50
            assert float(ia.attrs["sobol_confidence_level"]) == 0.9
            assert text(ia.attrs["sobol_estimator_S1"]) == "saltelli2010"
            assert text(ia.attrs["sobol_estimator_ST"]) == "jansen1999"
            assert int(iv.attrs["morris_n_trajectories"]) == 4
            assert int(iv.attrs["morris_num_levels"]) == 4
            assert "sobol_S1" not in iv and "morris_mu" not in ia

    for eng in engines():
        @check("merged: xarray (%s): group arms/IA: Sobol indices over (metric, param)" % eng)
        def _():
            import xarray as xr
            with xr.open_dataset(path, engine=eng, group="arms/IA") as g:
                for name in ("sobol_S1", "sobol_S1_conf", "sobol_ST", "sobol_ST_conf"):
                    assert g[name].dims == ("metric", "param"), (name, g[name].dims)
                assert g["sobol_n_used"].dims == ("metric",)
                s1 = g["sobol_S1"].sel(metric="cmax").values
                for p in range(3):
                    assert abs(float(s1[p]) - sobol_s1(1, p)) < 1e-15
                    assert abs(float(g["sobol_ST"].values[0, p]) - sobol_s1(0, p) - 0.1) < 1e-15
                    assert abs(float(g["sobol_S1_conf"].values[1, p]) - 0.001 * (p + 1)) < 1e-15
                assert np.isnan(g["sobol_ST_conf"].values).all()
                assert list(g["sobol_n_dropped"].values) == [0, 1]
                assert text(g["sobol_S1"].attrs["units"]) == "1"
                assert float(g.attrs["sobol_confidence_level"]) == 0.9
                assert text(g.attrs["sobol_estimator_ST"]) == "jansen1999"

        @check("merged: xarray (%s): group arms/IV: Morris statistics, param values from the root"
               % eng)
        def _():
            import xarray as xr
            with xr.open_dataset(path, engine=eng, group="arms/IV") as g, \
                    xr.open_dataset(path, engine=eng) as root:
                mu, mus, sg = g["morris_mu"], g["morris_mu_star"], g["morris_sigma"]
                assert mu.dims == ("metric", "param") and mus.dims == ("metric", "param")
                # the parameter names are the root's `param` coordinate
                named = mus.assign_coords(param=root["param"].values)
                for m in range(2):
                    for p, name in enumerate(PARAMS):
                        assert float(mu.values[m, p]) == m - p
                        assert float(named.sel(param=name).values[m]) == m + p
                        assert float(sg.values[m, p]) == 0.5 * (m + p)
                assert np.isnan(g["morris_mu_star_conf"].values).all()
                assert int(g.attrs["morris_n_trajectories"]) == 4


def main():
    if not os.access(TOOL, os.X_OK):
        print("1..1")
        print("not ok 1 - %s is not built (make %s)" % (TOOL, TOOL))
        return 1
    tmpdir = tempfile.mkdtemp(prefix="syn_h5sweep_read_")
    try:
        for mode, extra in (("memory", []), ("disk", ["disk"]), ("merged", ["merged"])):
            path = os.path.join(tmpdir, "sweep_%s.h5" % mode)
            proc = subprocess.run([TOOL, path] + extra, capture_output=True, text=True)

            @check("%s: h5sweep_sample writes the file and prints nothing" % mode)
            def _():
                assert proc.returncode == 0, proc.stderr
                assert proc.stdout == "" and proc.stderr == "", (proc.stdout, proc.stderr)
                assert os.path.exists(path) and not os.path.exists(path + ".tmp")
                assert not [n for n in os.listdir(tmpdir) if ".part-" in n]  # parts removed

            if proc.returncode == 0:
                check_file(path, mode)
                if mode == "merged":
                    check_indices(path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
