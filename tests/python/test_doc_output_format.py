#!/usr/bin/python3
"""synovia — runs every ```python block of docs/output-format.md ("Reading
results") on result files written by the synovia program, under the names the
blocks use, and checks what each block printed and computed.

The files (in a temporary folder, where the blocks run):
  two_knees.h5  synovia run examples/two_knees.scenario (two arms, doses, metrics)
  decay.h5      synovia run models/exponential_decay.model (a plain run: arm "run")
  growth.h5     synovia sweep of tests/sweep/growth.sweep + `difference "fast" "slow"`
                and `keep trajectories` (60 lhs samples, those with r < 0 fail)
  ishigami.h5   synovia sweep tests/sweep/ishigami.sweep (saltelli: Sobol indices)
  sens.h5       tests/tools/h5_sens_sample (exact sensitivities of x0 e^(-kt))

Each block runs as its own /usr/bin/python3 process (as a reader would run it);
a small wrapper then pickles the block's variables for the checks below. A
block must exit 0 with nothing on stderr, and EXPECT must have one check per
block, in order: a new block without a check fails the test.

Prints TAP and exits non-zero on failure.
Run: BUILD=build-of /usr/bin/python3 tests/python/test_doc_output_format.py
"""
import hashlib
import math
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import check, fail, finish  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.abspath(os.path.join(BUILD, "release", "synovia"))
DOC = os.path.join(ROOT, "docs", "output-format.md")
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable

# Runs a block file, then pickles the variables it left that pickle (numbers,
# arrays, lists, DataFrames; not closed h5py objects).
WRAPPER = r"""
import pickle, runpy, sys
ns = runpy.run_path(sys.argv[1], run_name="__main__")
keep = {}
for k, v in ns.items():
    if k.startswith("__"):
        continue
    try:
        # an xarray object may still hold its file open (lazy loading, which
        # depends on the installed backends): load it into memory first
        if hasattr(v, "load") and hasattr(v, "dims"):
            v = v.load()
        keep[k] = pickle.loads(pickle.dumps(v))
    except Exception:  # modules, open h5py objects: not needed by the checks
        pass
with open(sys.argv[2], "wb") as out:
    pickle.dump(keep, out)
"""


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def arms_of(scenario_text):
    return re.findall(r'^arm "([^"]+)"', scenario_text, re.M)


def param_of(model_text, name):
    m = re.search(r"^param %s = ([0-9.eE+-]+)" % re.escape(name), model_text, re.M)
    return float(m.group(1))


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


# ---- what each block must print and leave ------------------------------------------

def check_h5py_run(out, v):
    scenario = read("examples/two_knees.scenario")
    arms = arms_of(scenario)
    assert v["arms"] == arms, v["arms"]
    t = v["t"]
    assert len(t) == 28 * 4 + 1 and t[0] == 0.0 and t[-1] == 28 * 24.0  # 0 d to 28 d every 6 h
    assert "knee_R.MSC" in v["series"] and "MSC_joints" in v["series"], v["series"]
    # k_blood = ln(2) / 30 min, stored in the clock's unit (per hour)
    assert close(v["params"]["k_blood"], math.log(2) / 0.5), v["params"]["k_blood"]
    assert v["files"] == ["examples/two_knees.scenario", "models/two_knees.model"], v["files"]
    assert v["scenario_text"] == scenario
    assert v["value"].shape == (len(arms), 3)
    # model_sha256 as documented: over (path, text) of each model file, root first
    text = read("models/two_knees.model").encode()
    path = b"models/two_knees.model"
    sha = hashlib.sha256(b"%d:%d:" % (len(path), len(text)) + path + text).hexdigest()
    lines = out.splitlines()
    assert lines[0].startswith(repr(arms) + " cells MSCs in this joint 113 "), lines[0]
    assert lines[1] == "['IV'] [0.] [1.e+08] ['cells']", lines[1]  # dose IV 100e6 cells at 0 d
    assert lines[3] == "examples/two_knees.scenario " + sha, lines[3]


