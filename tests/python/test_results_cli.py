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

r_knees = run("summary", KNEES)


@check("summary of a run file: exit 0, the title, scenario and model with their SHA-256")
def _():
    assert r_knees.returncode == 0, r_knees.stderr
    with h5py.File(KNEES) as f:
        a = f.attrs
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
            assert "%g to %g %s" % (t[0], t[-1], g["time"].attrs["units"]) in row, row
            assert " %d " % len(t) in row and "%d steps" % g.attrs["cvode_nsteps"] in row, row


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


r_plain = run("summary", PLAIN)


@check("summary of a plain run: every series at start and end with its min and max")
def _():
    assert r_plain.returncode == 0, r_plain.stderr
    rows = section(r_plain.stdout, 'Series of arm "run"')
    with h5py.File(PLAIN) as f:
        g = f["arms/run"]
        names = [k for k in g if g[k].attrs.get("kind") in ("state", "output")]
        assert len(rows) == 1 + len(names), rows
        for k in names:
            x = g[k][:]
            row = next(s for s in rows if s.split()[0] == k).split()
            assert row[2:6] == [g6(x[0]), g6(x[-1]), g6(x.min()), g6(x.max())], (row, k)


r_growth = run("summary", GROWTH)


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


r_ishi = run("summary", ISHI)


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


@check("export of a run file: six CSV files, said on one line")
def _():
    assert r_export.returncode == 0, r_export.stderr
    assert r_export.stdout == "wrote 6 CSV files into %s/\n" % KCSV, r_export.stdout
    assert sorted(os.listdir(KCSV)) == ["doses.csv", "metrics.csv", "parameters.csv",
                                        "provenance.csv", "series.csv", "variables.csv"]


@check("export: series.csv holds every value of every series exactly (long format)")
def _():
    rows = read_csv(os.path.join(KCSV, "series.csv"))
    with h5py.File(KNEES) as f:
        want = {}
        for arm in f["arms"]:
            g = f["arms"][arm]
            t = g["time"][:]
            for k in g:
                if g[k].attrs.get("kind") in ("state", "output"):
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
        assert v["time"]["units"] == g["time"].attrs["units"] == pv["time_units"]
        for k in g:
            if g[k].attrs.get("kind") in ("state", "output"):
                assert v[k]["units"] == g[k].attrs["units"] and v[k]["kind"] == g[k].attrs["kind"]
        for key in ("model_sha256", "scenario_sha256", "command_line", "title"):
            assert pv[key] == f.attrs[key], key


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
