#!/usr/bin/python3
"""make bench: one HIRES solve by synovia against the same solve by scipy's
LSODA (solve_ivp) and R's deSolve lsoda, each at rtol 1e-6, atol 1e-9, 201
output times over 0..321.8122, with the exact Jacobian given to all three.
Median CPU time (user+sys) per solve, in one run: three rounds, each running
every code in turn. Prints, never asserts; a peer that is not installed is
skipped, saying so (python3-scipy, r-cran-desolve). A second bench-interp (an
older build) is timed in the same rounds, for a before/after side by side.

HIRES: E. Hairer, G. Wanner, Solving Ordinary Differential Equations II
(Springer, 2nd ed. 1996), section IV.10; the same system as
tests/bench/hires.model.

    tests/bench/hires_peers.py build/release/bench-interp [OLD/bench-interp]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

T_END, N_OUT, RTOL, ATOL, RUNS, ROUNDS = 321.8122, 201, 1e-6, 1e-9, 15, 3
Y0 = [1, 0, 0, 0, 0, 0, 0, 0.0057]


def synovia_ms(bench_interp):
    """The interpreter's HIRES whole-solve median from bench-interp's output."""
    out = subprocess.run([bench_interp, "tests/bench"], capture_output=True, text=True).stdout
    block = out[out.index("HIRES"):] if "HIRES" in out else ""
    m = re.search(r"interpreter ([0-9.]+) ms", block)
    return float(m.group(1)) if m else None


def scipy_ms():
    try:
        import numpy as np
        from scipy.integrate import solve_ivp
    except ImportError:
        return None, "scipy is not installed (apt-get install python3-scipy)"

    def f(t, y):
        return [-1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007,
                1.71 * y[0] - 8.75 * y[1],
                -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4],
                8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3],
                -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6],
                -280 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6],
                280 * y[5] * y[7] - 1.81 * y[6],
                -280 * y[5] * y[7] + 1.81 * y[6]]

    def jac(t, y):
        j = np.zeros((8, 8))
        j[0, 0], j[0, 1], j[0, 2] = -1.71, 0.43, 8.32
        j[1, 0], j[1, 1] = 1.71, -8.75
        j[2, 2], j[2, 3], j[2, 4] = -10.03, 0.43, 0.035
        j[3, 1], j[3, 2], j[3, 3] = 8.32, 1.71, -1.12
        j[4, 4], j[4, 5], j[4, 6] = -1.745, 0.43, 0.43
        j[5, 3], j[5, 4], j[5, 5], j[5, 6], j[5, 7] = 0.69, 1.71, -280 * y[7] - 0.43, 0.69, -280 * y[5]
        j[6, 5], j[6, 6], j[6, 7] = 280 * y[7], -1.81, 280 * y[5]
        j[7, 5], j[7, 6], j[7, 7] = -280 * y[7], 1.81, -280 * y[5]
        return j

    times = np.linspace(0, T_END, N_OUT)
    cpu = []
    for _ in range(RUNS):
        t0 = time.process_time()
        sol = solve_ivp(f, (0, T_END), Y0, method="LSODA", t_eval=times, rtol=RTOL, atol=ATOL, jac=jac)
        cpu.append(time.process_time() - t0)
    if not sol.success:
        return None, "scipy's LSODA failed: " + sol.message
    return sorted(cpu)[len(cpu) // 2] * 1e3, None


R_SCRIPT = r"""
suppressMessages(library(deSolve))
f <- function(t, y, p) list(c(
  -1.71*y[1] + 0.43*y[2] + 8.32*y[3] + 0.0007,
  1.71*y[1] - 8.75*y[2],
  -10.03*y[3] + 0.43*y[4] + 0.035*y[5],
  8.32*y[2] + 1.71*y[3] - 1.12*y[4],
  -1.745*y[5] + 0.43*y[6] + 0.43*y[7],
  -280*y[6]*y[8] + 0.69*y[4] + 1.71*y[5] - 0.43*y[6] + 0.69*y[7],
  280*y[6]*y[8] - 1.81*y[7],
  -280*y[6]*y[8] + 1.81*y[7]))
