#!/usr/bin/python3
"""synovia — runs every ```octave block of docs/output-format.md ("Reading
results", Octave) with GNU Octave and its netcdf package (Debian octave,
octave-netcdf) on files written by the synovia program and their CSV export
(`synovia export FILE --csv DIR`), and checks what each block read against the
same files read with h5py.

The files are those of tests/python/test_doc_output_format.py, made by the
same code, plus growth_csv/ and two_knees_csv/ exported from them. Each block
runs as its own `octave --no-gui --quiet` process, followed by a dumper that
writes every numeric array and text (char, cell of char) the block left; the
checks below read that dump (tests/python/test_doc_r.py parses it). A block
must exit 0 and print no warning or error, and EXPECT must have one check per
block, in order. (Octave 7.3 prints "error: ignoring const
execution_exception& while preparing to exit" at the exit of every script in
this container, whatever the script; that line alone is let through.)

Where Octave or its netcdf package is missing, the blocks are skipped (TAP
"# SKIP" with the reason). Prints TAP; exits non-zero on failure.
Run: BUILD=build-of /usr/bin/python3 tests/python/test_doc_octave.py
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import SkipTest, check, finish  # noqa: E402
from test_doc_output_format import DOC, SYNOVIA, make_files  # noqa: E402
from test_doc_r import assert_array, h5, noise, parse_dump, run_program, strs  # noqa: E402

OCTAVE = shutil.which("octave")
EXIT_NOISE = "ignoring const execution_exception& while preparing to exit"

# Every variable into $SYN_DUMP in test_doc_r.py's format: numbers (column-
# major, 17 digits), char rows and cell arrays of char as text.
DUMPER = r"""
syn_dump_fid = fopen(getenv('SYN_DUMP'), 'w');
syn_dump_names = who;
for syn_dump_k = 1:numel(syn_dump_names)
  syn_dump_n = syn_dump_names{syn_dump_k};
  if strncmp(syn_dump_n, 'syn_dump_', 9)
    continue;
  end
  syn_dump_v = eval(syn_dump_n);
  if ischar(syn_dump_v) && rows(syn_dump_v) <= 1
    syn_dump_v = {syn_dump_v};
  end
  syn_dump_d = sprintf('%d,', size(syn_dump_v));
  syn_dump_d = syn_dump_d(1:end-1);
  if iscellstr(syn_dump_v)
    syn_dump_x = strjoin(reshape(syn_dump_v, 1, []), char(31));
    fputs(syn_dump_fid, [syn_dump_n char(29) 'chr' char(29) syn_dump_d char(29) syn_dump_x char(30)]);
  elseif isnumeric(syn_dump_v) || islogical(syn_dump_v)
    syn_dump_x = sprintf(['%.17g' char(31)], double(syn_dump_v(:)));
    syn_dump_x = syn_dump_x(1:end-1);
    fputs(syn_dump_fid, [syn_dump_n char(29) 'num' char(29) syn_dump_d char(29) syn_dump_x char(30)]);
  end
