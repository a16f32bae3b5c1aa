"""PEtab v1 features beyond Boehm's (issue 16 point 5, docs/petab.md), each on a small problem
this test writes: an SBML model with a closed form (A' = p - k A, so
A(t) = p/k + (A0 - p/k) e^(-k t)), a few conditions and measurements. The negative
log-likelihood at a given point is computed here, independently, from the closed form and
PEtab v1's formulas, and compared with `synovia fit problem.yaml --evaluate --at ...`
(1e-8 relative); synovia's gradient (from sensitivities) with central differences of the
independent objective on the parameters' scales.

- Condition-specific estimated parameters: a condition cell naming an estimated parameter
  (one per condition, and one shared by every condition).
- observableTransformation log10 with normal noise: PEtab's
  0.5 ln(2 pi s^2) + 0.5 ((log10 m - log10 y) / s)^2 + ln(m ln 10).
- noiseDistribution laplace with lin, log and log10: ln(2 b) + |T(m) - T(y)| / b + the same
  Jacobian terms (0, ln m, ln(m ln 10)); the fit falls back from lm to L-BFGS (no residual form).
- `synovia export --petab` of each problem re-imports to the independent objective.
- A fit file's `scale = data` / `sd = data` for the new models: the table's sd turned into the
  sd of log10(value) (and a Laplace scale, sd / sqrt 2), checked the same way.
Speaks TAP.
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
SYNOVIA = os.path.join(BUILD, "release", "synovia")
TMP = tempfile.mkdtemp(prefix="petab-features-")

SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
  <model id="turnover">
    <listOfCompartments>
      <compartment id="C" size="1" spatialDimensions="3" constant="true"/>
    </listOfCompartments>
    <listOfSpecies>
      <species id="A" compartment="C" initialConcentration="4" hasOnlySubstanceUnits="false"
               boundaryCondition="false" constant="false"/>
    </listOfSpecies>
    <listOfParameters>
      <parameter id="k" value="0.3" constant="true"/>
      <parameter id="p" value="2" constant="true"/>
    </listOfParameters>
    <listOfRules>
      <rateRule variable="A">
        <math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><minus/><ci>p</ci><apply><times/><ci>k</ci><ci>A</ci></apply></apply>
        </math>
      </rateRule>
    </listOfRules>
  </model>
</sbml>
"""

YAML = """format_version: 1
parameter_file: par.tsv
problems:
- condition_files: [cond.tsv]
  measurement_files: [meas.tsv]
  observable_files: [obs.tsv]
  sbml_files: [model.xml]
"""


def A(t, k, p, a0=4.0):
    """The closed form of A' = p - k A, A(0) = a0."""
    return p / k + (a0 - p / k) * math.exp(-k * t)


def unscale(scale, x):
    return {"lin": x, "log": math.exp(x), "log10": 10.0 ** x}[scale]


def to_scale(scale, v):
    return {"lin": v, "log": math.log(v), "log10": math.log10(v)}[scale]


