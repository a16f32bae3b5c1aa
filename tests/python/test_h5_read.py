#!/usr/bin/python3
"""synovia — reads the file written by tests/tools/h5_sample with the tools
users have: h5py, xarray (netcdf4 and h5netcdf engines), netCDF4, ncdump.

Prints TAP ("ok N - ..." / "not ok N - ...") and exits non-zero on failure.
The snippets of docs/output-format.md run in test_doc_output_format.py, on
files written by the synovia program.
Run: BUILD=build-io /usr/bin/python3 tests/python/test_h5_read.py
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
TOOL = os.path.join(BUILD, "test", "tools", "h5_sample")






def text(v):
    """An attribute's text: h5py gives a fixed-length string as bytes (xarray as str)."""
    return v.decode("utf-8") if isinstance(v, bytes) else v


def fixed_utf8(obj, name):
    """1 when attribute name of obj is a fixed-length UTF-8 string (not variable-length)."""
    import h5py
    t = obj.attrs.get_id(name).get_type()
    return (isinstance(t, h5py.h5t.TypeStringID) and not t.is_variable_str()
            and t.get_cset() == h5py.h5t.CSET_UTF8)

def expected(t):
    il6 = 10.0 * math.exp(-0.3 * t)
    tnf = 2.0 + math.sin(t)
    return {"IL6": il6, "TNF": tnf, "ratio": il6 / tnf}


SERIES = {  # name: (units, long_name, kind)
    "IL6": ("pg/mL", "interleukin-6 in synovial fluid", "state"),
    "TNF": ("pg/mL", "TNF", "state"),
    "ratio": ("1", "IL6 / TNF ratio", "output"),
}
PARAMS = [("k_deg", "1/h", 0.3), ("V_joint", "mL", 2.5), ("hill", "1", 1.5)]
FILES = ["scenarios/ia_vs_iv.scenario", "models/knee.model", "models/lib/cytokines.model"]
# the dose records and metrics h5_sample writes: (time, amount, duration, route, target, joint, units)
DOSES = {
    "IV": [(0.0, 2.5, 1.5, "IV", "plasma.drug", "", "mg")],
    "IA": [(0.0, 10.0, 0.0, "IA", "knee_R.MSC", "knee_R", "Mcell"),
           (12.0, 5.0, 0.0, "IA", "knee_L.MSC", "knee_L", "Mcell")],
}
# arm: [(name, units, description, value)], in the order added; NaN = never reached
METRICS = {
    "IV": [("IL6_auc", "pg/mL*h", "auc(IL6, 0 h, 24 h)", 33.25),
           ("t_half", "h", "time_below(IL6, 5 pg/mL)", 2.31)],
    "IA": [("t_half", "h", "time_below(IL6, 5 pg/mL)", float("nan")),
           ("TNF_max", "pg/mL", "", 3.0)],
}
ARMS = ["run", "IV", "IA", "bare"]  # in the order written; bare: no times, no params
TABLE_METRICS = ["IL6_auc", "t_half", "TNF_max"]  # union, first seen
TABLE_UNITS = ["pg/mL*h", "h", "pg/mL"]


def table_value(arm, metric):
    """What /metrics must hold: the arm's value, or NaN when it lacks the metric."""
    for name, _, _, value in METRICS.get(arm, []):
        if name == metric:
            return value
    return float("nan")


