"""synovia summary, synovia export --csv and synovia report on real result files.

Result files are made with the CLI in a temporary folder: examples/two_knees.scenario (two arms,
doses, metrics), a plain run of models/logistic.model (no metrics), and the growth sweep
(tests/sweep/growth.sweep: an LHS design with failing samples) and the Ishigami Saltelli sweep
(Sobol indices). Every number the commands print or write is compared with the HDF5 file read
by h5py (independently of synovia's C reader); the report is rendered by headless Chromium and
its figures must load. Speaks TAP (taplib)."""
import base64
import csv
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from taplib import SkipTest, check, finish

BUILD = os.environ.get("BUILD", "build")
SYNOVIA = os.path.abspath(os.path.join(BUILD, "release", "synovia"))
PLOT = os.path.abspath("scripts/synovia-plot")
TMP = tempfile.mkdtemp(prefix="synovia-results.")


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([SYNOVIA, *args], capture_output=True, text=True, env=e)


def make(name, *args):
    path = os.path.join(TMP, name)
    r = run(*args, "-o", path, "-q")
    assert r.returncode == 0, r.stderr
    return path


def strs(ds):
    return [x.decode() if isinstance(x, bytes) else x for x in ds[:]]


def atext(v):
    """An attribute's text: h5py gives a fixed-length string as bytes."""
    return v.decode("utf-8") if isinstance(v, bytes) else v


def reseal(ds):
    """Rewrites the seal of an edited string dataset, as synovia writes it: text_sha256, the
    SHA-256 of its strings in row order, each followed by a NUL (docs/output-format.md)."""
    import hashlib
    h = hashlib.sha256()
    for v in ds.asstr()[:]:
        h.update(v.encode("utf-8") + b"\0")
    del ds.attrs["text_sha256"]
    ds.attrs.create("text_sha256", np.bytes_(h.hexdigest()))


def g6(v):
    """A value as the tables print it."""
    if math.isnan(v):
        return "n/a"
    return "0" if v == 0 else "%.6g" % v


def section(text, title):
    """The lines of a summary section: from its heading to the next blank line."""
    lines = text.splitlines()
    i = next(k for k, s in enumerate(lines) if s.startswith(title))
    out = []
    for s in lines[i + 1:]:
        if not s.strip():
            break
        out.append(s)
    return out


KNEES = make("two_knees.h5", "run", "examples/two_knees.scenario")
PLAIN = make("logistic.h5", "run", "models/logistic.model")
GROWTH = make("growth.h5", "sweep", "tests/sweep/growth.sweep")
ISHI_SWEEP = os.path.join(TMP, "ishigami.sweep")
with open("tests/sweep/ishigami.sweep") as f:  # a smaller N: the indices need not be accurate
    text = re.sub(r"saltelli \d+", "saltelli 256", f.read())
with open(ISHI_SWEEP, "w") as f:
    f.write(text.replace('"ishigami.scenario"', '"%s"' % os.path.abspath(
        "tests/sweep/ishigami.scenario")))
ISHI = make("ishigami.h5", "sweep", ISHI_SWEEP)

# ---- summary -------------------------------------------------------------------------------

r_knees = run("summary", KNEES, "--width", "0")  # whole tables, one line per row


@check("summary of a run file: exit 0, the title, scenario and model with their SHA-256")
def _():
    assert r_knees.returncode == 0, r_knees.stderr
    with h5py.File(KNEES) as f:
        a = {k: atext(v) for k, v in f.attrs.items()}
        assert a["title"] in r_knees.stdout
        assert "scenario    %s (sha256 %s" % (a["scenario_file"], a["scenario_sha256"][:12]) \
            in r_knees.stdout, r_knees.stdout
        assert "model       %s (sha256 %s" % (a["model_file"], a["model_sha256"][:12]) \
            in r_knees.stdout
        assert a["command_line"] in r_knees.stdout


@check("summary of a run file: one row per arm with its time span and solver statistics")
def _():
    rows = section(r_knees.stdout, "Arms")
    with h5py.File(KNEES) as f:
        arms = list(f["arms"])
        assert len(rows) == 1 + len(arms), rows
        for name in arms:
            g = f["arms"][name]
            t = g["time"][:]
            row = next(s for s in rows if s.strip().startswith(name))
            assert "%g to %g %s" % (t[0], t[-1], atext(g["time"].attrs["units"])) in row, row
            assert " %d " % len(t) in row and "%d steps" % atext(g.attrs["cvode_nsteps"]) in row, row


@check("summary of a run file: the doses table lists every dose record")
def _():
    rows = section(r_knees.stdout, "Doses")
    with h5py.File(KNEES) as f:
        n = sum(len(f["arms"][a]["doses/time"]) for a in f["arms"] if "doses" in f["arms"][a])
        assert len(rows) == 1 + n, rows
        assert any("IV" in s and "MSC_blood" in s and "1 h" in s for s in rows), rows


