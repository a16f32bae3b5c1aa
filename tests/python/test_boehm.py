"""The PEtab benchmark problem Boehm_JProteomeRes2014 (issue 15), before there is a fit.

tests/data/petab/Boehm_JProteomeRes2014/ holds the problem as the PEtab benchmark collection
publishes it (SBML model, PEtab tables) and boehm2014.model, its model translated by hand into
synovia's language. Two simulations are compared:

- an independent one (tests/data/petab/petab_ref.py): the SBML read with libsbml, simulated with
  scipy's solve_ivp at rtol 1e-12, the PEtab tables applied by their own rules. At the table's
  nominal values (the published optimum) its negative log-likelihood must be the published
  138.22199693517703 within 1e-6 relative: this checks the reading of PEtab (noise model,
  constant terms, observables, which values replace the SBML's);
- `synovia run` of boehm2014.model at rtol 1e-10: its states and outputs at the 16 measurement
  times must agree with the independent ones within 1e-6 relative, and the same likelihood code
  on synovia's outputs must give the published value within 1e-4. Three more parameter points,
  set with --set under the PEtab names, check the translation where a fit's starts will be.

The published value: AMICI's benchmark list (tests/benchmark_models/benchmark_models.yaml) and
the collection's own summary (2·log-likelihood 276.444), for the collection [hass2019] and the
model [boehm2014]. The reference needs libsbml (python3-sbml5) and scipy (python3-scipy); without
them its checks are skipped with the reason, and synovia's likelihood is still checked. Speaks TAP.
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join("tests", "data", "petab"))
from taplib import SkipTest, check, finish  # noqa: E402
import petab_ref as P  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
DIR = os.path.join("tests", "data", "petab", "Boehm_JProteomeRes2014")
MODEL = os.path.join(DIR, "boehm2014.model")
PROBLEM = os.path.join(DIR, "Boehm_JProteomeRes2014.yaml")
PUBLISHED_NLLH = 138.22199693517703
# Tolerances: the absolute ones far below every value compared, so that both solvers keep every
# state under relative control (pBpB falls to 3e-13 nM by 240 min at one of the points below; at
# atol 1e-12 its relative error would be anything).
REF_TOL = dict(rtol=1e-12, atol=1e-20)               # solve_ivp, the reference
RUN_TOL = ["--rtol", "1e-10", "--atol", "1e-18"]     # synovia
# All 16 measurement times (0 to 240 min) are multiples of 2.5 min: on synovia's output grid.
GRID = ["--t-end", "240", "--every", "2.5"]
# The parameters a fit moves (PEtab estimate = 1, noise sds aside) and the two fixed ones.
KINETIC = ["Epo_degradation_BaF3", "k_exp_hetero", "k_exp_homo", "k_imp_hetero", "k_imp_homo",
           "k_phos"]
missing = [what for what, mod in (("libsbml (Debian: python3-sbml5)", P.libsbml),
                                  ("scipy (Debian: python3-scipy)", P.solve_ivp)) if mod is None]
tmp = tempfile.mkdtemp(prefix="synovia-boehm-")
state = {}


def need(*keys, reference=False):
    """The results of earlier steps; reference: the step also needs libsbml and scipy."""
    if reference and missing:
        raise SkipTest(" and ".join(missing) + " not installed")
    for k in keys:
        if k not in state:
            raise SkipTest("an earlier step failed: no %s" % k)
    return [state[k] for k in keys]


def worst_rel(got, want):
    """Largest |got - want| / |want| over the points where want != 0; where want == 0 (the
    species that start at 0), got must be 0 too."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    zero = want == 0
    if np.any(got[zero] != 0):
        return float("inf")
    return float(np.max(np.abs(got[~zero] - want[~zero]) / np.abs(want[~zero]), initial=0.0))