def check_h5py_decay(out, v):
    model = read("models/exponential_decay.model")
    assert out.strip() == "mg per h k = %g False" % param_of(model, "k"), out
    assert v["x"][0] == 100.0 and len(v["t"]) > 2      # state X = 100 mg


def growth_truth(tmp):
    """Independent facts of growth.h5: which samples must fail (r < 0 makes
    sqrt(r) NaN) and the two arms' metrics, read directly."""
    import h5py
    with h5py.File(os.path.join(tmp, "growth.h5"), "r") as f:
        r = f["param_value"][:, 0]
        fast, slow = f["arms/fast/metric_value"][:], f["arms/slow/metric_value"][:]
    return r, fast, slow


def check_h5py_sweep(out, v, tmp):
    import numpy as np
    r, fast, slow = growth_truth(tmp)
    assert v["params"] == ["r", "K"]                   # the vary lines, in order
    assert v["X"].shape == (60, 2) and v["metrics"] == ["N_end", "N_auc"]
    assert v["Y"].shape == (60, 2) and v["N"].shape == (60, 11) and len(v["days"]) == 11
    assert ((v["status"] < 0) == (r < 0)).all() and (r < 0).any()
    assert ((v["status"] == 1) == (r >= 0)).all()
    ok = r >= 0
    assert np.allclose(v["Y"][ok], fast[ok] - slow[ok], rtol=1e-12)    # the difference arm
    assert np.isnan(v["Y"][~ok]).all()
    assert out.splitlines()[1].startswith("%d ok; [(%d, \"arm '" % (ok.sum(), np.argmax(r < 0)))
    assert "sqrt(r)" in out


def check_xarray_run(out, v):
    arms = arms_of(read("examples/two_knees.scenario"))
    assert v["day7"] == v["m"] and v["day7"] > 0      # at(knee_R.MSC, 7 d) on the grid
    assert v["first_week"].sizes["time"] == 7 * 4 + 1
    assert list(v["table"].index) == arms and list(v["table"].columns) == [
        "right_exposure", "left_exposure", "right_day7"]
    assert v["table"].loc["IV 100M", "right_day7"] == v["m"]
    assert list(v["doses"]["route"]) == ["IV"] and list(v["doses"]["amount"]) == [1e8]
    assert out.startswith("cells %r %r 29 1e-06\n" % (v["day7"], v["m"])), out
    assert "Two knees" in out and "'models/two_knees.model'" in out


def check_xarray_sweep(out, v, tmp):
    import numpy as np
    r, fast, slow = growth_truth(tmp)
    assert int(v["ok"].sum()) == (r >= 0).sum()
    gain = v["gain"].values
    assert (np.isnan(gain) == (r < 0)).all()
    assert np.allclose(gain[r >= 0], fast[r >= 0, 0] - slow[r >= 0, 0], rtol=1e-12)
    assert dict(v["day5"].sizes) == {"sample": 60}
    assert len(v["failed"]) == (r < 0).sum() and all(s.startswith("arm '") for s in v["failed"].values)
    assert out.startswith("%d %r" % ((r >= 0).sum(), float(np.median(gain[r >= 0])))), out


def check_pandas_run(out, v):
    tidy = v["tidy"]
    assert list(tidy.columns) == ["arm", "series", "time", "value", "units"]
    narms, nseries = tidy["arm"].nunique(), tidy["series"].nunique()
    assert narms == 2 and len(tidy) == narms * nseries * 113, tidy.shape
    assert set(tidy.loc[tidy["series"] == "knee_R.MSC", "units"]) == {"cells"}
    day7 = tidy[(tidy["arm"] == "IV 100M") & (tidy["series"] == "knee_R.MSC") & (tidy["time"] == 168.0)]
    assert v["metrics"].loc["IV 100M", "right_day7"] == day7["value"].item()
    assert v["metric_units"]["right_exposure"] == "cells*h"   # auc of cells over hours
    assert out.startswith("(%d, 5) {" % len(tidy)) and out.rstrip().endswith(" cells*h"), out


