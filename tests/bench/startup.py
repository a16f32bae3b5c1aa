"""synovia bench: start-up and a one-arm run, this build against the one with
Debian's SUNDIALS and all-shared linking (`make SUNDIALS_DIR=system LINK=shared`,
which `make bench` builds in build/bench-debian/), side by side.

usage: startup.py NEW [OLD]     (without OLD, only NEW is measured)

For each program: the shared libraries it loads (ldd), the dynamic loader's
own count of relocations and cycles (LD_DEBUG=statistics), and the CPU time
(user + system, of the child processes: the machine may be shared, so no wall
time) of `synovia --version`, of a small PK model (`run
models/two_compartment.model`) and of one arm of the knee scenario
(`run examples/knee_ia_vs_iv.scenario --arm "IA 50M UC-MSC"`); the two
programs run alternately, medians of REPS runs. Their result files are
compared bit for bit (tests/support/h5same.py). Prints; asserts nothing."""
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile

REPS = {"--version": 60, "pk": 20, "knee arm": 10}
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def cpu_of(cmd):
    """CPU seconds (user + system) the command took."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=TOP)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def libraries(prog):
    out = subprocess.run(["ldd", prog], capture_output=True, text=True).stdout
    return len([line for line in out.splitlines() if line.strip()])


def loader_stats(prog):
    env = dict(os.environ, LD_DEBUG="statistics")
    err = subprocess.run([prog, "--version"], capture_output=True, text=True, env=env).stderr
    cycles = re.search(r"total startup time in dynamic loader:\s*(\d+) cycles", err)
    relocs = re.search(r"final number of relocations:\s*(\d+)", err)
    return (int(cycles.group(1)) if cycles else -1, int(relocs.group(1)) if relocs else -1)


def commands(prog, out):
    return {
        "--version": [prog, "--version"],
        "pk": [prog, "run", "models/two_compartment.model", "-q", "-o", out + "-pk.h5"],
        "knee arm": [prog, "run", "examples/knee_ia_vs_iv.scenario", "--arm", "IA 50M UC-MSC",
                     "-q", "-o", out + "-knee.h5"],
    }


def results_same(a, b):
    """tests/support/h5same.py's comparison; the program's version is allowed to
    differ (an object built at another commit keeps the revision it was built at)."""
    sys.path.insert(0, os.path.join(TOP, "tests", "support"))
    import h5py
    import h5same
    h5same.VOLATILE = h5same.VOLATILE | {"source", "synovia_version"}
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        return h5same.differ(fa, fb) is None


def main():
    progs = [("this build", os.path.abspath(sys.argv[1]))]
    if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
        progs.append(("Debian SUNDIALS, shared", os.path.abspath(sys.argv[2])))
    elif len(sys.argv) > 2:
        print("start-up: the Debian-SUNDIALS build is missing: measured alone (%s)" % sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="synovia-bench-") as tmp:
        outs = [os.path.join(tmp, "p%d" % i) for i in range(len(progs))]
        times = {(i, k): [] for i in range(len(progs)) for k in REPS}
        for k, reps in REPS.items():
            for _ in range(reps):
                for i, (_, prog) in enumerate(progs):
                    times[(i, k)].append(cpu_of(commands(prog, outs[i])[k]))
        print("start-up and a one-arm run (CPU time user+sys, median; %s)" %
              ", ".join("%s %d runs" % (k, r) for k, r in REPS.items()))
        for i, (name, prog) in enumerate(progs):
            cycles, relocs = loader_stats(prog)
            print("  %-24s %2d shared libraries, loader: %6d relocations, %9d cycles" %
                  (name, libraries(prog), relocs, cycles))
            print("  %-24s --version %.2f ms, pk run %.2f ms, knee arm %.2f ms" %
                  ("", *(1e3 * statistics.median(times[(i, k)]) for k in REPS)))
        if len(progs) == 2:
            print("  ratio Debian/this: " + ", ".join(
                "%s %.2f" % (k, statistics.median(times[(1, k)]) / statistics.median(times[(0, k)]))
                for k in REPS))
            same = [results_same(outs[0] + s, outs[1] + s) for s in ("-pk.h5", "-knee.h5")]
            print("  results bit for bit the same (pk, knee arm): %s" %
                  ", ".join("yes" if s else "NO" for s in same))


if __name__ == "__main__":
    main()