def run_synovia(name, sets=()):
    out = os.path.join(tmp, name + ".h5")
    cmd = [SYNOVIA, "run", MODEL, "-q", "-o", out, *GRID, *RUN_TOL]
    for k, v in sets:
        cmd += ["--set", "%s=%r" % (k, v)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(" ".join(cmd) + " failed:\n" + p.stderr)
    with h5py.File(out, "r") as f:
        g = f["arms/run"]
        t = g["time"][:]
        at = [int(np.flatnonzero(t == x)[0]) for x in P.measurement_times(state["prob"])]
        series = {k: g[k][:][at] for k in g if isinstance(g[k], h5py.Dataset) and g[k].shape == t.shape}
        params = dict(zip((s.decode() for s in g["param"][:]), g["param_value"][:]))
    return series, params


def compare(name, got, ref):
    """Every species and observable of ref within 1e-6 relative of synovia's series."""
    worst = {k: worst_rel(got[k], v) for part in ("states", "observables") for k, v in ref[part].items()}
    bad = {k: w for k, w in worst.items() if not w <= 1e-6}
    print("# %s: worst relative difference %.2e (%s)" % (name, max(worst.values()), max(worst, key=worst.get)))
    assert not bad, "differ by more than 1e-6 relative: %s" % bad


@check("the PEtab tables read: parameters, observables, 48 measurements")
def _():
    prob = P.load(PROBLEM, sbml=False)
    assert len(prob["measurements"]) == 48 and len(prob["observables"]) == 3
    state["prob"] = prob


@check("the SBML model reads through libsbml")
def _():
    need(reference=True)
    sbml = P.load(PROBLEM)["sbml"]
    assert len(sbml["species"]) == 8 and len(sbml["reactions"]) == 9
    state["sbml"] = state["prob"]["sbml"] = sbml


@check("the reference is converged: LSODA and BDF at rtol 1e-12 agree within 1e-8 relative")
def _():
    prob, _ = need("prob", "sbml", reference=True)
    lsoda = P.simulate(prob, method="LSODA", **REF_TOL)
    bdf = P.simulate(prob, method="BDF", **REF_TOL)
    for part in ("states", "observables"):
        for k in lsoda[part]:
            w = worst_rel(bdf[part][k], lsoda[part][k])
            assert w <= 1e-8, "%s: %.2e" % (k, w)
    state["ref"] = lsoda


@check("the reference nllh at the nominal values is the published 138.22199693517703 (1e-6 relative)")
def _():
    prob, ref = need("prob", "ref", reference=True)
    got = P.nllh(prob, ref["observables"])
    print("# reference nllh %.12f, published %.12f, relative difference %.1e"
          % (got, PUBLISHED_NLLH, (got - PUBLISHED_NLLH) / PUBLISHED_NLLH))
    assert abs(got - PUBLISHED_NLLH) <= 1e-6 * PUBLISHED_NLLH


@check("synovia run of boehm2014.model at rtol 1e-10, atol 1e-18 succeeds")
def _():
    need("prob")
    state["run"] = run_synovia("nominal")


@check("the model names every SBML species, compartment and parameter and every PEtab observable")
def _():
    sbml, (series, params) = need("sbml", "run", reference=True)
    prob = state["prob"]
    rules = {var for var, _ in sbml["rules"]}  # BaF3_Epo: a let in the model
    assert set(sbml["species"]) <= set(series), set(sbml["species"]) - set(series)
    assert set(prob["observables"]) <= set(series), set(prob["observables"]) - set(series)
    want = (set(sbml["parameters"]) - rules) | set(sbml["compartments"])
    assert want <= set(params), want - set(params)


@check("the model's values are the PEtab table's nominal values (the optimum), exactly")
def _():
    prob, (_, params) = need("prob", "run")
    table = P.nominal(prob)
    model_params = [k for k in table if k in params]
    assert sorted(model_params) == sorted(KINETIC + ["ratio", "specC17"]), model_params
    differ = {k: (params[k], table[k]) for k in model_params if params[k] != table[k]}
    assert not differ, differ


@check("synovia's states and observables at the measurement times agree with the reference (1e-6 relative)")
def _():
    ref, (series, _) = need("ref", "run", reference=True)
    compare("nominal", series, ref)


@check("the nllh of synovia's outputs is the published 138.22199693517703 (within 1e-4)")
def _():
    prob, (series, _) = need("prob", "run")
    got = P.nllh(prob, {k: series[k] for k in prob["observables"]})
    print("# synovia nllh %.12f, published %.12f, difference %.1e" % (got, PUBLISHED_NLLH, got - PUBLISHED_NLLH))
    assert abs(got - PUBLISHED_NLLH) <= 1e-4


def other_points():
    """Three fixed points away from the optimum: each kinetic parameter times 10^u, u uniform in
    [-1, 1] (seeded), and ratio and specC17 moved too; the nominal values are the table's."""
    rng = np.random.default_rng(15)
    table = P.nominal(state["prob"])
    for _ in range(3):
        point = {k: table[k] * 10 ** rng.uniform(-1, 1) for k in KINETIC}
        point["ratio"] = rng.uniform(0.4, 0.9)
        point["specC17"] = rng.uniform(0.05, 0.3)
        yield point


@check("at 3 other parameter points set with --set, synovia agrees with the reference (1e-6 relative)")
def _():
    prob, _, _ = need("prob", "sbml", "run", reference=True)
    table = P.nominal(prob)
    for i, point in enumerate(other_points()):
        values = dict(table, **point)
        ref = P.simulate(prob, values, **REF_TOL)
        series, params = run_synovia("point%d" % i, sorted(point.items()))
        assert all(params[k] == v for k, v in point.items()), "--set did not give the values"
        compare("point %d" % i, series, ref)


sys.exit(finish())