def same(a, b):
    """Equal, with NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def close(a, b):
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


tmpdir = tempfile.mkdtemp(prefix="syn_h5_read_")
path = os.path.join(tmpdir, "sample.h5")


def main():
    if not os.access(TOOL, os.X_OK):
        print("1..1")
        print("not ok 1 - %s is not built (make %s)" % (TOOL, TOOL))
        return 1
    proc = subprocess.run([TOOL, path], capture_output=True, text=True)

    @check("h5_sample writes the file and prints nothing")
    def _():
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "" and proc.stderr == "", (proc.stdout, proc.stderr)
        assert os.path.exists(path) and not os.path.exists(path + ".tmp")

    import h5py
    import numpy as np

    @check("h5py: global attributes are fixed-length UTF-8 text (never in the string heap)")
    def _():
        with h5py.File(path, "r") as f:
            a = f.attrs
            assert text(a["Conventions"]) == "CF-1.8"
            assert text(a["title"]) == "Knee OA \u2014 IA dose"
            for key in ("title", "source", "synovia_version", "date_created",
                        "command_line", "model_sha256", "model_file",
                        "scenario_sha256", "scenario_file"):
                assert fixed_utf8(f, key), key
            assert text(a["source"]) == "synovia " + text(a["synovia_version"])
            assert text(a["date_created"]) == "2024-05-06T07:08:09Z"
            assert text(a["command_line"]) == "synovia run scenarios/ia_vs_iv.scenario"
            assert text(a["model_sha256"]) == "0123abcd"
            assert text(a["model_file"]) == "models/knee.model"
            assert text(a["scenario_sha256"]) == "5ce0a1b2"
            assert text(a["scenario_file"]) == "scenarios/ia_vs_iv.scenario"

    @check("h5py: provenance file/text")
    def _():
        with h5py.File(path, "r") as f:
            files = f["provenance/file"].asstr()[:]
            texts = f["provenance/text"].asstr()[:]
            assert list(files) == FILES
            assert texts[2] == "# cytokines \u03b2\nstate IL6\n"
            assert h5py.h5ds.is_scale(f["provenance/file"].id)
            assert f["provenance/text"].dims[0][0].name == "/provenance/file"

    @check("h5py: arm datasets, units/long_name/kind as fixed-length UTF-8, values")
    def _():
        with h5py.File(path, "r") as f:
            assert list(f["arms"]) == ARMS  # creation order is tracked: h5py keeps it
            g = f["arms/run"]
            t = g["time"][:]
            assert t.dtype == np.float64 and len(t) == 49 and t[-1] == 24.0
            assert text(g["time"].attrs["units"]) == "h"
            assert h5py.h5ds.is_scale(g["time"].id)
            for name, (units, long_name, kind) in SERIES.items():
                d = g[name]
                assert d.dtype == np.float64
                assert text(d.attrs["units"]) == units and fixed_utf8(d, "units")
                assert text(d.attrs["long_name"]) == long_name
                assert text(d.attrs["kind"]) == kind
                assert math.isnan(d.attrs["_FillValue"])
                assert math.isnan(d.fillvalue)
                assert d.compression == "gzip" and d.compression_opts == 1 and d.shuffle
                assert d.dims[0][0].name == "/arms/run/time"
                v = d[:]
                for k in range(len(t)):
                    assert close(v[k], expected(t[k])[name]), (name, k)
            assert text(g.attrs["solver"]) == "CVODE BDF"
            assert text(g.attrs["rtol"]) == 1e-8
            assert text(g.attrs["nsteps"]) == 321 and g.attrs["nsteps"].dtype == np.int64

    @check("h5py: parameter table")
    def _():
        with h5py.File(path, "r") as f:
            g = f["arms/run"]
            names = list(g["param"].asstr()[:])
            units = list(g["param_units"].asstr()[:])
            values = list(g["param_value"][:])
            assert names == [p[0] for p in PARAMS]
            assert units == [p[1] for p in PARAMS]
            assert values == [p[2] for p in PARAMS]

    @check("h5py: dose records; an arm without doses has no doses group")
    def _():
        with h5py.File(path, "r") as f:
            assert "doses" not in f["arms/run"]
            for arm, doses in DOSES.items():
                g = f["arms/%s/doses" % arm]
                assert h5py.h5ds.is_scale(g["dose"].id)
                assert list(g["dose"][:]) == list(range(len(doses)))
                assert g["dose"].dtype == np.int64
                for k, col in enumerate(["time", "amount", "duration"]):
                    assert g[col].dtype == np.float64
                    assert list(g[col][:]) == [d[k] for d in doses], (arm, col)
                    assert g[col].dims[0][0].name == "/arms/%s/doses/dose" % arm
                for k, col in enumerate(["route", "target", "joint", "units"], 3):
                    assert list(g[col].asstr()[:]) == [d[k] for d in doses], (arm, col)
                    assert g[col].dims[0][0].name == "/arms/%s/doses/dose" % arm
                assert text(g["time"].attrs["units"]) == "h"
                assert text(g["duration"].attrs["units"]) == "h"
                assert "units" not in g["amount"].attrs

    @check("h5py: per-arm metrics and the /metrics table (NaN where an arm lacks one)")
    def _():
        with h5py.File(path, "r") as f:
            assert "metric" not in f["arms/run"]
            for arm, metrics in METRICS.items():
                g = f["arms/" + arm]
                assert list(g["metric"].asstr()[:]) == [m[0] for m in metrics]
                assert list(g["metric_units"].asstr()[:]) == [m[1] for m in metrics]
                assert list(g["metric_description"].asstr()[:]) == [m[2] for m in metrics]
                values = g["metric_value"][:]
                assert all(same(v, m[3]) for v, m in zip(values, metrics)), (arm, values)
                for name in ("metric_value", "metric_units", "metric_description"):
                    assert g[name].dims[0][0].name == "/arms/%s/metric" % arm
            t = f["metrics"]
            assert list(t["arm"].asstr()[:]) == ARMS
            assert list(t["metric"].asstr()[:]) == TABLE_METRICS
            assert list(t["units"].asstr()[:]) == TABLE_UNITS
            v = t["value"][:]
            assert v.shape == (len(ARMS), len(TABLE_METRICS)) and v.dtype == np.float64
            for i, arm in enumerate(ARMS):
                for j, metric in enumerate(TABLE_METRICS):
                    assert same(v[i, j], table_value(arm, metric)), (arm, metric, v[i, j])
            assert t["value"].dims[0][0].name == "/metrics/arm"
            assert t["value"].dims[1][0].name == "/metrics/metric"
            assert t["description"].dims[0][0].name == "/metrics/metric"

    import xarray as xr
    engines = ["netcdf4"]
    try:
        import h5netcdf  # noqa: F401
        engines.append("h5netcdf")
    except ImportError:
        pass

    for engine in engines:
        @check("xarray[%s]: arm group, time float64 in h, variables, values" % engine)
        def _():
            ds = xr.open_dataset(path, group="arms/run", engine=engine)
            try:
                assert ds["time"].dtype == np.float64, ds["time"].dtype
                assert text(ds["time"].attrs["units"]) == "h"
                for name, (units, long_name, kind) in SERIES.items():
                    da = ds[name]
                    assert da.dims == ("time",)
                    assert text(da.attrs["units"]) == units
                    assert text(da.attrs["long_name"]) == long_name
                    assert text(da.attrs["kind"]) == kind
                    for k, t in enumerate(ds["time"].values):
                        assert close(float(da.values[k]), expected(t)[name])
                assert list(ds["param"].values) == [p[0] for p in PARAMS]
                assert ds["param_value"].sel(param="V_joint").item() == 2.5
                assert list(ds["param_units"].values) == [p[1] for p in PARAMS]
                assert text(ds.attrs["solver"]) == "CVODE BDF"
                assert int(ds.attrs["nsteps"]) == 321
                # the documented pandas route
                df = ds[["IL6", "TNF", "ratio"]].to_dataframe()
                assert list(df.columns) == ["IL6", "TNF", "ratio"]
                assert df.index.name == "time" and len(df) == 49
                assert close(df.loc[1.0, "IL6"], expected(1.0)["IL6"])
            finally:
                ds.close()

        @check("xarray[%s]: provenance group and global attributes" % engine)
        def _():
            with xr.open_dataset(path, group="provenance", engine=engine) as prov:
                assert list(prov["file"].values) == FILES
                assert prov["text"].sel(file="models/knee.model").item().startswith("model knee")
            with xr.open_dataset(path, engine=engine) as root:
                assert text(root.attrs["Conventions"]) == "CF-1.8"
                assert text(root.attrs["model_file"]) == "models/knee.model"
                assert text(root.attrs["scenario_file"]) == "scenarios/ia_vs_iv.scenario"
                assert text(root.attrs["scenario_sha256"]) == "5ce0a1b2"

        @check("xarray[%s]: zero-length time, series and string datasets" % engine)
        def _():
            with xr.open_dataset(path, group="arms/bare", engine=engine) as ds:
                assert ds.sizes["time"] == 0 and ds.sizes["param"] == 0
                assert ds["IL6"].shape == (0,) and ds["param_units"].shape == (0,)
                assert list(ds["param"].values) == []

        @check("xarray[%s]: doses groups (all-empty joint strings read as '')" % engine)
        def _():
            for arm, doses in DOSES.items():
                with xr.open_dataset(path, group="arms/%s/doses" % arm, engine=engine) as ds:
                    assert ds["amount"].dims == ("dose",)
                    assert list(ds["dose"].values) == list(range(len(doses)))
                    for k, col in enumerate(["time", "amount", "duration", "route", "target",
                                             "joint", "units"]):
                        assert list(ds[col].values) == [d[k] for d in doses], (arm, col)
                    assert ds["time"].dtype == np.float64  # "h" is not decoded as timedelta
                    assert text(ds["time"].attrs["units"]) == "h"

        @check("xarray[%s]: /metrics (arm x metric) and per-arm metrics" % engine)
        def _():
            with xr.open_dataset(path, group="metrics", engine=engine) as ds:
                assert ds["value"].dims == ("arm", "metric")
                assert list(ds["arm"].values) == ARMS
                assert list(ds["metric"].values) == TABLE_METRICS
                assert list(ds["units"].values) == TABLE_UNITS
                assert ds["description"].sel(metric="TNF_max").item() == ""
                for arm in ARMS:
                    for metric in TABLE_METRICS:
                        got = float(ds["value"].sel(arm=arm, metric=metric))
                        assert same(got, table_value(arm, metric)), (arm, metric, got)
                df = ds["value"].to_pandas()  # rows = arms, columns = metrics
                assert list(df.index) == ARMS and list(df.columns) == TABLE_METRICS
            with xr.open_dataset(path, group="arms/IA", engine=engine) as ds:
                assert list(ds["metric"].values) == ["t_half", "TNF_max"]
                assert math.isnan(float(ds["metric_value"].sel(metric="t_half")))
                assert list(ds["metric_description"].values) == [m[2] for m in METRICS["IA"]]

    @check("netCDF4: the file opens for append (creation order tracked)")
    def _():
        import netCDF4
        copy = os.path.join(tmpdir, "append.h5")
        shutil.copy(path, copy)
        with netCDF4.Dataset(copy, "a") as nc:
            g = nc.groups["arms"].groups["run"]
            assert g.variables["IL6"].units == "pg/mL"
            nc.history_note = "appended"
        with netCDF4.Dataset(copy, "r") as nc:
            assert nc.history_note == "appended"

    @check("ncdump -h reads the file")
    def _():
        exe = shutil.which("ncdump")
        if exe is None:
            raise SkipTest("ncdump not installed")
        out = subprocess.run([exe, "-h", path], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert 'IL6:units = "pg/mL"' in out.stdout
        assert "time = 49" in out.stdout

    @check("commit is durable: tmp fsync'ed, renamed, then the directory fsync'ed")
    def _():
        exe = shutil.which("strace")
        if exe is None:
            raise SkipTest("strace not installed")
        out = os.path.join(tmpdir, "traced.h5")
        log = os.path.join(tmpdir, "strace.log")
        run = subprocess.run([exe, "-f", "-o", log, "-e", "trace=openat,fsync,rename,close",
                              TOOL, out], capture_output=True, text=True)
        if run.returncode != 0 and "ptrace" in run.stderr:
            raise SkipTest("ptrace not permitted here")
        assert run.returncode == 0, run.stderr
        import re
        calls = [re.sub(r"\s+= ", " = ", re.sub(r"^\d+\s+", "", line))
                 for line in open(log).read().splitlines()]
        renamed = [i for i, c in enumerate(calls)
                   if c.startswith('rename("%s.tmp", "%s")' % (out, out))]
        assert len(renamed) == 1, calls
        tmp_fd = [re.search(r"= (\d+)$", c).group(1) for c in calls[:renamed[0]]
                  if c.startswith('openat(AT_FDCWD, "%s.tmp", O_WRONLY' % out)]
        assert tmp_fd and ("fsync(%s) = 0" % tmp_fd[0]) in calls[:renamed[0]], calls
        after = calls[renamed[0] + 1:]
        dir_open = [c for c in after
                    if c.startswith('openat(AT_FDCWD, "%s", O_RDONLY|O_DIRECTORY' % tmpdir)]
        assert dir_open, after
        dir_fd = re.search(r"= (\d+)$", dir_open[0]).group(1)
        assert ("fsync(%s) = 0" % dir_fd) in after, after

    return finish()


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    sys.exit(rc)