def write_problem(name, tables):
    """The problem folder `name` with the model and the tables (each a list of rows)."""
    d = os.path.join(TMP, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.xml"), "w") as f:
        f.write(SBML)
    with open(os.path.join(d, "p.yaml"), "w") as f:
        f.write(YAML)
    for fname, rows in tables.items():
        with open(os.path.join(d, fname), "w") as f:
            f.write("".join("\t".join(str(c) for c in r) + "\n" for r in rows))
    return os.path.join(d, "p.yaml")


def evaluate(yaml, point):
    """synovia's objective and {name: (scale, gradient on the scale)} at point (linear values)."""
    cmd = [SYNOVIA, "fit", yaml, "--evaluate"]
    for k, v in sorted(point.items()):
        cmd += ["--at", "%s=%r" % (k, v)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(" ".join(cmd) + " failed:\n" + p.stderr)
    lines = p.stdout.splitlines()
    m = re.match(r"^\S+: objective (\S+) \(data (\S+), priors (\S+)\)$", lines[0])
    assert m, "first line: " + lines[0]
    grad = {}
    for line in lines[2:]:
        w = line.split()
        if len(w) >= 4 and w[1] in ("lin", "log", "log10"):
            grad[w[0]] = (w[1], float(w[3]))
    return float(m.group(1)), grad


def compare(yaml, point, nllh, rel=1e-8):
    """synovia's objective and gradient at point against nllh (a function of the linear values)."""
    total, grad = evaluate(yaml, point)
    ref = nllh(point)
    print("# synovia %.12g, independent %.12g, relative difference %.1e"
          % (total, ref, abs(total - ref) / abs(ref)))
    assert abs(total - ref) <= rel * abs(ref)
    assert sorted(grad) == sorted(point), (sorted(grad), sorted(point))
    for name, (scale, g) in sorted(grad.items()):
        h = 1e-5
        x = to_scale(scale, point[name])
        up = dict(point, **{name: unscale(scale, x + h)})
        down = dict(point, **{name: unscale(scale, x - h)})
        fd = (nllh(up) - nllh(down)) / (2 * h)
        print("# d/d %s (%s): synovia %.10g, central difference %.10g" % (name, scale, g, fd))
        assert abs(g - fd) <= 1e-6 * max(1.0, abs(fd)), name


def normal(m, y, s):
    return 0.5 * math.log(2 * math.pi * s * s) + 0.5 * ((m - y) / s) ** 2


# ---- condition-specific estimated parameters -----------------------------------------------

CS_PAR = [["parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate"],
          ["k_c1", "log10", 0.01, 10, 0.3, 1],
          ["k_c2", "lin", 0.01, 2, 0.2, 1],
          ["p_all", "log", 0.1, 10, 2, 1],
          ["scale", "lin", 0.1, 10, 1.5, 1],
          ["sigma", "log10", 0.01, 10, 0.3, 1]]
CS_COND = [["conditionId", "k", "p"],
           ["c1", "k_c1", "p_all"],
           ["c2", "k_c2", "p_all"],
           ["c3", 0.5, "p_all"]]
CS_OBS = [["observableId", "observableFormula", "noiseFormula", "observableTransformation",
           "noiseDistribution"],
          ["obsA", "scale * A", "sigma", "lin", "normal"]]
CS_DATA = [("c1", 1, 6.1), ("c1", 4, 7.9), ("c1", 9, 9.0), ("c2", 2, 6.6), ("c2", 5, 8.3),
           ("c3", 1, 5.0), ("c3", 3, 4.4), ("c3", 8, 4.7)]
CS_MEAS = [["observableId", "simulationConditionId", "measurement", "time"]] + \
    [["obsA", c, m, t] for c, t, m in CS_DATA]
CS_POINT = {"k_c1": 0.4, "k_c2": 0.15, "p_all": 1.7, "scale": 1.2, "sigma": 0.25}


def cs_nllh(v):
    ks = {"c1": v["k_c1"], "c2": v["k_c2"], "c3": 0.5}
    return sum(normal(m, v["scale"] * A(t, ks[c], v["p_all"]), v["sigma"]) for c, t, m in CS_DATA)


@check("condition-specific parameters: objective (1e-8) and gradient (central differences)")
def _():
    yaml = write_problem("cs", {"par.tsv": CS_PAR, "cond.tsv": CS_COND, "obs.tsv": CS_OBS,
                                "meas.tsv": CS_MEAS})
    out = subprocess.run([SYNOVIA, "check", yaml], capture_output=True, text=True)
    print("# " + (out.stdout + out.stderr).strip())
    assert "ok (8 data points, 1 observable, 5 estimated parameters, 3 arms" in out.stdout
    compare(yaml, CS_POINT, cs_nllh)


# ---- transformations and Laplace noise -------------------------------------------------------

TR_PAR = [["parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate"],
          ["k", "log10", 0.01, 10, 0.3, 1],
          ["sd_lin", "log10", 0.01, 10, 0.3, 1],
          ["sd_ten", "log10", 0.001, 10, 0.05, 1],
          ["b_lin", "log", 0.01, 10, 0.3, 1],
          ["b_ln", "lin", 0.01, 2, 0.1, 1],
          ["b_ten", "log10", 0.001, 10, 0.05, 1]]
TR_COND = [["conditionId", "p"], ["c1", 2], ["c2", 1]]
# id, transformation, distribution, noise formula; T and the Jacobian term, the density
TR_OBS = [("oN", "lin", "normal", "sd_lin"), ("oN10", "log10", "normal", "sd_ten"),
          ("oL", "lin", "laplace", "b_lin"), ("oLln", "log", "laplace", "b_ln"),
          ("oL10", "log10", "laplace", "b_ten")]
TR_DATA = [("oN", "c1", 1, 5.7), ("oN", "c2", 3, 3.4), ("oN10", "c1", 2, 6.6), ("oN10", "c2", 5, 3.1),
           ("oN10", "c2", 7, 3.4), ("oL", "c1", 4, 7.2), ("oL", "c2", 2, 3.9), ("oLln", "c1", 3, 6.0),
           ("oLln", "c2", 6, 3.0), ("oL10", "c1", 5, 7.9), ("oL10", "c2", 1, 3.5)]
TRANSFORM = {"lin": (lambda v: v, lambda m: 0.0),
             "log": (math.log, math.log),
             "log10": (math.log10, lambda m: math.log(m * math.log(10)))}
TR_POINT = {"k": 0.25, "sd_lin": 0.4, "sd_ten": 0.03, "b_lin": 0.35, "b_ln": 0.08, "b_ten": 0.04}


def tr_nllh(v, obs=TR_OBS):
    kinds = {o[0]: o for o in obs}
    ps = {"c1": 2.0, "c2": 1.0}
    f = 0.0
    for oid, c, t, m in TR_DATA:
        if oid not in kinds:
            continue
        _, tf, dist, noise = kinds[oid]
        T, jac = TRANSFORM[tf]
        y, s = A(t, v["k"], ps[c]), v[noise]
        r = (T(m) - T(y)) / s
        f += jac(m) + (0.5 * math.log(2 * math.pi * s * s) + 0.5 * r * r if dist == "normal"
                       else math.log(2 * s) + abs(r))
    return f


def tr_problem(name, obs):
    ids = {o[0] for o in obs}
    used = {o[3] for o in obs} | {"k"}
    return write_problem(name, {
        "par.tsv": [r for r in TR_PAR if r[0] == "parameterId" or r[0] in used],
        "cond.tsv": TR_COND,
        "obs.tsv": [["observableId", "observableFormula", "noiseFormula", "observableTransformation",
                     "noiseDistribution"]] + [[o[0], "A", o[3], o[1], o[2]] for o in obs],
        "meas.tsv": [["observableId", "simulationConditionId", "measurement", "time"]]
        + [[o, c, m, t] for o, c, t, m in TR_DATA if o in ids]})


@check("observableTransformation log10 (normal): objective (1e-8) and gradient (central differences)")
def _():
    obs = TR_OBS[:2]
    point = {k: TR_POINT[k] for k in ("k", "sd_lin", "sd_ten")}
    compare(tr_problem("log10", obs), point, lambda v: tr_nllh(v, obs))


@check("noiseDistribution laplace with lin, log, log10: objective (1e-8) and gradient")
def _():
    obs = TR_OBS[2:]
    point = {k: TR_POINT[k] for k in ("k", "b_lin", "b_ln", "b_ten")}
    compare(tr_problem("laplace", obs), point, lambda v: tr_nllh(v, obs))


@check("all five noise models in one problem; the fit minimises it with L-BFGS (no residual form)")
def _():
    yaml = tr_problem("all", TR_OBS)
    compare(yaml, TR_POINT, tr_nllh)
    out = os.path.join(TMP, "all.h5")
    p = subprocess.run([SYNOVIA, "fit", yaml, "--starts", "2", "--seed", "3", "--no-profiles", "-o", out],
                       capture_output=True, text=True)
    print("# " + "\n# ".join((p.stdout + p.stderr).strip().splitlines()[:12]))
    assert p.returncode == 0, p.stderr
    import h5py
    with h5py.File(out, "r") as f:
        best = float(f.attrs["best_objective"])
        est = dict(zip([n.decode() if isinstance(n, bytes) else n for n in f["param"][:]], f["estimate"][:]))
        assert f["observable/distribution"][:].tolist() == [
            w.encode() for w in ("normal", "log10normal", "laplace", "loglaplace", "log10laplace")]
    # the optimum found is no worse than the start and agrees with the independent objective
    ref = tr_nllh(est)
    print("# best %.10g, independent objective there %.10g, at the nominal values %.10g"
          % (best, ref, tr_nllh({r[0]: r[4] for r in TR_PAR[1:]})))
    assert abs(best - ref) <= 1e-7 * abs(ref)
    assert best <= tr_nllh({r[0]: r[4] for r in TR_PAR[1:]})


def round_trip(name, point, nllh):
    """export --petab of problem `name`, re-imported: the objective at point is nllh's."""
    out = os.path.join(TMP, name + "-export")
    p = subprocess.run([SYNOVIA, "export", "--petab", os.path.join(TMP, name, "p.yaml"), "-o", out],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    compare(os.path.join(out, "problem.yaml"), point, nllh)


@check("export --petab round trip: condition-specific parameters as condition cells")
def _():
    round_trip("cs", CS_POINT, cs_nllh)
    with open(os.path.join(TMP, "cs-export", "conditions.tsv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    assert rows[1][1:] == ["k_c1", "p_all"] and rows[3][1:] == ["0.5", "p_all"], rows


@check("export --petab round trip: every transformation and noise distribution")
def _():
    round_trip("all", TR_POINT, tr_nllh)
    with open(os.path.join(TMP, "all-export", "observables.tsv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    assert [(r[3], r[4]) for r in rows] == [(o[1], o[2]) for o in TR_OBS], rows


@check("a fit file's sd = data / scale = data with log10normal, laplace and log10laplace")
def _():
    d = os.path.join(TMP, "fitfile")
    os.makedirs(d)
    files = {
        "m.model": "time unit h\nparam k = 0.3 /h\nparam p = 2 /h\nstate A = 4\nd/dt A = p - k * A\n"
                   "output A1 = A\noutput A2 = A\n",
        "s.scenario": 'model "m.model"\nsimulate 0 h to 10 h every 1 h\nsolver rtol 1e-10 atol 1e-14\n'
                      'arm "a"\narm "b"\n  set p = 1\n',
        "d.csv": "arm,time (h),observable,value,sd\na,1,oT,5.7,0.4\nb,3,oT,3.4,0.2\n"
                 "a,2,oL,6.6,0.3\nb,5,oL,3.1,0.5\na,4,oLT,7.2,0.6\nb,2,oLT,3.9,0.1\n",
        "f.fit": 'scenario "s.scenario"\ndata "d.csv"\nobservable oT = A\n  noise log10normal sd = data\n'
                 'observable oL = A1\n  noise laplace scale = data\n'
                 'observable oLT = A2\n  noise log10laplace scale = data\n'
                 'estimate k log10 within 0.01 10\n'}
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    rows = [line.split(",") for line in files["d.csv"].splitlines()[1:]]
    ln10 = math.log(10)

    def nllh(v):
        f = 0.0
        for arm, t, obs, m, sd in rows:
            t, m, sd = float(t), float(m), float(sd)
            y = A(t, v["k"], 2.0 if arm == "a" else 1.0)
            s10 = math.sqrt(math.log1p((sd / m) ** 2)) / ln10
            if obs == "oT":
                r = (math.log10(m) - math.log10(y)) / s10
                f += 0.5 * math.log(2 * math.pi * s10 ** 2) + 0.5 * r * r + math.log(m * ln10)
            elif obs == "oL":
                b = sd / math.sqrt(2)
                f += math.log(2 * b) + abs(m - y) / b
            else:
                b = s10 / math.sqrt(2)
                f += math.log(2 * b) + abs(math.log10(m) - math.log10(y)) / b + math.log(m * ln10)
        return f

    compare(os.path.join(d, "f.fit"), {"k": 0.27}, nllh)


shutil.rmtree(TMP)
sys.exit(finish())
