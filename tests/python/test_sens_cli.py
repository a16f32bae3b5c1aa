#!/usr/bin/python3
"""synovia — `synovia run --sensitivities` end to end (docs/sensitivities.md, "From the
command line"): for every shipped model (models/*.model) and example scenario
(examples/*.scenario; each runs in well under a second), the sensitivities the run writes to
two parameters (scenarios: and a dose's amount where the example has a dose) against central
finite differences from separate CLI runs with --set p*(1±h) and p*(1±2h), all at rtol
1e-10, read back with h5py: an independent check through the whole CLI and the file. A
column is compared where the two differences agree (it is resolved) and it is not
negligible next to its series; the worst disagreement is printed. The normalised values
(p/y)·dy/dp against the file's own numbers. Bad input: an unknown name, an output, a dose on
a plain model, a name twice (exit 2, nothing written); the scenario line.
Speaks TAP. Run: BUILD=build /usr/bin/python3 tests/python/test_sens_cli.py
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import check, finish  # noqa: E402

import h5py  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.abspath(os.path.join(BUILD, "release", "synovia"))
TMP = tempfile.mkdtemp(prefix="sens_cli.")
H = 1e-4          # relative step of the differences
TOL = ["--rtol", "1e-10"]
WORST = 1e-4      # relative disagreement allowed (a column's largest value as the scale)
NEGLIGIBLE = 1e-6  # columns whose normalised size p/max|y| * max|dy/dp| is below: skipped
RESOLVED = 1e-5    # columns whose differences at steps h and 2h disagree by more: skipped
DOSES = {"knee_ia_vs_iv": "dose:IA 50M UC-MSC:IA.amount",
         "ia_dose_response": None, "repeated_ia": None}
worst = [0.0, ""]
compared = [0]


def run(args, out, check_rc=True):
    p = subprocess.run([SYNOVIA, "run"] + args + ["-q", "-o", out], capture_output=True, text=True)
    if check_rc and p.returncode != 0:
        raise AssertionError("synovia run %s: %s" % (args, p.stderr))
    return p


def arms(path):
    with h5py.File(path, "r") as f:
        return list(f["arms"].keys())


def series_names(g):
    s = g["sensitivities"]
    return [k for k in s.keys() if isinstance(s[k], h5py.Dataset) and s[k].ndim == 2 and k in g]


def pick_params(path):
    """Two parameters of the run's parameter table with a nonzero value (first and middle)."""
    with h5py.File(path, "r") as f:
        g = f["arms"][arms(path)[0]]
        names = [n.decode() if isinstance(n, bytes) else n for n in g["param"][()]]
        vals = g["param_value"][()]
    cand = [n for n, v in zip(names, vals) if v != 0 and np.isfinite(v)]
    return list(dict.fromkeys([cand[0], cand[len(cand) // 2]]))


def compare(model, base_args, params, tag):
    out = os.path.join(TMP, tag + ".h5")
    run(base_args + ["--sensitivities", ",".join(params)] + TOL, out)
    with h5py.File(out, "r") as f:
        for arm in f["arms"]:
            g = f["arms"][arm]
            if "sensitivities" not in g:
                continue
            s = g["sensitivities"]
            pnames = [n.decode() if isinstance(n, bytes) else n for n in s["param"][()]]
            pvals = s["param_value"][()]
            for k, (p, v) in enumerate(zip(pnames, pvals)):
                fd = {}
                for step in (1, -1, 2, -2):
                    o = os.path.join(TMP, "%s_%d_%d.h5" % (tag, k, step))
                    run(base_args + ["--set", "%s=%.17g" % (p, v * (1 + step * H))] + TOL, o)
                    with h5py.File(o, "r") as h:
                        fd[step] = {n: h["arms"][arm][n][()] for n in series_names(g)}
                for n in series_names(g):
                    y = g[n][()]
                    sk = s[n][()][k]
                    d = (fd[1][n] - fd[-1][n]) / (2 * H * v)
                    d2 = (fd[2][n] - fd[-2][n]) / (4 * H * v)
                    scale = np.max(np.abs(d))
                    if not np.all(np.isfinite(sk)) or scale == 0:
                        continue
                    if abs(v) * scale < NEGLIGIBLE * max(np.max(np.abs(y)), 1e-300):
                        continue  # negligible next to the series
                    if np.max(np.abs(d - d2)) > RESOLVED * scale:
                        continue  # the differences do not resolve it (noise, a kink)
                    rel = np.max(np.abs(sk - d)) / scale
                    compared[0] += 1
                    if rel > worst[0]:
                        worst[0], worst[1] = rel, "%s arm %s d%s/d%s" % (tag, arm, n, p)
                    assert rel <= WORST, "%s arm %s: d%s/d%s differs from the differences by " \
                        "%.3g of its largest value" % (tag, arm, n, p, rel)
                    lg = s["log"][n][()][k]
                    ok = y != 0
                    np.testing.assert_allclose(lg[ok], (v / y[ok]) * sk[ok], rtol=1e-12,
                                               atol=0)


for path in sorted(glob.glob("models/*.model")):
    name = os.path.basename(path)[:-6]

    @check("%s: sensitivities against central differences, log values" % name)
    def _(path=path, name=name):
        plain = os.path.join(TMP, name + "_plain.h5")
        run([path], plain)
        compare(name, [path], pick_params(plain), name)

for path in sorted(glob.glob("examples/*.scenario")):
    name = os.path.basename(path)[:-9]
    # a scenario with conditional doses (`dose ... when`) too: they are model events
    # that assign parameters, whose sensitivities follow the jump conditions
    @check("%s: sensitivities against central differences, log values" % name)
    def _(path=path, name=name):
        plain = os.path.join(TMP, name + "_plain.h5")
        run([path], plain)
        params = pick_params(plain)
        if DOSES.get(name):
            params.append(DOSES[name])
        compare(name, [path], params, name)


@check("the worst relative disagreement is reported")
def _():
    assert compared[0] > 0
    print("# worst relative disagreement %.3g (%s) over %d columns"
          % (worst[0], worst[1], compared[0]))


MODEL = "models/pk_one_compartment.model"


def refused(args, message):
    out = os.path.join(TMP, "refused.h5")
    p = run(args, out, check_rc=False)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert message in p.stderr, p.stderr
    assert not os.path.exists(out) and not os.path.exists(out + ".tmp")


@check("an unknown name: did-you-mean, exit 2, nothing written")
def _():
    refused([MODEL, "--sensitivities", "CL,kaa"], "unknown name 'kaa' (did you mean 'ka'?)")


@check("an output named: refused")
def _():
    refused([MODEL, "--sensitivities", "C"], "'C' is an output and cannot be set")


@check("a dose on a plain model: refused")
def _():
    refused([MODEL, "--sensitivities", "dose:x:IV.amount"], "a model has no doses")


@check("a name twice: refused")
def _():
    refused([MODEL, "--sensitivities", "CL, CL"], "'CL' is given twice")


@check("a scenario: an unknown dose, did-you-mean")
def _():
    refused(["examples/knee_ia_vs_iv.scenario", "--sensitivities", "dose:IA 50M UC-MSC:IB.amount"],
            "has no dose of 'IB' (did you mean 'IA'?)")


def scenario_with(line):
    path = os.path.join(TMP, "line.scenario")
    with open(path, "w") as f:
        f.write('scenario "line"\nmodel "%s"\nsimulate 0 h to 24 h every 1 h\n%s\n'
                'arm "iv"\n  dose IV 100 mg at 2 h\narm "oral"\n  set CL = 7\n'
                '  dose oral 100 mg at 0 h\nmetric auc_C = auc(C, 0 h, 24 h)\n'
                % (os.path.abspath(MODEL), line))
    return path


@check("the scenario line: each arm differentiated at its own value, its own doses")
def _():
    out = os.path.join(TMP, "line.h5")
    run([scenario_with('sensitivities CL, "dose:iv:IV.amount"')], out)
    with h5py.File(out, "r") as f:
        iv, oral = f["arms/iv/sensitivities"], f["arms/oral/sensitivities"]
        assert [n.decode() for n in iv["param"][()]] == ["CL", "dose:iv:IV.amount"]
        assert [n.decode() for n in oral["param"][()]] == ["CL"]
        assert iv["param_value"][0] == 5 and oral["param_value"][0] == 7
        assert f["arms/iv"].attrs is not None


@check("the scenario line with --arm: a dose of an arm not run is left out")
def _():
    out = os.path.join(TMP, "line_arm.h5")
    run([scenario_with('sensitivities CL, "dose:iv:IV.amount"'), "--arm", "oral"], out)
    with h5py.File(out, "r") as f:
        assert list(f["arms"].keys()) == ["oral"]
        assert [n.decode() for n in f["arms/oral/sensitivities/param"][()]] == ["CL"]


@check("a dose's amount by --set on a scenario; a dose time's units; an unknown dose refused")
def _():
    base = os.path.join(TMP, "dose_base.h5")
    moved = os.path.join(TMP, "dose_set.h5")
    path = scenario_with("")
    run([path], base)
    run([path, "--set", "dose:iv:IV.amount=200", "--set", "dose:oral:oral.time=120 min"], moved)
    with h5py.File(base, "r") as f, h5py.File(moved, "r") as g:
        np.testing.assert_allclose(g["arms/iv/A"][()], 2 * f["arms/iv/A"][()], rtol=1e-6,
                                   atol=1e-9)
        t = g["arms/oral/time"][()]
        assert np.all(g["arms/oral/A"][()][t <= 2] == 0) and g["arms/oral/A"][()][-1] > 0
    refused([path, "--set", "dose:iv:IB.amount=2"], "arm 'iv' has no dose of 'IB'")


@check("the scenario line: an unknown name is located, with did-you-mean")
def _():
    path = scenario_with("sensitivities CL, kaa")
    p = run([path], os.path.join(TMP, "bad.h5"), check_rc=False)
    assert p.returncode != 0 and "line.scenario:4" in p.stderr, p.stderr
    assert "did you mean 'ka'" in p.stderr, p.stderr


@check("--sensitivities overrides the scenario line")
def _():
    out = os.path.join(TMP, "over.h5")
    run([scenario_with("sensitivities CL"), "--sensitivities", "ka"], out)
    with h5py.File(out, "r") as f:
        assert [n.decode() for n in f["arms/iv/sensitivities/param"][()]] == ["ka"]


sys.exit(finish())