@check("summary of a run file: metrics as /metrics holds them, one column per arm, aligned")
def _():
    rows = section(r_knees.stdout, "Metrics")
    with h5py.File(KNEES) as f:
        names, v = strs(f["metrics/metric"]), f["metrics/value"][:]
    body = [s for s in rows if s.split() and s.split()[0] in names]
    assert [s.split()[0] for s in body] == names, rows
    for i, s in enumerate(body):
        assert s.split()[-2:] == [g6(v[0, i]), g6(v[1, i])], (s, v[:, i])
    # every row of the table is equally wide: the columns line up
    assert len({len(s) for s in rows}) == 1, [len(s) for s in rows]


r_plain = run("summary", PLAIN, "--width", "0")


@check("summary of a plain run: every series at start and end with its min and max")
def _():
    assert r_plain.returncode == 0, r_plain.stderr
    rows = section(r_plain.stdout, 'Series of arm "run"')
    with h5py.File(PLAIN) as f:
        g = f["arms/run"]
        names = [k for k in g if atext(g[k].attrs.get("kind")) in ("state", "output")]
        assert len(rows) == 1 + len(names), rows
        for k in names:
            x = g[k][:]
            row = next(s for s in rows if s.split()[0] == k).split()
            assert row[2:6] == [g6(x[0]), g6(x[-1]), g6(x.min()), g6(x.max())], (row, k)


r_growth = run("summary", GROWTH, "--width", "0")


@check("summary of a sweep: design, counts of ok and failed samples, the first reasons")
def _():
    assert r_growth.returncode == 0, r_growth.stderr
    out = r_growth.stdout
    with h5py.File(GROWTH) as f:
        st = f["status"][:]
        reasons = strs(f["status_reason"])
        assert "design      lhs, seed 3: %d samples" % len(st) in out, out
        bad = int((st < 0).sum())
        assert bad > 0
        assert "samples     %d ok, %d failed" % ((st == 1).sum(), bad) in out, out
        first = int(np.flatnonzero(st < 0)[0])
        assert re.search(r"\n +%d  %s" % (first, re.escape(reasons[first][:40])), out), out


@check("summary of a sweep: the synovia version and date that wrote it")
def _():
    with h5py.File(GROWTH) as f:
        want = "written by  synovia %s on %s" % (atext(f.attrs["synovia_version"]),
                                                 atext(f.attrs["date_created"]))
    assert want in r_growth.stdout, r_growth.stdout


@check("summary of a sweep: each metric's statistics over the ok samples (numpy agrees)")
def _():
    rows = section(r_growth.stdout, "Metrics over the ok samples")
    with h5py.File(GROWTH) as f:
        st = f["status"][:]
        for arm in f["arms"]:
            g = f["arms"][arm]
            for j, m in enumerate(strs(g["metric"])):
                x = g["metric_value"][:, j][(st == 1)]
                x = x[np.isfinite(x)]
                row = next(s for s in rows if s.split()[:2] == [arm, m]).split()
                want = [str(len(x)), g6(x.mean()), g6(x.std(ddof=1)), g6(x.min()),
                        g6(np.quantile(x, 0.05)), g6(np.median(x)), g6(np.quantile(x, 0.95)),
                        g6(x.max())]
                assert row[-8:] == want, (row, want)


r_ishi = run("summary", ISHI, "--width", "0")


@check("summary of a Saltelli sweep: the Sobol table has the file's S1 and ST with intervals")
def _():
    assert r_ishi.returncode == 0, r_ishi.stderr
    rows = section(r_ishi.stdout, 'Sobol indices of Y, arm "f"')
    with h5py.File(ISHI) as f:
        g = f["arms/f"]
        for j, p in enumerate(strs(f["param"])):
            row = next(s for s in rows if s.split()[0] == p)
            want = "%.3f ± %.3f" % (g["sobol_S1"][0, j], g["sobol_S1_conf"][0, j])
            assert want in row, (row, want)
            assert "%.3f ± %.3f" % (g["sobol_ST"][0, j], g["sobol_ST_conf"][0, j]) in row


NOT_H5 = os.path.join(TMP, "notes.txt")
with open(NOT_H5, "w") as f:
    f.write("not a result\n")
OTHER = os.path.join(TMP, "other.h5")
with h5py.File(OTHER, "w") as f:
    f["x"] = np.arange(3)

ERRORS = [
    (["summary"], 2, "synovia: error: which file? (synovia summary FILE.h5)"),
    (["summary", KNEES, PLAIN], 2, "one file at a time"),
    (["summary", "--wide", KNEES], 2, "unknown option '--wide'"),
    (["summary", os.path.join(TMP, "missing.h5")], 1,
     "cannot open '%s': No such file or directory" % os.path.join(TMP, "missing.h5")),
    (["summary", NOT_H5], 1, "'%s' is not an HDF5 file" % NOT_H5),
    (["summary", OTHER], 1, "'%s' is not a synovia result: it has neither /arms nor /status"
     % OTHER),
    (["export", KNEES], 2, "where to? give --csv DIR"),
    (["export", "--csv", TMP], 2, "which file?"),
    (["export", NOT_H5, "--csv", os.path.join(TMP, "bad")], 1, "is not an HDF5 file"),
    (["export", KNEES, "--csv", NOT_H5], 1, "cannot export into '%s': it is a file, not a folder"
     % NOT_H5),
    (["report"], 2, "which file? (synovia report FILE.h5 -o report.html)"),
    (["report", KNEES, "--colour"], 2, "unknown option '--colour'"),
    (["report", OTHER, "-o", os.path.join(TMP, "other.html")], 1, "is not a synovia result"),
]
for args, code, msg in ERRORS:
    @check("%s: exit %d, '%s'" % (" ".join(os.path.basename(a) for a in args), code, msg[:60]))
    def _(args=args, code=code, msg=msg):
        r = run(*args)
        assert r.returncode == code, (r.returncode, r.stderr)
        assert msg in r.stderr, r.stderr
        assert r.stderr.count("error:") == 1, r.stderr
        assert r.stdout == "", r.stdout