jac <- function(t, y, p) {
  j <- matrix(0, 8, 8)
  j[1,1:3] <- c(-1.71, 0.43, 8.32); j[2,1:2] <- c(1.71, -8.75)
  j[3,3:5] <- c(-10.03, 0.43, 0.035); j[4,2:4] <- c(8.32, 1.71, -1.12)
  j[5,5:7] <- c(-1.745, 0.43, 0.43)
  j[6,4:8] <- c(0.69, 1.71, -280*y[8] - 0.43, 0.69, -280*y[6])
  j[7,6:8] <- c(280*y[8], -1.81, 280*y[6]); j[8,6:8] <- c(-280*y[8], 1.81, -280*y[6])
  j
}
y0 <- c(1, 0, 0, 0, 0, 0, 0, 0.0057)
times <- seq(0, 321.8122, length.out = 201)
# system.time counts in milliseconds: time 15 solves at once, 5 times
cpu <- sapply(1:5, function(i) {
  s <- system.time(for (k in 1:15) out <- lsoda(y0, times, f, NULL, rtol = 1e-6, atol = 1e-9,
                                                jacfunc = jac, jactype = "fullusr"))
  (s[["user.self"]] + s[["sys.self"]]) / 15
})
cat(sprintf("%.6f\n", median(cpu) * 1e3))
"""


def desolve_ms():
    if shutil.which("Rscript") is None:
        return None, "R is not installed (apt-get install r-base-core r-cran-desolve)"
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_SCRIPT)
        path = fh.name
    try:
        r = subprocess.run(["Rscript", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if r.returncode != 0:
        why = "deSolve is not installed (apt-get install r-cran-desolve)" \
            if "deSolve" in r.stderr else "Rscript failed: " + r.stderr.strip()[-200:]
        return None, why
    return float(r.stdout.strip().splitlines()[-1]), None


def median(v):
    v = sorted(x for x in v if x is not None)
    return v[len(v) // 2] if v else None


def main():
    bench_interp = sys.argv[1] if len(sys.argv) > 1 else "build/release/bench-interp"
    baseline = sys.argv[2] if len(sys.argv) > 2 else None
    print("HIRES against peers: one solve (rtol 1e-6, atol 1e-9, 201 outputs, exact Jacobian), "
          "median CPU time (user+sys) over %d rounds, each running every code in turn" % ROUNDS)
    # Rounds, each code in turn in each: a change in the machine's load hits all alike.
    runs = {"ours": [], "base": [], "scipy": [], "R": []}
    why = {}
    for _ in range(ROUNDS):
        runs["ours"].append(synovia_ms(bench_interp))
        if baseline:
            runs["base"].append(synovia_ms(baseline))
        for key, (ms, reason) in (("scipy", scipy_ms()), ("R", desolve_ms())):
            runs[key].append(ms)
            if ms is None:
                why[key] = reason
    ours, base = median(runs["ours"]), median(runs["base"])
    if ours is None:
        print("  synovia: no figure from %s" % bench_interp)
        return 1
    print("  synovia (bytecode, optimised SUNDIALS CVODE BDF): %8.3f ms" % ours)
    if baseline:
        print("  synovia, baseline %s: %8.3f ms   baseline / this: %.3f" %
              (baseline, base, base / ours) if base else "  synovia, baseline %s: no figure" % baseline)
    for key, name in (("scipy", "scipy solve_ivp LSODA"), ("R", "R deSolve lsoda")):
        ms = median(runs[key])
        if ms is None:
            print("  %s: skipped: %s" % (name, why.get(key, "no figure")))
            continue
        line = "  %-26s %8.3f ms   %s / synovia: %.1f x" % (name + ":", ms, name.split()[0], ms / ours)
        if baseline and base:
            line += " (baseline: %.1f x)" % (ms / base)
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