end
fclose(syn_dump_fid);
"""

STATUS_NAMES = {1: "ok", -1: "solver_failure", -2: "nonfinite", -3: "error", 0: "not_run"}


def run_octave(i, code, tmp):
    proc, dump = run_program([OCTAVE, "--no-gui", "--quiet", "--norc"], code, tmp,
                             "block_%d" % i, DUMPER)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise AssertionError("block %d failed (exit %d):\n%s" % (i, proc.returncode, out[-3000:]))
    bad = noise(out, allowed=(EXIT_NOISE,))
    assert not bad, "block %d printed:\n%s" % (i, "\n".join(bad))
    return proc.stdout, parse_dump(dump)


def netcdf_missing():
    probe = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--norc", "--eval", "pkg load netcdf"],
                           capture_output=True, text=True)
    bad = noise(probe.stdout + probe.stderr, allowed=(EXIT_NOISE,))
    if probe.returncode != 0 or bad:
        return "the Octave package netcdf is not installed (Debian: octave-netcdf)"
    return None


def check_netcdf(out, v, tmp):
    import numpy as np
    with h5(os.path.join(tmp, "growth.h5")) as f:
        status = f["status"][:]
        N = f["arms/fast/N"][:]
        assert_array(v["X"], f["param_value"][:], "X")
        assert_array(v["status"], status.reshape(-1, 1), "status")
        assert_array(v["Y"], f["arms/fast - slow/metric_value"][:], "Y")
        assert_array(v["N"], N, "N")
        assert_array(v["days"], f["arms/fast/time"][:].reshape(-1, 1), "days")
        assert_array(v["n_samples"], [[float(f.attrs["n_samples"])]], "n_samples")
    with h5(os.path.join(tmp, "ishigami.h5")) as s:
        assert_array(v["S1"], s["arms/f/sobol_S1"][:], "S1")        # metric x param
    want = "%d samples, %d ok, N(end) of sample 0: %.6g\n" % (len(status), (status == 1).sum(),
                                                              N[0, -1])
    assert np.isfinite(N[0, -1]) and out == want, (out, want)


def check_csv(out, v, tmp):
    with h5(os.path.join(tmp, "growth.h5")) as f:
        status = f["status"][:]
        reasons = strs(f["status_reason"])
        X = f["param_value"][:]
        assert v["header"] == ["sample", "status", "reason"] + strs(f["param"])
        assert v["params"] == strs(f["param"])
        assert_array(v["sample"], f["sample"][:].reshape(-1, 1), "sample")
        assert v["status"] == [STATUS_NAMES[int(s)] for s in status]
        assert v["reason"] == reasons
        assert_array(v["X"], X, "X")
        failed = [r for r, s in zip(reasons, status) if s != 1]
        assert v["failed"] == failed and failed and all(failed)
        assert_array(v["s"][:, 0], f["sample"][:], "dlmread sample")
        assert_array(v["s"][:, 3:], X, "dlmread parameters")
    with h5(os.path.join(tmp, "two_knees.h5")) as f:
        arm, metric, value, units = [], [], [], []
        for a, g in f["arms"].items():
            for name, val, u in zip(strs(g["metric"]), g["metric_value"][:],
                                    strs(g["metric_units"])):
                arm.append(a)
                metric.append(name)
                value.append(val)
                units.append(u)
        assert v["arm"] == arm and v["metric"] == metric and v["units"] == units
        assert_array(v["value"], [[x] for x in value], "metric values")
    assert out == "%d failed; %s\n" % (len(failed), failed[0]), out


def check_netcdf_sens(out, v, tmp):
    """sens.h5 (tests/tools/h5_sens_sample) through ncread, against h5py."""
    with h5(os.path.join(tmp, "sens.h5")) as f:
        g = f["arms/decay/sensitivities"]
        assert_array(v["dx"], g["x"][:], "dx")
        assert_array(v["dlogx"], g["log/x"][:], "dlogx")
        assert_array(v["grad"], g["metric_gradient"][:], "grad")
        want = "d x / d p at the end: %.6g %.6g\n" % (g["x"][0, -1], g["x"][1, -1])
    assert out == want, (out, want)


# (a string the block contains, its check)
EXPECT = [
    ("pkg load netcdf", check_netcdf),
    ("growth_csv/samples.csv", check_csv),
    ("sens.h5", check_netcdf_sens),
]


def export_csv(tmp):
    for name in ("growth", "two_knees"):
        proc = subprocess.run([SYNOVIA, "export", name + ".h5", "--csv", name + "_csv"],
                              cwd=tmp, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def main():
    doc = open(DOC, encoding="utf-8").read()
    blocks = re.findall(r"^```octave\n(.*?)^```", doc, re.S | re.M)

    @check("docs/output-format.md: the Octave is fenced ```octave, one check per block")
    def _():
        assert len(blocks) == len(EXPECT), (len(blocks), len(EXPECT))
        for i, (code, (key, _)) in enumerate(zip(blocks, EXPECT)):
            assert key in code, "block %d does not contain %r" % (i, key)

    @check("docs/output-format.md: the MATLAB section names its MATLAB-only functions")
    def _():
        section = doc[doc.index("### MATLAB"):]
        for fn in ("h5read", "h5readatt", "h5info", "h5disp", "ncread", "array2table"):
            assert "`%s`" % fn in section.split("```matlab")[0], fn

    if OCTAVE is None:
        for i, (key, _) in enumerate(EXPECT):
            @check("Octave block %d (%s)" % (i, key))
            def _():
                raise SkipTest("octave is not installed (Debian: apt-get install octave)")
        return finish()
    if not os.access(SYNOVIA, os.X_OK):
        @check("%s is built" % SYNOVIA)
        def _():
            raise AssertionError("make %s" % SYNOVIA)
        return finish()
    tmp = tempfile.mkdtemp(prefix="syn_doc_octave_")
    try:
        if make_files(tmp):
            @check("synovia export --csv growth_csv, two_knees_csv")
            def _():
                export_csv(tmp)
            no_netcdf = netcdf_missing()
            for i, (code, (key, fn)) in enumerate(zip(blocks, EXPECT)):
                @check("Octave block %d (%s) runs and reads what h5py reads" % (i, key))
                def _():
                    if "pkg load netcdf" in code and no_netcdf:
                        raise SkipTest(no_netcdf)
                    out, names = run_octave(i, code, tmp)
                    fn(out, names, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