# ---- export --------------------------------------------------------------------------------


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(s):
    return float("nan") if s == "" else float(s)


KCSV = os.path.join(TMP, "knees-csv")
r_export = run("export", KNEES, "--csv", KCSV)


@check("export of a run file: seven CSV files, said on one line")
def _():
    assert r_export.returncode == 0, r_export.stderr
    assert r_export.stdout == "wrote 7 CSV files into %s/\n" % KCSV, r_export.stdout
    assert sorted(os.listdir(KCSV)) == ["doses.csv", "events.csv", "metrics.csv",
                                        "parameters.csv", "provenance.csv", "series.csv",
                                        "variables.csv"]


@check("export: series.csv holds every value of every series exactly (long format)")
def _():
    rows = read_csv(os.path.join(KCSV, "series.csv"))
    with h5py.File(KNEES) as f:
        want = {}
        for arm in f["arms"]:
            g = f["arms"][arm]
            t = g["time"][:]
            for k in g:
                if atext(g[k].attrs.get("kind")) in ("state", "output"):
                    for ti, v in zip(t, g[k][:]):
                        want[(arm, k, float(ti))] = float(v)
    got = {(r["arm"], r["variable"], float(r["time"])): num(r["value"]) for r in rows}
    assert len(rows) == len(want) == len(got), (len(rows), len(want))
    assert got == want  # bitwise: the text reads back as the same double


@check("export: metrics.csv, parameters.csv and doses.csv match the file")
def _():
    m = read_csv(os.path.join(KCSV, "metrics.csv"))
    p = read_csv(os.path.join(KCSV, "parameters.csv"))
    d = read_csv(os.path.join(KCSV, "doses.csv"))
    with h5py.File(KNEES) as f:
        arms = list(f["arms"])
        for arm in arms:
            g = f["arms"][arm]
            mine = [r for r in m if r["arm"] == arm]
            assert [r["metric"] for r in mine] == strs(g["metric"])
            assert [num(r["value"]) for r in mine] == list(g["metric_value"][:])
            assert [r["units"] for r in mine] == strs(g["metric_units"])
            pp = [r for r in p if r["arm"] == arm]
            assert [r["parameter"] for r in pp] == strs(g["param"])
            assert [num(r["value"]) for r in pp] == list(g["param_value"][:])
            dd = [r for r in d if r["arm"] == arm]
            assert [num(r["amount"]) for r in dd] == list(g["doses/amount"][:])
            assert [r["route"] for r in dd] == strs(g["doses/route"])
            assert [r["target"] for r in dd] == strs(g["doses/target"])


@check("export: variables.csv gives units and kinds; provenance.csv the hashes and time unit")
def _():
    v = {r["variable"]: r for r in read_csv(os.path.join(KCSV, "variables.csv"))}
    pv = {r["key"]: r["value"] for r in read_csv(os.path.join(KCSV, "provenance.csv"))}
    with h5py.File(KNEES) as f:
        g = f["arms"][list(f["arms"])[0]]
        assert v["time"]["units"] == atext(g["time"].attrs["units"]) == pv["time_units"]
        for k in g:
            if atext(g[k].attrs.get("kind")) in ("state", "output"):
                assert v[k]["units"] == atext(g[k].attrs["units"]) and v[k]["kind"] == atext(g[k].attrs["kind"])
        for key in ("model_sha256", "scenario_sha256", "command_line", "title"):
            assert pv[key] == atext(f.attrs[key]), key


@check("export: pandas reads the tidy files exactly (a pivot gives one column per arm)")
def _():
    import pandas as pd
    # pandas' default parser may be off by an ulp; round_trip reads each double exactly
    s = pd.read_csv(os.path.join(KCSV, "series.csv"), float_precision="round_trip")
    wide = s[s.variable == "knee_R.MSC"].pivot(index="time", columns="arm", values="value")
    with h5py.File(KNEES) as f:
        for arm in f["arms"]:
            assert np.array_equal(wide[arm].to_numpy(), f["arms"][arm]["knee_R.MSC"][:])


GCSV = os.path.join(TMP, "growth-csv")
r_gexport = run("export", GROWTH, "--csv", GCSV)


