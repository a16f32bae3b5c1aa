"""Events of the model language (docs/language.md §12) against closed forms.

Each model of tests/data/events/ is run by `synovia run` at tight tolerances and its trajectory
compared with the solution written out by hand below:
- reset.model: x' = -k x from 2, reset to 2 whenever x < 1: the resets are at n ln(2)/k, so
  x(t) = 2 exp(-k (t mod ln(2)/k));
- timed.model: a jump at t = 5 (x = (2 e^{-5k} + 3) e^{-k (t-5)} after), a parameter set to 0 at
  t = 2 (u = e^{-2 k2} after, the output that reads it follows), a delayed execution at 1 + 3,
  a transient delayed one cancelled, persistent ones executed with the values of their trigger,
  and `initially false` firing at the start;
- order.model: two simultaneous events by priority, values at the trigger vs at execution, a
  cascade at one time point;
- the result file's events/ group: every execution with its time, in the order applied;
- redose.scenario, redose.sweep: doses and events in scenario arms, and over a sweep;
- sbml_*.model: four cases of the SBML Test Suite (the shared test suites' sbml-semantic; skipped
  when it is absent) written by hand in the model language, against the case's results.
Speaks TAP.
"""
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import SkipTest, check, finish  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.join(BUILD, "release", "synovia")
DATA = os.path.join("tests", "data", "events")
tmp = tempfile.mkdtemp(prefix="synovia-events-")


def run(name, *extra):
    out = os.path.join(tmp, name + ".h5")
    subprocess.run([SYNOVIA, "run", os.path.join(DATA, name + ".model"), "-o", out,
                    "--rtol", "1e-10", "--atol", "1e-12", "--t-end", "10", "--every", "0.25",
                    *extra], check=True, stdout=subprocess.DEVNULL)
    with h5py.File(out, "r") as f:
        g = f["arms/run"]
        r = {k: g[k][()] for k in g if isinstance(g[k], h5py.Dataset)
             and k not in ("param", "param_value", "param_units")}
        if "events" in g:  # the executions, in order (docs/output-format.md)
            r["events"] = [(float(t), n.decode()) for t, n in
                           zip(g["events/time"][()], g["events/name"][()])]
        return r


def close(got, want, rtol=1e-7, atol=1e-9):
    got, want = np.asarray(got, float), np.asarray(want, float)
    bad = np.abs(got - want) > atol + rtol * np.abs(want)
    assert not bad.any(), "first mismatch at %d: %r vs %r" % (
        np.argmax(bad), got[bad][0], want[bad][0])


@check("reset: x(t) = 2 exp(-k (t mod ln2/k))")
def _():
    r = run("reset")
    k, period = 0.5, math.log(2) / 0.5
    t = r["time"]
    close(r["x"], 2 * np.exp(-k * np.mod(t, period)))


@check("reset: the result file's events/ lists each reset at n ln2/k, in order")
def _():
    ev = run("reset")["events"]
    period = math.log(2) / 0.5
    assert [n for _, n in ev] == ["reset"] * 7, ev  # 7 periods of 1.386 in 10 days
    close([t for t, _ in ev], [n * period for n in range(1, 8)], rtol=1e-8, atol=0)


