"""synovia bench: the states' own absolute tolerances (docs/language.md, `atol`)
against one scalar atol, on the knee and RA scenarios of examples/.

usage: state_tol.py SYNOVIA [SCENARIO ...]   (default: the scenarios below)

Each scenario is run four times with `synovia run`:
  scalar    --atol 1e-9: one absolute tolerance for every state (as before
            states had their own; cells were followed down to 1e-9 cells)
  states    the defaults: each state's declared atol, 1e-3 for cells
  scenario  a scenario override: a copy of the scenario with an
            `atol NAME = 1 cells` line for every state in cells (one cell,
            the smallest real change; docs/scenarios.md, "atol")
  reference --rtol 1e-10 --atol 1e-9
and prints, per arm, the solver's steps (cvode_nsteps) of the four, and
per run the largest relative error of any metric against the reference
(|x - ref| / max(|ref|, 1e-12 * max |ref| of that metric)), plus the CPU time
(user + system of the child process: the machine may be shared, so no wall
time) of the whole run, start-up and steady baseline included. Prints;
asserts nothing."""
import os
import re
import resource
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SCENARIOS = ["examples/knee_ia_vs_iv.scenario", "examples/repeated_ia.scenario",
             "examples/cell_source.scenario", "examples/ra_routes.scenario"]
RUNS = [("scalar", ["--atol", "1e-9"]), ("states", []), ("scenario", []),
        ("reference", ["--rtol", "1e-10", "--atol", "1e-9"])]
COMPARED = ["scalar", "states", "scenario"]


def run(synovia, scenario, extra, out):
    """Steps per arm, the metrics table and the CPU seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([synovia, "run", scenario, "-q", "-o", out] + extra, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with h5py.File(out, "r") as f:
        arms = [a.decode() for a in f["metrics/arm"][()]]
        steps = {a: int(f["arms"][a].attrs["cvode_nsteps"]) for a in arms}
        values = np.array(f["metrics/value"][()], dtype=float)
        names = [m.decode() for m in f["metrics/metric"][()]]
    return arms, steps, names, values, cpu


def rel_error(x, ref):
    """Largest relative error, each metric scaled by its own size (a metric
    that is 0 in one arm is compared against the others' magnitude)."""
    scale = np.maximum(np.abs(ref), 1e-12 * np.nanmax(np.abs(ref), axis=0, keepdims=True))
    scale = np.where(scale > 0, scale, 1.0)
    err = np.abs(x - ref) / scale
    return np.nanmax(err, axis=0)


def cell_states(path):
    """The states in cells of a run file (the `units` of each state's dataset)."""
    with h5py.File(path, "r") as f:
        arm = f["arms"][next(iter(f["arms"]))]
        return [k for k, d in arm.items()
                if d.attrs.get("kind") == b"state" and d.attrs.get("units") == b"cells"]


def override(scenario, states, out):
    """A copy of the scenario with `atol S = 1 cells` for each state before its
    first arm, its model named by absolute path (the copy lives elsewhere)."""
    here = os.path.dirname(scenario)
    lines = open(scenario).read().split("\n")
    at = next(i for i, l in enumerate(lines) if re.match(r"\s*arm\b", l))
    text = "\n".join(lines[:at] + [f"atol {s} = 1 cells" for s in states] + lines[at:])
    text = re.sub(r'^model "([^"]*)"', lambda m: 'model "%s"' % os.path.join(here, m.group(1)),
                  text, flags=re.M)
    with open(out, "w") as f:
        f.write(text)
    return out


def bench(synovia, scenario, tmp):
    res = {}
    path = os.path.join(TOP, scenario)
    for name, extra in RUNS:
        run_path = path
        if name == "scenario":
            run_path = override(path, cell_states(os.path.join(tmp, "states.h5")),
                                os.path.join(tmp, "override.scenario"))
        res[name] = run(synovia, run_path, extra, os.path.join(tmp, name + ".h5"))
    arms, names = res["states"][0], res["states"][2]
    ref = res["reference"][3]
    print(f"== {scenario}")
    print(f"  {'arm':<28} {'steps scalar':>12} {'states':>8} {'scenario':>8} {'ratio':>6}"
          f" {'reference':>10}")
    for a in arms:
        s0, s1, s2 = (res[k][1][a] for k in COMPARED)
        print(f"  {a:<28} {s0:>12} {s1:>8} {s2:>8} {s0 / max(s1, 1):>6.2f}"
              f" {res['reference'][1][a]:>10}")
    errs = [rel_error(res[k][3], ref) for k in COMPARED]
    print(f"  {'metric: max rel. error vs ref':<40} {'scalar':>10} {'states':>10} {'scenario':>10}")
    for k, m in enumerate(names):
        print(f"  {m:<40} " + " ".join(f"{e[k]:>10.2e}" for e in errs))
    print(f"  {'(all metrics)':<40} " + " ".join(f"{np.nanmax(e):>10.2e}" for e in errs))
    print("  CPU s (user+sys) of the run: " +
          ", ".join(f"{k} {res[k][4]:.3f}" for k in COMPARED + ["reference"]))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    synovia = os.path.abspath(sys.argv[1])
    print("== state tolerances: steps and metric accuracy (reference rtol 1e-10; CPU time)")
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in sys.argv[2:] or SCENARIOS:
            bench(synovia, scenario, tmp)


if __name__ == "__main__":
    main()