def check_pandas_sweep(out, v, tmp):
    import numpy as np
    r, fast, slow = growth_truth(tmp)
    df, ok, failed = v["df"], v["ok"], v["failed"]
    assert len(df) == 3 * 60 and set(df["arm"]) == {"slow", "fast", "fast - slow"}
    assert len(ok) == 3 * (r >= 0).sum() and len(failed) == (r < 0).sum()
    assert (failed.index.values == np.nonzero(r < 0)[0]).all()
    diff = ok[ok["arm"] == "fast - slow"].set_index("sample")["N_end"]
    want = fast[r >= 0, 0] - slow[r >= 0, 0]
    assert np.allclose(diff.values, want, rtol=1e-12)
    med = ok.groupby("arm")["N_end"].median()
    assert close(med["fast - slow"], float(np.median(want)))
    assert out.splitlines()[0].startswith("%d %d %d arm '" % (len(df), len(ok), len(failed))), out


def check_sobol(out, v):
    ix = v["indices"]
    assert list(ix["param"]) == ["x1", "x2", "x3"] and set(ix["arm"]) == {"f"}
    # the Ishigami function (a = 7, b = 0.1): closed-form indices (tests/sweep/ishigami.model)
    exact = {"S1": [0.3139, 0.4424, 0.0], "ST": [0.5576, 0.4424, 0.2437]}
    for k, want in exact.items():
        for got, conf, w in zip(ix[k], ix[k + "_conf"], want):
            assert abs(got - w) <= max(0.05, 2 * conf), (k, got, w, conf)
    assert out.splitlines()[0].split() == ["arm", "metric", "param", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(out.splitlines()) == 4


def check_sens(out, v):
    """sens.h5 is tests/tools/h5_sens_sample's: x = 5 e^(-0.3 t) with its exact d/dk, d/dx0."""
    import numpy as np
    t = np.arange(49) * 0.5
    assert list(v["params"]) == ["k", "x0"], v["params"]
    assert np.allclose(v["dx"][0], -5.0 * t * np.exp(-0.3 * t), 1e-14, 0)
    assert np.allclose(v["dx"][1], np.exp(-0.3 * t), 1e-14, 0)
    assert np.allclose(v["dlogx"][0], -0.3 * t, 1e-12, 1e-15)
    assert np.allclose(v["dx_dk"], v["dx"][0], 0, 0)
    assert out.splitlines() == ["x_auc ['x0', 'k']", "x_end ['k', 'x0']"], out


# (a string the block contains, its check; the check takes (stdout, variables[, folder]))
EXPECT = [
    ('h5py.File("two_knees.h5"', check_h5py_run),
    ('h5py.File("decay.h5"', check_h5py_decay),
    ('h5py.File("growth.h5"', check_h5py_sweep),
    ('xr.open_dataset("two_knees.h5"', check_xarray_run),
    ('xr.open_dataset("growth.h5"', check_xarray_sweep),
    ('tidy = pd.concat', check_pandas_run),
    ('df = pd.concat', check_pandas_sweep),
    ('h5py.File("ishigami.h5"', check_sobol),
    ('h5py.File("sens.h5"', check_sens),
]


# ---- making the files ------------------------------------------------------------------

def synovia(args, cwd):
    return subprocess.run([SYNOVIA] + args + ["-q"], cwd=cwd, capture_output=True, text=True)


def make_files(tmp):
    runs = [("two_knees.h5", ["run", "examples/two_knees.scenario", "-o",
                              os.path.join(tmp, "two_knees.h5")], ROOT),
            ("decay.h5", ["run", "models/exponential_decay.model", "-o",
                          os.path.join(tmp, "decay.h5")], ROOT),
            ("growth.h5", ["sweep", "growth.sweep", "-o", "growth.h5"], tmp),
            ("ishigami.h5", ["sweep", "tests/sweep/ishigami.sweep", "-o",
                             os.path.join(tmp, "ishigami.h5")], ROOT)]
    for name in ("growth.model", "growth.scenario"):
        shutil.copy(os.path.join(ROOT, "tests", "sweep", name), tmp)
    with open(os.path.join(tmp, "growth.sweep"), "w", encoding="utf-8") as f:
        f.write(read("tests/sweep/growth.sweep") + 'difference "fast" "slow"\nkeep trajectories\n')
    made = True
    # sensitivities: exact ones from tests/tools/h5_sens_sample (until a shipped run writes them)
    tool = os.path.abspath(os.path.join(BUILD, "test", "tools", "h5_sens_sample"))
    proc = subprocess.run([tool, os.path.join(tmp, "sens.h5")], capture_output=True, text=True) \
        if os.access(tool, os.X_OK) else None
    if proc is not None and proc.returncode == 0:
        check("h5_sens_sample writes sens.h5")(lambda: None)
    else:
        made = False
        fail("h5_sens_sample writes sens.h5",
             proc.stderr if proc is not None else "%s is not built (make %s)" % (tool, tool))
    for name, args, cwd in runs:
        proc = synovia(args, cwd)
        ok = proc.returncode == 0 and os.path.exists(os.path.join(tmp, name))
        made = made and ok
        if ok:
            check("synovia %s writes %s" % (args[0], name))(lambda: None)
        else:
            fail("synovia %s writes %s" % (args[0], name), proc.stdout + proc.stderr)
    return made


# ---- the blocks --------------------------------------------------------------------------

def doc_blocks():
    doc = open(DOC, encoding="utf-8").read()
    return doc, re.findall(r"^```python\n(.*?)^```", doc, re.S | re.M)


def run_block(i, code, tmp):
    src = os.path.join(tmp, "block_%d.py" % i)
    dump = os.path.join(tmp, "block_%d.pickle" % i)
    wrapper = os.path.join(tmp, "wrapper.py")
    with open(src, "w", encoding="utf-8") as f:
        f.write(code)
    with open(wrapper, "w", encoding="utf-8") as f:
        f.write(WRAPPER)
    proc = subprocess.run([PYTHON, wrapper, src, dump], cwd=tmp, capture_output=True, text=True)
    if proc.returncode != 0 or proc.stderr:
        raise AssertionError("block %d failed (exit %d):\n%s" % (i, proc.returncode, proc.stderr))
    with open(dump, "rb") as f:
        return proc.stdout, pickle.load(f)


def main():
    if not os.access(SYNOVIA, os.X_OK):
        print("1..1")
        print("not ok 1 - %s is not built (make %s)" % (SYNOVIA, SYNOVIA))
        return 1
    doc, blocks = doc_blocks()

    @check("docs/output-format.md: tested Python is fenced ```python, one check per block")
    def _():
        assert not re.search(r"^```(py|python3|pycon)\s*$", doc, re.M), "use ```python fences"
        assert len(blocks) == len(EXPECT), (len(blocks), len(EXPECT))
        for i, (code, (key, _)) in enumerate(zip(blocks, EXPECT)):
            assert key in code, "block %d does not contain %r" % (i, key)

    @check("docs/output-format.md: the R and MATLAB blocks read the same files")
    def _():
        for lang in ("r", "matlab"):
            code = "".join(re.findall(r"^```%s\n(.*?)^```" % lang, doc, re.S | re.M))
            assert code, "no ```%s blocks" % lang
            assert "two_knees.h5" in code and "growth.h5" in code, lang

    tmp = tempfile.mkdtemp(prefix="syn_doc_output_format_")
    try:
        if make_files(tmp):
            for i, (code, (key, fn)) in enumerate(zip(blocks, EXPECT)):
                @check("block %d (%s) runs and prints what it should" % (i, key))
                def _():
                    out, names = run_block(i, code, tmp)
                    if fn.__code__.co_argcount == 3:
                        fn(out, names, tmp)
                    else:
                        fn(out, names)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
