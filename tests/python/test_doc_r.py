#!/usr/bin/python3
"""synovia — runs every ```r block of docs/output-format.md ("Reading results",
R) with Debian's R (r-base-core, r-bioc-rhdf5, r-cran-hdf5r, r-cran-ncdf4) on
files written by the synovia program, and checks what each block read against
the same files read with h5py.

The files are those of tests/python/test_doc_output_format.py (two_knees.h5,
decay.h5, growth.h5 with failed samples, ishigami.h5), made by the same code.
Each block runs as its own `Rscript --vanilla` process, as a reader would run
it, followed by a dumper that writes every variable the block left (vectors,
matrices with their dimnames, data frames) to a file; the checks below read
that dump. A block must exit 0 and print no warning or error (a crash, e.g.
rhdf5 or ncdf4 on a NULL string, fails it), and EXPECT must have one check per
block, in order.

Where R or one of the packages is missing, the blocks are skipped (TAP
"# SKIP" with the reason). Prints TAP; exits non-zero on failure.
Run: BUILD=build-of /usr/bin/python3 tests/python/test_doc_r.py
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import SkipTest, check, finish  # noqa: E402
from test_doc_output_format import DOC, SYNOVIA, arms_of, make_files, read  # noqa: E402

RSCRIPT = shutil.which("Rscript")
PACKAGES = {"library(rhdf5)": "rhdf5 (r-bioc-rhdf5)", "library(hdf5r)": "hdf5r (r-cran-hdf5r)",
            "library(ncdf4)": "ncdf4 (r-cran-ncdf4)"}

# Every variable of the global environment into $SYN_DUMP: records separated
# by \x1e, fields (name, type, dims, values) by \x1d, values by \x1f; numbers
# with 17 significant digits (exact), matrices column-major as R holds them.
DUMPER = r"""
local({
  out <- file(Sys.getenv("SYN_DUMP"), "w", encoding = "UTF-8")
  put <- function(name, v) {
    if (is.factor(v)) v <- as.character(v)
    if (is.null(v) || !is.atomic(v)) return(invisible())
    type <- if (is.character(v)) "chr" else "num"
    vals <- if (is.character(v)) ifelse(is.na(v), "\x02NA", v)
            else formatC(as.numeric(v), digits = 17, format = "g")
    d <- if (is.null(dim(v))) length(v) else dim(v)
    cat(name, type, paste(d, collapse = ","), paste(vals, collapse = "\x1f"), sep = "\x1d",
        file = out)
    cat("\x1e", file = out)
  }
  for (n in ls(globalenv())) {
    v <- get(n, envir = globalenv())
    if (is.data.frame(v)) {
      for (col in names(v)) put(paste0(n, "$", col), v[[col]])
      put(paste0(n, "@rownames"), rownames(v))
      next
    }
    if (!is.atomic(v)) next
    put(n, v)
    if (!is.null(names(v))) put(paste0(n, "@names"), names(v))
    dn <- dimnames(v)
    for (k in seq_along(dn)) if (!is.null(dn[[k]])) put(paste0(n, "@dimnames", k), dn[[k]])
  }
  close(out)
})
"""


def parse_dump(path):
    """{name: list of str (chr) or numpy array (num, in R's shape)}."""
    import numpy as np
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = {}
    for rec in text.split("\x1e"):
        if not rec:
            continue
        name, kind, dims, vals = rec.split("\x1d")
        dims = [int(d) for d in dims.split(",")]
        items = vals.split("\x1f") if vals != "" or dims[-1:] != [0] else []
        if kind == "chr":
            out[name] = [None if v == "\x02NA" else v for v in items]
        else:
            nums = [float("nan") if v in ("NA", "NaN") else float(v) for v in items]
            arr = np.array(nums, dtype=float)
            out[name] = arr.reshape(dims, order="F") if len(dims) > 1 else arr
    return out


def run_program(argv, code, tmp, stem, dumper, env_extra=None):
    """Runs block + dumper; returns (stdout, variables). Fails on a non-zero
    exit or on a warning or error in the output."""
    src = os.path.join(tmp, stem + ".src")
    dump = os.path.join(tmp, stem + ".dump")
    with open(src, "w", encoding="utf-8") as f:
        f.write(code + "\n" + dumper)
    env = dict(os.environ, SYN_DUMP=dump, LC_ALL="C.UTF-8")
    env.update(env_extra or {})
    proc = subprocess.run(argv + [src], cwd=tmp, capture_output=True, text=True, env=env,
                          timeout=600)
    return proc, dump


def noise(text, allowed=()):
    """Lines that say warning or error, but for the allowed ones."""
    bad = []
    for line in text.splitlines():
        if re.search(r"warn|error|segfault|abort", line, re.I) and not any(
                a in line for a in allowed):
            bad.append(line)
    return bad


def run_r(i, code, tmp):
    proc, dump = run_program([RSCRIPT, "--vanilla"], code, tmp, "block_%d" % i, DUMPER)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise AssertionError("block %d failed (exit %d):\n%s" % (i, proc.returncode, out[-3000:]))
    bad = noise(out)
    assert not bad, "block %d printed:\n%s" % (i, "\n".join(bad))
    return proc.stdout, parse_dump(dump)


def missing_package(code):
    for lib, name in PACKAGES.items():
        if lib in code:
            probe = subprocess.run([RSCRIPT, "--vanilla", "-e", "suppressMessages(%s)" % lib],
                                   capture_output=True, text=True)
            if probe.returncode != 0:
                return "R package %s is not installed" % name
    return None


# ---- the truth, read with h5py ----------------------------------------------------------

def h5(path):
    import h5py
    return h5py.File(path, "r")


def strs(d):
    return list(d.asstr()[:])


def assert_array(got, want, what):
    import numpy as np
    want = np.asarray(want, dtype=float)
    got = np.asarray(got, dtype=float)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    assert same.all(), (what, got[~same][:5], want[~same][:5])


def check_rhdf5_run(out, v, tmp):
    with h5(os.path.join(tmp, "two_knees.h5")) as f:
        arms = strs(f["metrics/arm"])
        assert arms == list(f["arms"]) == arms_of(read("examples/two_knees.scenario"))
        g = f["arms/IV 100M"]
        assert v["arms"] == arms
        assert_array(v["hours"], g["time"][:], "hours")
        assert_array(v["msc"], g["knee_R.MSC"][:], "msc")
        assert v["units"] == [g["knee_R.MSC"].attrs["units"].decode()] == ["cells"]
        assert v["params@names"] == strs(g["param"])
        assert_array(v["params"], g["param_value"][:], "params")
        d = g["doses"]
        assert_array(v["doses$time"], d["time"][:], "dose time")
        assert_array(v["doses$amount"], d["amount"][:], "dose amount")
        assert v["doses$units"] == strs(d["units"]) and v["doses$route"] == strs(d["route"])
        assert_array(v["metrics"], f["metrics/value"][:], "metrics")   # arm x metric after t()
        assert v["metrics@dimnames1"] == arms
        assert v["metrics@dimnames2"] == strs(f["metrics/metric"])
        assert v["sha"] == [f.attrs["model_sha256"].decode()]
        assert v["scenario"] == [f["provenance/text"].asstr()[0]]
        assert "knee_R.MSC" in v["tree$name"]
    assert out.startswith("cells 113 points; %s \n" % ", ".join(arms)), out


def growth(tmp):
    f = h5(os.path.join(tmp, "growth.h5"))
    return f


def check_rhdf5_sweep(out, v, tmp):
    import numpy as np
    with growth(tmp) as f:
        X, status = f["param_value"][:], f["status"][:]
        reasons = strs(f["status_reason"])
        assert "" in reasons and (status < 0).any()
        assert_array(v["X"], X, "X")
        assert_array(v["Xn"], X, "X native")
        assert v["X@dimnames2"] == strs(f["param"]) == ["r", "K"]
        assert_array(v["status"], status, "status")
        assert v["reason"] == reasons
        assert all((r == "") == (s >= 0) for r, s in zip(reasons, status))
        assert v["arms"] == list(f["arms"]) == ["slow", "fast", "fast - slow"]
        g = f["arms/fast - slow"]
        assert_array(v["Y"], g["metric_value"][:], "Y")
        assert v["Y@dimnames2"] == strs(g["metric"])
        assert_array(v["df$sample"], f["sample"][:], "sample")
        assert len(v["ok@rownames"]) == int((status == 1).sum())
        assert_array(v["N"], f["arms/fast/N"][:], "N")
        assert_array([float(t) for t in v["N@dimnames2"]], f["arms/fast/time"][:], "days")
        first_failed = reasons[int(np.argmax(status < 0))]
    with h5(os.path.join(tmp, "ishigami.h5")) as s:
        assert_array(v["S1"], s["arms/f/sobol_S1"][:].T, "S1")      # param x metric
        assert v["S1@dimnames1"] == strs(s["param"])
        assert v["S1@dimnames2"] == strs(s["arms/f/metric"])
    assert out == "%d ok; %s \n" % ((status == 1).sum(), first_failed), out


def check_hdf5r(out, v, tmp):
    with growth(tmp) as f:
        written = list(f["arms"])
        assert v["sorted"] == sorted(written) == ["fast", "fast - slow", "slow"]
        assert v["arms"] == written == ["slow", "fast", "fast - slow"]
        assert_array(v["X"], f["param_value"][:], "X")
        assert v["X@dimnames2"] == strs(f["param"])
        assert_array(v["status"], f["status"][:], "status")
        assert v["reason"] == strs(f["status_reason"])
        assert v["units"] == [f["arms/fast/N"].attrs["units"].decode()]
        assert v["design"] == [f.attrs["design"].decode()] == ["lhs"]
        assert_array(v["seed"], [float(f.attrs["seed"])], "seed")
    assert out.splitlines()[-1] == '[1] "slow"        "fast"        "fast - slow"', out


def check_ncdf4(out, v, tmp):
    with h5(os.path.join(tmp, "two_knees.h5")) as f:
        g = f["arms/IV 100M"]
        assert_array(v["msc"], g["knee_R.MSC"][:], "msc")
        assert_array(v["hours"], g["time"][:], "hours")
        assert v["units"] == ["cells"] and v["sha"] == [f.attrs["model_sha256"].decode()]
        assert_array(v["v"], f["metrics/value"][:].T, "metrics/value")  # metric x arm
        assert v["v@dimnames1"] == strs(f["metrics/metric"])
        assert v["v@dimnames2"] == strs(f["metrics/arm"])
    with growth(tmp) as f:
        status = f["status"][:]
        assert_array(v["status"], status, "status")
        assert v["reason"] == strs(f["status_reason"])            # "" read as "", no crash
        assert_array(v["n_samples"], [float(f.attrs["n_samples"])], "n_samples")
        assert_array(v["seed"], [float(f.attrs["seed"])], "seed")
    assert out == "cells %d %d ok\n" % (len(status), (status == 1).sum()), out


def check_ncdf4_sens(out, v, tmp):
    """sens.h5 (tests/tools/h5_sens_sample) read by ncdf4 against h5py: reversed axes."""
    with h5(os.path.join(tmp, "sens.h5")) as f:
        g = f["arms/decay/sensitivities"]
        assert v["params"] == strs(g["param"]) == ["k", "x0"]
        assert_array(v["dx"], g["x"][:].T, "dx")
        assert_array(v["dlogx"], g["log/x"][:].T, "dlogx")
        assert_array(v["grad_log"], g["metric_gradient_log"][:].T, "grad_log")
        assert v["grad_log@dimnames1"] == ["k", "x0"]
        assert v["grad_log@dimnames2"] == strs(f["arms/decay/metric"])
    assert "x_auc" in out and "-7.2" in out, out


# ---- beyond the doc: every package reads the reasons of a shard and a merged file --------

READ_REASONS = r"""
suppressMessages({library(rhdf5); library(hdf5r); library(ncdf4)})
for (f in c("shard1.h5", "shards.h5")) {
  a <- as.vector(h5read(f, "/status_reason"))
  h <- H5File$new(f, mode = "r"); b <- h[["status_reason"]]$read(); h$close_all()
  nc <- nc_open(f); c <- ncvar_get(nc, "status_reason"); nc_close(nc)
  stopifnot(identical(a, b), identical(a, as.vector(c)))
  cat(f, length(a), sum(a != ""), "\n")
}
"""


def make_shards(tmp):
    """growth.sweep as 3 job-array shards, and their merge."""
    for k in range(3):
        proc = subprocess.run([SYNOVIA, "sweep", "growth.sweep", "-o", "shards.h5",
                               "--task-index", str(k), "--task-count", "3", "-q"],
                              cwd=tmp, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    shutil.copy(os.path.join(tmp, "shards.task-0001-of-0003.h5"), os.path.join(tmp, "shard1.h5"))
    proc = subprocess.run([SYNOVIA, "merge", "shards.h5", "-q"], cwd=tmp, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def check_shard_reasons(tmp):
    make_shards(tmp)
    proc, _ = run_program([RSCRIPT, "--vanilla"], READ_REASONS, tmp, "reasons", "")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and not noise(out), out[-3000:]
    want = ""
    for name in ("shard1.h5", "shards.h5"):
        with h5(os.path.join(tmp, name)) as f:
            reasons = strs(f["status_reason"])       # a shard: "" for the rows of other shards
            want += "%s %d %d \n" % (name, len(reasons), sum(r != "" for r in reasons))
    assert proc.stdout == want, (proc.stdout, want)


# (a string the block contains, its check)
EXPECT = [
    ('f <- "two_knees.h5"', check_rhdf5_run),
    ('f  <- "growth.h5"', check_rhdf5_sweep),
    ('H5File$new("growth.h5"', check_hdf5r),
    ('nc_open("two_knees.h5")', check_ncdf4),
    ('nc_open("sens.h5")', check_ncdf4_sens),
]


def doc_blocks(lang):
    doc = open(DOC, encoding="utf-8").read()
    return doc, re.findall(r"^```%s\n(.*?)^```" % lang, doc, re.S | re.M)


def main():
    doc, blocks = doc_blocks("r")

    @check("docs/output-format.md: the R is fenced ```r, one check per block")
    def _():
        assert not re.search(r"^```(R|rscript)\s*$", doc, re.M), "use ```r fences"
        assert len(blocks) == len(EXPECT), (len(blocks), len(EXPECT))
        for i, (code, (key, _)) in enumerate(zip(blocks, EXPECT)):
            assert key in code, "block %d does not contain %r" % (i, key)

    if RSCRIPT is None:
        for i, (key, _) in enumerate(EXPECT):
            @check("R block %d (%s)" % (i, key))
            def _():
                raise SkipTest("Rscript is not installed (Debian: apt-get install r-base-core)")
        return finish()
    if not os.access(SYNOVIA, os.X_OK):
        @check("%s is built" % SYNOVIA)
        def _():
            raise AssertionError("make %s" % SYNOVIA)
        return finish()
    tmp = tempfile.mkdtemp(prefix="syn_doc_r_")
    try:
        if make_files(tmp):
            for i, (code, (key, fn)) in enumerate(zip(blocks, EXPECT)):
                @check("R block %d (%s) runs and reads what h5py reads" % (i, key))
                def _():
                    why = missing_package(code)
                    if why:
                        raise SkipTest(why)
                    out, names = run_r(i, code, tmp)
                    fn(out, names, tmp)

            @check("rhdf5, hdf5r and ncdf4 read /status_reason of a shard and of merged shards")
            def _():
                why = missing_package("".join(PACKAGES))
                if why:
                    raise SkipTest(why)
                check_shard_reasons(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