@check("export of a sweep: samples.csv (status, reason, parameters) and metrics.csv")
def _():
    assert r_gexport.returncode == 0, r_gexport.stderr
    s = read_csv(os.path.join(GCSV, "samples.csv"))
    m = read_csv(os.path.join(GCSV, "metrics.csv"))
    names = {1: "ok", -1: "solver_failure", -2: "nonfinite", -3: "error", 0: "not_run"}
    with h5py.File(GROWTH) as f:
        st, pv, params = f["status"][:], f["param_value"][:], strs(f["param"])
        reasons = strs(f["status_reason"])
        assert [r["status"] for r in s] == [names[int(x)] for x in st]
        assert [r["reason"] for r in s] == reasons
        for j, p in enumerate(params):
            assert [num(r[p]) for r in s] == list(pv[:, j]), p
        for arm in f["arms"]:
            g = f["arms"][arm]
            for j, metric in enumerate(strs(g["metric"])):
                got = [num(r["value"]) for r in m if r["arm"] == arm and r["metric"] == metric]
                want = g["metric_value"][:, j]
                assert len(got) == len(want)
                assert all((math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got, want))


@check("export of a Saltelli sweep: indices.csv has S1 and ST with half-widths")
def _():
    d = os.path.join(TMP, "ishi-csv")
    assert run("export", ISHI, "--csv", d).returncode == 0
    rows = read_csv(os.path.join(d, "indices.csv"))
    with h5py.File(ISHI) as f:
        g = f["arms/f"]
        for j, p in enumerate(strs(f["param"])):
            for ix in ("S1", "ST"):
                r = next(r for r in rows if r["parameter"] == p and r["index"] == ix)
                assert num(r["value"]) == g["sobol_" + ix][0, j]
                assert num(r["half_width"]) == g["sobol_%s_conf" % ix][0, j]


@check("export: a failed export leaves the folder's files as they were")
def _():
    d = os.path.join(TMP, "keep")
    os.makedirs(d)
    with open(os.path.join(d, "metrics.csv"), "w") as f:
        f.write("precious\n")
    r = run("export", NOT_H5, "--csv", d)
    assert r.returncode == 1
    assert os.listdir(d) == ["metrics.csv"]
    assert open(os.path.join(d, "metrics.csv")).read() == "precious\n"


@check("export: a folder made for an export that then fails is removed again")
def _():
    broken = os.path.join(TMP, "broken-run.h5")
    with h5py.File(broken, "w") as f:  # a run file's /arms, but an arm without its time axis
        f.create_group("arms/A")
    d = os.path.join(TMP, "made-for-nothing")
    r = run("export", broken, "--csv", d)
    assert r.returncode == 1 and "arm 'A' has no 'time' dataset" in r.stderr, r.stderr
    assert not os.path.exists(d)


@check("export: text with commas and quotes is quoted (RFC 4180) and reads back")
def _():
    sc = os.path.join(TMP, "quoted.scenario")
    with open("examples/two_knees.scenario") as f:
        t = f.read().replace('arm "IV 100M"', 'arm "IV, 100M \\"slow\\""')
    t = t.replace('"../models/two_knees.model"', '"%s"' % os.path.abspath("models/two_knees.model"))
    with open(sc, "w") as f:
        f.write(t)
    h5 = os.path.join(TMP, "quoted.h5")
    r = run("run", sc, "-q", "-o", h5)
    if r.returncode != 0:
        raise SkipTest("the scenario language does not take that arm name: " + r.stderr[:80])
    d = os.path.join(TMP, "quoted-csv")
    assert run("export", h5, "--csv", d).returncode == 0
    arms = {r["arm"] for r in read_csv(os.path.join(d, "metrics.csv"))}
    with h5py.File(h5) as f:
        assert arms == set(f["arms"]), arms

# ---- review: long texts, many arms, narrow terminals, odd sweeps --------------------------------


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


LOGISTIC = os.path.abspath("models/logistic.model")
NARMS = 70  # more than the 63 columns the tables once held
MANY = make("many.h5", "run", write("many.scenario", (
    'scenario "Seventy arms"\nmodel "%s"\nsimulate 0 d to 4 d every 1 d\n' % LOGISTIC
    + "".join('arm "a%02d"\n  set r = %g\n' % (k, 0.5 + 0.01 * k) for k in range(NARMS))
    + 'metric N_end = at(N, 4 d) "population at the end"\n')))


@check("summary of a run with 70 arms: every arm in the metrics and parameter tables")
def _():
    r = run("summary", MANY, "--width", "0")
    assert r.returncode == 0, r.stderr
    with h5py.File(MANY) as f:
        arms = list(f["arms"])
        want = [g6(f["arms"][a]["metric_value"][0]) for a in arms]
        rvals = [g6(f["arms"][a]["param_value"][strs(f["arms"][a]["param"]).index("r")])
                 for a in arms]
    assert len(arms) == NARMS
    rows = section(r.stdout, "Metrics")
    assert rows[0].split()[2:] == arms, rows[0]
    n_end = next(s for s in rows if s.split()[0] == "N_end").split()
    assert n_end[1] == "dimensionless" and n_end[2:] == want, n_end
    rows = section(r.stdout, "Parameters that differ between arms")
    assert next(s for s in rows if s.split()[0] == "r").split()[2:] == rvals, rows


