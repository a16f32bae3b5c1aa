"""Boehm_JProteomeRes2014 read as a PEtab problem by synovia (issue 16 point 5, docs/petab.md):
`synovia fit Boehm_JProteomeRes2014.yaml --evaluate`, the model imported from its SBML and the
tables translated by synovia, against the independent implementation
tests/data/petab/petab_ref.py (libsbml, scipy's solve_ivp at rtol 1e-12, PEtab's rules).

- At the nominal values: the published 138.22199693517703 within 1e-6 relative.
- At three other points (the six kinetic parameters times 10^u, u uniform in [-1, 1], the three
  noise sds times 10^u, u in [-0.5, 0.5], seeded), given with --at: petab_ref.py's value within
  1e-6 relative. Needs libsbml and scipy; skipped with the reason without them.
Speaks TAP.
"""
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join("tests", "data", "petab"))
from taplib import SkipTest, check, finish  # noqa: E402
import petab_ref as P  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
PROBLEM = os.path.join("tests", "data", "petab", "Boehm_JProteomeRes2014", "Boehm_JProteomeRes2014.yaml")
PUBLISHED_NLLH = 138.22199693517703
KINETIC = ["Epo_degradation_BaF3", "k_exp_hetero", "k_exp_homo", "k_imp_hetero", "k_imp_homo",
           "k_phos"]
NOISE = ["sd_pSTAT5A_rel", "sd_pSTAT5B_rel", "sd_rSTAT5A_rel"]
missing = [what for what, mod in (("libsbml (Debian: python3-sbml5)", P.libsbml),
                                  ("scipy (Debian: python3-scipy)", P.solve_ivp)) if mod is None]


def evaluate(point=None):
    cmd = [SYNOVIA, "fit", PROBLEM, "--evaluate"]
    for k, v in sorted((point or {}).items()):
        cmd += ["--at", "%s=%r" % (k, v)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(" ".join(cmd) + " failed:\n" + p.stderr)
    m = re.match(r"^\S+: objective (\S+) \(data (\S+), priors (\S+)\)$", p.stdout.splitlines()[0])
    assert m, "first line: " + p.stdout.splitlines()[0]
    names = [line.split()[0] for line in p.stdout.splitlines()[2:]
             if len(line.split()) >= 4 and line.split()[1] in ("lin", "log", "log10")]
    return float(m.group(1)), names


@check("synovia fit Boehm_JProteomeRes2014.yaml --evaluate: 138.22199693517703 within 1e-6 relative")
def _():
    total, names = evaluate()
    rel = abs(total - PUBLISHED_NLLH) / PUBLISHED_NLLH
    print("# synovia %.12f, published %.12f, relative difference %.1e" % (total, PUBLISHED_NLLH, rel))
    assert rel <= 1e-6
    assert sorted(names) == sorted(KINETIC + NOISE), names


@check("at 3 other points the PEtab import's objective is petab_ref.py's (1e-6 relative)")
def _():
    if missing:
        raise SkipTest(" and ".join(missing) + " not installed")
    prob = P.load(PROBLEM)
    table = P.nominal(prob)
    rng = np.random.default_rng(1616)
    for i in range(3):
        point = {k: table[k] * 10 ** rng.uniform(-1, 1) for k in KINETIC}
        point.update({k: table[k] * 10 ** rng.uniform(-0.5, 0.5) for k in NOISE})
        values = dict(table, **point)
        ref = P.nllh(prob, P.simulate(prob, values, rtol=1e-12, atol=1e-20)["observables"], values)
        total, _ = evaluate(point)
        rel = abs(total - ref) / abs(ref)
        print("# point %d: synovia %.10f, petab_ref %.10f, relative difference %.1e" % (i, total, ref, rel))
        assert rel <= 1e-6


sys.exit(finish())
