# synovia — `run` on many states (issue 12 §12): the result file grows with the
# data. 4x10^4 one-state joints once made an 8 GB file for 32 MB of data
# (H5DSattach_scale rewrote the time axis's list of series at every series).
# Checks bytes per series at 10^3 and 10^4 joints (within 10 %), that the time
# axis is attached to every series, and reads a value back. The time and
# memory figures are in `make bench` (tests/bench/run_scale.sh): tests do not
# time.
. tests/lib/tap.sh

# model N: N joints, each with one state decaying independently
model() {
  awk -v n="$1" 'BEGIN {
    print "model \"scale\""; print "time unit h"; print "param k = 0.5 /h"
    printf "joints"; for (i = 0; i < n; i++) printf " j%d", i; printf "\n"
    print "per joint {"; print "  state X = 1 mg"; print "  d/dt X = -k * X"; print "}"
  }' >"$TMP/m$1.model"
}

for n in 1000 10000; do
  model $n
  "$SYNOVIA" run "$TMP/m$n.model" -q -o "$TMP/r$n.h5" >"$TMP/out$n" 2>&1
  rc=$?
  check "run on $n one-state joints (exit $rc)" test "$rc" -eq 0
  [ "$rc" -eq 0 ] || sed 's/^/# /' "$TMP/out$n" | head -5
done

"$PYTHON" - "$TMP/r1000.h5" "$TMP/r10000.h5" >"$TMP/check" 2>&1 <<'EOF'
import math, os, sys
import h5py
per = []
for path, n in zip(sys.argv[1:], (1000, 10000)):
    with h5py.File(path, "r") as f:
        arm = f["arms/run"]
        series = [k for k in arm if k.endswith(".X")]
        assert len(series) == n, (path, len(series))
        refs = arm["time"].attrs["REFERENCE_LIST"]
        assert len(refs) == n, ("REFERENCE_LIST", len(refs), n)
        last = arm["j%d.X" % (n - 1)]
        assert last.dims[0][0].name == "/arms/run/time"
        t = arm["time"][-1]
        assert abs(last[-1] - math.exp(-0.5 * t)) < 1e-5, (last[-1], t)
    per.append(os.path.getsize(path) / n)
print("bytes per series: %.0f at 10^3, %.0f at 10^4" % tuple(per))
assert per[1] <= 1.1 * per[0], "bytes per series grow with the series"
EOF
rc=$?
sed 's/^/# /' "$TMP/check"
check "the file grows with the data: bytes per series at 10^4 joints within 10 % of 10^3" \
  test "$rc" -eq 0
finish