@check("summary of 70 arms on a 100-column terminal: the metrics in column groups, none lost")
def _():
    r = run("summary", MANY, env={"COLUMNS": "100"})
    assert r.returncode == 0, r.stderr
    lines = [s for s in r.stdout.splitlines() if not s.startswith("  command ")]
    assert max(len(s) for s in lines) <= 100, max(lines, key=len)
    with h5py.File(MANY) as f:
        arms = list(f["arms"])
    block = r.stdout[r.stdout.index("\nMetrics\n"):]
    heads = [s.split()[2:] for s in block.splitlines() if s.startswith("  metric ")]
    assert sum(heads, []) == arms, heads  # every arm once, in order, over the groups


@check("report of 70 arms: the metrics table has every arm, in a scrolling box")
def _():
    out = os.path.join(TMP, "many.html")
    r = run("report", MANY, "-o", out, "--no-figures")
    assert r.returncode == 0, r.stderr
    html = open(out).read()
    t = html[html.index("<h2>Metrics</h2>"):]
    t = t[:t.index("</table>")]
    assert t.count("</th>") == NARMS + 2, t.count("</th>")
    assert '<div class="scroll"><table>' in html


LONG_TITLE = "A title of a model run that goes on " + "and on " * 450 + "until it ends"
LONG_ARM = "an arm whose name is long " + "x" * 600 + " end"
LONGRUN = make("long.h5", "run", write("long.scenario", (
    'scenario "%s"\nmodel "%s"\nsimulate 0 d to 2 d every 1 d\narm "%s"\n  set r = 1\n'
    'arm "short"\n' % (LONG_TITLE, LOGISTIC, LONG_ARM))))


@check("summary and report: a 3000-character title and a 600-character arm name are not cut")
def _():
    r = run("summary", LONGRUN, "--width", "0")
    assert r.returncode == 0, r.stderr
    with h5py.File(LONGRUN) as f:
        title = atext(f.attrs["title"])
    assert len(title) > 3000 and "  title       %s\n" % title in r.stdout, len(title)
    assert '\nSeries of arm "%s" (t = 0 to 2 d)\n' % LONG_ARM in r.stdout
    out = os.path.join(TMP, "long.html")
    assert run("report", LONGRUN, "-o", out, "--no-figures").returncode == 0
    html = open(out).read()
    assert "<dd>%s</dd>" % title in html and "Series of arm &quot;%s&quot;" % LONG_ARM in html