@check("export --csv: events.csv holds the same executions as events/ (arm, time, event)")
def _():
    ev = run("order")["events"]
    out = os.path.join(tmp, "order_csv")
    subprocess.run([SYNOVIA, "export", os.path.join(tmp, "order.h5"), "--csv", out], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "events.csv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split(",") for line in f]
    assert rows[0] == ["arm", "time", "event"], rows[0]
    assert [(float(t), n) for a, t, n in rows[1:] if a == "run"] == ev, rows


@check("order: events/ lists the executions in the order applied (priorities, cascade, delay)")
def _():
    ev = run("order")["events"]
    assert ev == [(3.0, "plus_one"), (3.0, "doubled"), (3.0, "both"), (3.0, "both2"),
                  (4.0, "first"), (4.0, "then"), (7.0, "at_exec")], ev


@check("timed: a jump at t >= 5, a parameter set at t = 2, an output following it")
def _():
    r = run("timed")
    t, k, k2 = r["time"], 0.5, 0.2
    before = 2 * np.exp(-k * t)
    after = (2 * np.exp(-5 * k) + 3) * np.exp(-k * (t - 5))
    close(r["x"], np.where(t < 5, before, after))
    close(r["u"], np.exp(-k2 * np.minimum(t, 2)))
    close(r["half_life"], np.where(t < 2, math.log(2) / k2, math.log(2) / 1e-300), rtol=1e-12)


@check("timed: delays, a transient execution cancelled, values at the trigger")
def _():
    r = run("timed")
    t = r["time"]
    # late: +10 at 4 (from y(1) = 0); kept: y(0) + 1000 at 5; kept again (x > 1 after the jump
    # at 5) at 10 with y(5) = 10 + 1000 ... its value at its trigger, 10 + 1000; the transient
    # twins never execute (x falls below 1 first), so no 100 ever appears.
    want = np.select([t < 4, t < 5, t < 10], [0, 10, 1000], 1010)
    close(r["y"], want, rtol=0, atol=0)


@check("timed: 'initially false' fires at the start, the default does not")
def _():
    r = run("timed")
    close(r["z"], np.full_like(r["time"], 5), rtol=0, atol=0)
    close(r["zt"], np.zeros_like(r["time"]), rtol=0, atol=0)


@check("order: priorities, values at the trigger, a cascade, values at execution")
def _():
    r = run("order")
    t = r["time"]
    close(r["w"], np.where(t < 3, 1, 4), rtol=0, atol=0)     # (1 + 1) * 2, not 1 * 2 + 1
    close(r["w2"], np.where(t < 3, 1, 5), rtol=0, atol=0)    # both from w2 = 1; the last wins
    close(r["a"], np.where(t < 4, 0, 1), rtol=0, atol=0)
    close(r["b"], np.where(t < 4, 0, 7), rtol=0, atol=0)     # cascades at t = 4
    close(r["v"], np.where(t < 7, 1, 8), rtol=0, atol=0)     # b + 1 at execution (t = 7)


def redose_closed_form(t, doses, k=0.25):
    """A of redose.model: exponential decay between jumps; +4 whenever A falls below 2 after
    t = 0.5 (and at 0.5 itself, where A = 0 < 2 already), +10 at each dose."""
    jumps, a, now = [], 0.0, 0.0
    pending = sorted(doses)
    while now < t[-1]:
        cross = now + math.log(a / 2) / k if a > 2 else (0.5 if now < 0.5 else now)
        nxt = min([cross] + pending)
        a *= math.exp(-k * (nxt - now))
        now = nxt
        if pending and pending[0] == nxt:
            pending.pop(0)
            a += 10
        else:
            a += 4
        jumps.append((now, a))
        if len(jumps) > 1000:
            break
    out = []
    for ti in t:
        last = [(tj, aj) for tj, aj in jumps if tj <= ti]
        out.append(last[-1][1] * math.exp(-k * (ti - last[-1][0])) if last else 0.0)
    return np.array(out)


@check("scenario arms: doses and events together (a dose triggers, events top up)")
def _():
    out = os.path.join(tmp, "redose.h5")
    subprocess.run([SYNOVIA, "run", os.path.join(DATA, "redose.scenario"), "-o", out],
                   check=True, stdout=subprocess.DEVNULL)
    with h5py.File(out, "r") as f:
        for arm, doses in (("one bolus", [1.0]), ("two boluses", [1.0, 12.0])):
            g = f["arms"][arm]
            t = g["time"][()]
            close(g["A"][()], redose_closed_form(t, doses), rtol=1e-7)
            # A rises above 8 only at a dose (a top-up reaches 6 at most)
            close(g["hits"][()], [sum(d <= ti for d in doses) for ti in t], rtol=0, atol=0)


# the shared test suites beside the checkout (CI), or beside its parent (a worktree)
@check("a sweep over k: every sample's A(20 h) is the closed form's")
def _():
    out = os.path.join(tmp, "redose_sweep.h5")
    subprocess.run([SYNOVIA, "sweep", os.path.join(DATA, "redose.sweep"), "-o", out],
                   check=True, stdout=subprocess.DEVNULL)
    with h5py.File(out, "r") as f:
        ks = f["param_value"][:, 0]
        got = f["arms/one bolus/metric_value"][:, 0]
    assert len(ks) == 6
    want = [redose_closed_form(np.array([0.0, 20.0]), [1.0], k=k)[-1] for k in ks]
    close(got, want, rtol=1e-7)


SUITE = next((p for p in (os.path.join(up, "shared", "testsuites", "sbml-semantic", "cases")
                          for up in ("..", os.path.join("..", "..")))
              if os.path.isdir(p)), os.path.join("..", "shared", "testsuites"))


def settings(case):
    out = {}
    with open(os.path.join(SUITE, case, case + "-settings.txt")) as f:
        for line in f:
            if ":" in line:
                key, value = line.split(":", 1)
                out[key.strip()] = value.strip()
    return out


for case in ("00026", "00041", "00071", "00930"):
    @check("SBML test suite case %s, translated by hand, within the case's tolerances" % case)
    def _(case=case):
        if not os.path.isdir(os.path.join(SUITE, case)):
            raise SkipTest("the SBML test suite is not at " + SUITE)
        st = settings(case)
        dur, steps = float(st["duration"]), int(st["steps"])
        want = np.genfromtxt(os.path.join(SUITE, case, case + "-results.csv"), delimiter=",",
                             names=True)
        out = os.path.join(tmp, case + ".h5")
        subprocess.run([SYNOVIA, "run", os.path.join(DATA, "sbml_%s.model" % case), "-o", out,
                        "--t-end", repr(dur), "--every", repr(dur / steps), "--rtol", "1e-10",
                        "--atol", "1e-12"], check=True, stdout=subprocess.DEVNULL)
        with h5py.File(out, "r") as f:
            g = f["arms/run"]
            close(g["time"][()], want["time"], rtol=1e-12, atol=1e-12)
            for v in st["variables"].split(","):
                v = v.strip()
                close(g[v][()], want[v], rtol=float(st["relative"]), atol=float(st["absolute"]))


@check("info lists the events")
def _():
    out = subprocess.run([SYNOVIA, "info", os.path.join(DATA, "order.model")], check=True,
                         capture_output=True, text=True).stdout
    assert "events (7): doubled plus_one both both2 first then at_exec" in out, out


sys.exit(finish())