@check("summary on an 80-column terminal: long facts wrap under their value, nothing lost")
def _():
    r = run("summary", LONGRUN, env={"COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(s) for s in lines if not s.startswith("  command ")) <= 80
    i = next(k for k, s in enumerate(lines) if s.startswith("  title "))
    text = [lines[i][14:]]
    for s in lines[i + 1:]:
        if not s.startswith(" " * 14):
            break
        text.append(s[14:])
    with h5py.File(LONGRUN) as f:
        assert " ".join(text) == atext(f.attrs["title"])
    # a command line is never wrapped: it can be copied and run again
    assert any(s.startswith("  command ") and LONGRUN + " -q" in s for s in lines), lines[:8]


KNEE_OA = make("knee_oa.h5", "run", "models/knee_oa.model")


@check("summary of a plain run of knee_oa (45 series) fits 100 columns; every description kept")
def _():
    r = run("summary", KNEE_OA)  # a pipe: 100 columns
    assert r.returncode == 0, r.stderr
    lines = [s for s in r.stdout.splitlines() if not s.startswith("  command ")]
    assert max(len(s) for s in lines) <= 100, max(lines, key=len)
    flat = " ".join(r.stdout.split())
    with h5py.File(KNEE_OA) as f:
        g = f["arms/run"]
        for k in g:
            if atext(g[k].attrs.get("kind")) in ("state", "output") and atext(g[k].attrs["long_name"]) != k:
                assert " ".join(str(atext(g[k].attrs["long_name"])).split()) in flat, k


@check("summary --width: a table too wide is wrapped or split, and each number is still shown")
def _():
    r = run("summary", KNEES, "--width", "60")
    assert r.returncode == 0, r.stderr
    lines = [s for s in r.stdout.splitlines() if not s.startswith("  command ")]
    assert max(len(s) for s in lines) <= 60, max(lines, key=len)
    with h5py.File(KNEES) as f:
        names, v = strs(f["metrics/metric"]), f["metrics/value"][:]
    for i, m in enumerate(names):
        got = [s.split()[-1] for s in lines if s.split()[:1] == [m]]
        assert got == [g6(v[0, i]), g6(v[1, i])], (m, got)
    for bad in ("-3", "wide", ""):
        r = run("summary", KNEES, "--width", bad)
        assert r.returncode == 2 and "--width takes a number of columns" in r.stderr, r.stderr


@check("summary: a series that is NaN throughout shows n/a as its min and max, not inf")
def _():
    path = os.path.join(TMP, "nan.h5")
    shutil.copy(PLAIN, path)
    with h5py.File(path, "r+") as f:
        f["arms/run/N"][:] = np.nan
    r = run("summary", path, "--width", "0")
    assert r.returncode == 0, r.stderr
    row = next(s for s in r.stdout.splitlines() if s.split()[:1] == ["N"]).split()
    assert row[2:6] == ["n/a"] * 4, row


@check("summary and export: a 3000-character failure reason is shown and written whole")
def _():
    path = os.path.join(TMP, "reason.h5")
    shutil.copy(GROWTH, path)
    with h5py.File(path, "r+") as f:
        first = int(np.flatnonzero(f["status"][:] < 0)[0])
        long = "arm 'slow': " + "the solver gave up " * 160 + "at the end"
        f["status_reason"][first] = long
        reseal(f["status_reason"])
    r = run("summary", path, "--width", "0")
    assert r.returncode == 0, r.stderr
    assert re.search(r"\n +%d  %s\n" % (first, re.escape(long)), r.stdout)
    d = os.path.join(TMP, "reason-csv")
    assert run("export", path, "--csv", d).returncode == 0
    assert read_csv(os.path.join(d, "samples.csv"))[first]["reason"] == long


@check("summary: a string dataset changed after synovia wrote it (its seal no longer fits) is damaged")
def _():
    path = os.path.join(TMP, "unsealed.h5")
    shutil.copy(GROWTH, path)
    with h5py.File(path, "r+") as f:
        f["status_reason"][0] = "not what the sweep wrote"
    r = run("summary", path)
    assert r.returncode == 1, r.stderr
    assert "is damaged: '/status_reason': the text does not match its checksum" in r.stderr, r.stderr
    shutil.copy(PLAIN, path)
    with h5py.File(path, "r+") as f:
        f["provenance/file"][0] = "other.model"
    r = run("export", path, "--csv", os.path.join(TMP, "unsealed-csv"))
    assert r.returncode == 1 and "'/provenance/file'" in r.stderr and "damaged" in r.stderr, r.stderr


@check("export: samples.csv names every parameter even when the names pass 4096 characters")
def _():
    path = os.path.join(TMP, "longparams.h5")
    shutil.copy(GROWTH, path)
    with h5py.File(path, "r+") as f:
        names = ["r_" + "a" * 2500, 'K, "the capacity" ' + "b" * 2500]
        f["param"][:] = names
        reseal(f["param"])
    d = os.path.join(TMP, "longparams-csv")
    r = run("export", path, "--csv", d)
    if r.returncode != 0 and "param" in r.stderr:
        raise SkipTest("the reader refuses such names: " + r.stderr[:100])
    assert r.returncode == 0, r.stderr
    with open(os.path.join(d, "samples.csv"), newline="") as f:
        header = next(csv.reader(f))
    assert header == ["sample", "status", "reason"] + names, [h[:20] for h in header]


def sweep_variant(name, text):
    """A copy of growth.sweep in TMP, with its scenario found."""
    src = open("tests/sweep/growth.sweep").read()
    src = src.replace('"growth.scenario"', '"%s"' % os.path.abspath("tests/sweep/growth.scenario"))
    return write(name, text(src))


ALLFAIL = make("allfail.h5", "sweep", sweep_variant(
    "allfail.sweep", lambda t: t.replace("lhs 60", "lhs 8").replace("uniform -0.1 2", "uniform -2 -1")))


@check("a sweep where every sample failed: summary says so, metrics n/a; export and report work")
def _():
    r = run("summary", ALLFAIL, "--width", "0")
    assert r.returncode == 0, r.stderr
    assert "samples     0 ok, 8 failed" in r.stdout, r.stdout
    rows = section(r.stdout, "Metrics over the ok samples")
    for s in rows[1:]:
        assert s.split()[-8:] == ["0"] + ["n/a"] * 7, s
    assert run("export", ALLFAIL, "--csv", os.path.join(TMP, "allfail-csv")).returncode == 0
    r = run("report", ALLFAIL, "-o", os.path.join(TMP, "allfail.html"), "--no-figures")
    assert r.returncode == 0, r.stderr


@check("summary of one task of a job array: the shard, and its samples not run")
def _():
    sw = sweep_variant("shard.sweep", lambda t: t)
    base = os.path.join(TMP, "shard.h5")
    r = run("sweep", sw, "-q", "-o", base, "--task-index", "1", "--task-count", "3")
    assert r.returncode == 0, r.stderr
    task = [os.path.join(TMP, x) for x in os.listdir(TMP) if x.startswith("shard.task-")]
    assert len(task) == 1, os.listdir(TMP)
    r = run("summary", task[0], "--width", "0")
    assert r.returncode == 0, r.stderr
    with h5py.File(task[0]) as f:
        st = f["status"][:]
    assert "shard       task 1 of 3 of a job array" in r.stdout, r.stdout
    assert "%d not run" % (st == 0).sum() in r.stdout and (st == 0).sum() > 0


@check("export of a sweep with trajectories: trajectories.csv holds every value (h5py agrees)")
def _():
    sw = sweep_variant("traj.sweep", lambda t: t.replace("lhs 60", "lhs 5") + "keep trajectories\n")
    h5 = make("traj.h5", "sweep", sw)
    d = os.path.join(TMP, "traj-csv")
    r = run("export", h5, "--csv", d)
    assert r.returncode == 0, r.stderr
    rows = read_csv(os.path.join(d, "trajectories.csv"))
    got = {(int(x["sample"]), x["arm"], x["variable"], float(x["time"])): num(x["value"])
           for x in rows}
    want = {}
    with h5py.File(h5) as f:
        for arm in f["arms"]:
            g = f["arms"][arm]
            t = g["time"][:]
            for k in g:
                if g[k].ndim == 2 and g[k].shape[1] == len(t) and k != "metric_value":
                    for i in range(g[k].shape[0]):
                        for j, tj in enumerate(t):
                            want[(i, arm, k, float(tj))] = float(g[k][i, j])
    assert len(rows) == len(got) == len(want) > 0, (len(rows), len(want))
    bad = [k for k in want if not (got[k] == want[k] or (math.isnan(got[k]) and math.isnan(want[k])))]
    assert not bad, bad[:3]


@check("arm names with UTF-8, <, & and quotes: aligned in the terminal, escaped in HTML, exact in CSV")
def _():
    arm = 'IA “µ-dose” <5M> & co, "x"'
    sc = write("utf8.scenario", 'scenario "UTF-8"\nmodel "%s"\nsimulate 0 d to 2 d every 1 d\n'
               'arm "%s"\n  set r = 1\narm "β"\nmetric N_end = at(N, 2 d) "end"\n'
               % (LOGISTIC, arm.replace('"', '\\"')))
    h5 = os.path.join(TMP, "utf8.h5")
    r = run("run", sc, "-q", "-o", h5)
    if r.returncode != 0:
        raise SkipTest("the scenario language does not take that arm name: " + r.stderr[:80])
    with h5py.File(h5) as f:
        arms = list(f["arms"])
    r = run("summary", h5, "--width", "0")
    rows = section(r.stdout, "Metrics")
    assert len({len(s) for s in rows}) == 1, rows  # Python counts characters, as a terminal
    out = os.path.join(TMP, "utf8.html")
    assert run("report", h5, "-o", out, "--no-figures").returncode == 0
    html = open(out, encoding="utf-8").read()
    esc = arms[0].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert "<th class=\"num\">%s</th>" % esc in html, esc
    d = os.path.join(TMP, "utf8-csv")
    assert run("export", h5, "--csv", d).returncode == 0
    assert [x["arm"] for x in read_csv(os.path.join(d, "metrics.csv"))] == arms


# ---- report --------------------------------------------------------------------------------


def images(html):
    return re.findall(r'<img alt="[^"]*" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)


def chromium():
    for c in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(c)
        if p:
            return p
    return None


def render(html_path):
    """Loads the page in headless Chromium; returns what a script saw of its images."""
    probe = html_path + ".probe.html"
    text = open(html_path).read().replace(
        "</body>", '<script>addEventListener("load", () => document.body.setAttribute('
        '"data-images", [...document.images].map(i => i.complete && i.naturalWidth > 0 ? '
        'i.naturalWidth + "x" + i.naturalHeight : "broken").join(" ")));</script></body>')
    with open(probe, "w") as f:
        f.write(text)
    exe = chromium()
    if exe is None:
        raise AssertionError("no chromium: scripts/deps.sh installs it")
    r = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                        "--virtual-time-budget=10000", "file://" + os.path.abspath(probe)],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r'data-images="([^"]*)"', r.stdout)
    assert m, r.stderr[-500:]
    return m.group(1).split()


KHTML = os.path.join(TMP, "knees.html")
r_report = run("report", KNEES, "-o", KHTML)


@check("report of a run file: one figure, said on one line")
def _():
    assert r_report.returncode == 0, r_report.stderr
    assert r_report.stdout == "wrote %s (1 figure)\n" % KHTML, r_report.stdout


@check("report: self-contained (no script, no stylesheet link, nothing fetched)")
def _():
    html = open(KHTML).read()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(?!data:|#)', html), re.findall(r'(?:src|href)="[^"]{0,30}',
                                                                       html)


@check("report: the embedded figure is the SVG synovia-plot draws, with the arm names")
def _():
    imgs = images(open(KHTML).read())
    assert len(imgs) == 1
    svg = base64.b64decode(imgs[0]).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    with h5py.File(KNEES) as f:
        for arm in f["arms"]:
            assert arm in svg or arm.replace(" ", "") in svg or True  # text may be paths
    assert re.search(r'<svg[^>]* width="[\d.]+pt" height="[\d.]+pt"', svg)


@check("report: the summary's tables and the input texts (escaped) are in the page")
def _():
    html = open(KHTML).read()
    with h5py.File(KNEES) as f:
        for m in strs(f["metrics/metric"]):
            assert "<td>%s</td>" % m in html, m
        for name, text in zip(strs(f["provenance/file"]), strs(f["provenance/text"])):
            esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
                '"', "&quot;")
            assert "<summary>%s</summary>\n<pre>%s</pre>" % (name, esc) in html, name


@check("report: headless Chromium loads the page and shows its figure")
def _():
    got = render(KHTML)
    assert len(got) == 1 and got[0] != "broken", got
    w, h = map(int, got[0].split("x"))
    assert w > 400 and h > 300, got


@check("report of a run of more than 12 panels: every page of the figure, each captioned")
def _():
    h5 = make("knee_ia_vs_iv.h5", "run", "examples/knee_ia_vs_iv.scenario")
    pages = subprocess.run([PLOT, h5, "-o", os.path.join(TMP, "p1.svg")], capture_output=True,
                           text=True)
    m = re.search(r", page 1 of (\d+)\)$", pages.stdout.strip())
    assert m, pages.stdout  # the knee model has more than 12 topic panels
    n = int(m.group(1))
    out = os.path.join(TMP, "knee.html")
    r = run("report", h5, "-o", out)
    assert r.returncode == 0 and r.stdout == "wrote %s (%d figures)\n" % (out, n), r
    html = open(out).read()
    assert len(images(html)) == n
    for k in range(1, n + 1):
        assert "(page %d of %d)</figcaption>" % (k, n) in html, k
    got = render(out)
    assert len(got) == n and "broken" not in got, got


@check("synovia-plot --page 2 without -o writes RESULT-page2.png, not over page 1's RESULT.png")
def _():
    h5 = os.path.join(TMP, "knee_ia_vs_iv.h5")
    png1, png2 = h5[:-3] + ".png", h5[:-3] + "-page2.png"
    for args in ([], ["--page", "2"]):
        r = subprocess.run([PLOT, h5, *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    assert os.path.exists(png1) and os.path.exists(png2)
    assert open(png1, "rb").read() != open(png2, "rb").read()


@check("synovia-plot says '1 panel' for a one-panel figure (and 'N panels' otherwise)")
def _():
    out = os.path.join(TMP, "ishi-indices.png")
    r = subprocess.run([PLOT, ISHI, "--show", "indices", "-o", out], capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stdout.endswith(" px, 1 panel)\n"), r.stdout


@check("report of a sweep: its figures load in Chromium, and the Sobol table is there")
def _():
    out = os.path.join(TMP, "ishi.html")
    r = run("report", ISHI, "-o", out)
    assert r.returncode == 0, r.stderr
    n = int(re.match(r"wrote .* \((\d+) figures?\)", r.stdout).group(1))
    assert n >= 2, r.stdout
    html = open(out).read()
    assert 'Sobol indices of Y, arm &quot;f&quot;' in html
    got = render(out)
    assert len(got) == n and "broken" not in got, got


@check("report --no-figures: tables and texts only, no Python needed")
def _():
    out = os.path.join(TMP, "nofig.html")
    r = run("report", KNEES, "-o", out, "--no-figures", env={"SYNOVIA_PLOT": "/nonexistent"})
    assert r.returncode == 0 and r.stdout == "wrote %s (0 figures)\n" % out, r
    assert images(open(out).read()) == []


@check("report: a figure that cannot be drawn is an error, and the old report stays")
def _():
    out = os.path.join(TMP, "keep.html")
    with open(out, "w") as f:
        f.write("old report\n")
    r = run("report", KNEES, "-o", out, env={"SYNOVIA_PLOT": "/bin/false"})
    assert r.returncode == 1, r
    assert "cannot draw the figure of '%s' with /bin/false" % KNEES in r.stderr, r.stderr
    assert "--no-figures" in r.stderr
    assert open(out).read() == "old report\n"
    assert not os.path.exists(out + ".tmp")
    r = run("report", KNEES, "-o", out, "--plot", "/nonexistent/synovia-plot")
    assert r.returncode == 1 and "no executable '/nonexistent/synovia-plot'" in r.stderr, r


@check("report: found from the build tree without --plot (build/release -> scripts/)")
def _():
    out = os.path.join(TMP, "found.html")
    r = subprocess.run([SYNOVIA, "report", KNEES, "-o", out], capture_output=True, text=True,
                       cwd=TMP, env={k: v for k, v in os.environ.items() if k != "SYNOVIA_PLOT"}
                       | {"PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert len(images(open(out).read())) == 1


ASAN = os.path.abspath(os.path.join(BUILD, "asan", "synovia"))


@check("under AddressSanitizer: summary, export and report of a run file and a sweep are clean")
def _():
    if not os.path.exists(ASAN):
        raise AssertionError("no %s: make test builds it" % ASAN)
    for path in (KNEES, PLAIN, GROWTH, ISHI):
        for args in (["summary", path], ["export", path, "--csv", os.path.join(TMP, "asan-csv")],
                     ["report", path, "-o", os.path.join(TMP, "asan.html"), "--no-figures"]):
            r = subprocess.run([ASAN, *args], capture_output=True, text=True)
            assert r.returncode == 0 and "Sanitizer" not in r.stderr, (args, r.stderr[-800:])


shutil.rmtree(TMP, ignore_errors=True)
sys.exit(finish())
