#!/bin/sh
# synovia — `run` on many states for `make bench` (issue 12 §12): time, peak
# memory and file size of `synovia run` on 10^4 and 10^5 one-state joints (101
# output times each), next to `synovia check` on the same model (compiling
# it), so that the rest is the solve and the HDF5 writer. All should grow
# linearly: bytes per series and KiB per series stay flat. Prints figures;
# asserts nothing. Usage: tests/bench/run_scale.sh SYNOVIA
set -u
SYN=${1:-build/release/synovia}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/synovia-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
if [ ! -x /usr/bin/time ]; then
  echo "run, many states: no figures (/usr/bin/time is missing: apt-get install time)"
  exit 0
fi

model() { # N -> N joints, each one state decaying on its own
  awk -v n="$1" 'BEGIN {
    print "model \"scale\""; print "time unit h"; print "param k = 0.5 /h"
    printf "joints"; for (i = 0; i < n; i++) printf " j%d", i; printf "\n"
    print "per joint {"; print "  state X = 1 mg"; print "  d/dt X = -k * X"; print "}"
  }' >"$TMP/m$1.model"
}

# measure N what command...: "wall cpu maxrss_kib" of the command into $TMP/N.what
measure() {
  n=$1 what=$2; shift 2
  /usr/bin/time -f '%e %U %S %M' -o "$TMP/$n.$what.time" "$@" >/dev/null 2>"$TMP/$n.$what.err" ||
    { echo "# failed: $*"; sed 's/^/# /' "$TMP/$n.$what.err" | head -5; }
}

for n in 10000 100000; do
  model $n
  measure $n check "$SYN" check "$TMP/m$n.model"
  measure $n run "$SYN" run "$TMP/m$n.model" -q -o "$TMP/r$n.h5"
  size=$(stat -c %s "$TMP/r$n.h5" 2>/dev/null || echo 0)
  awk -v n="$n" -v size="$size" -v c="$(cat "$TMP/$n.check.time")" -v r="$(cat "$TMP/$n.run.time")" 'BEGIN {
    split(c, C, " "); split(r, R, " ")
    printf "run, %6d one-state joints x 101 times: %6.2f s (CPU %6.2f s), max RSS %7d KiB (%.2f KiB/series), file %6.1f MB (%.0f bytes/series); check alone: CPU %5.2f s, max RSS %6d KiB\n",
      n, R[1], R[2] + R[3], R[4], R[4] / n, size / 1e6, size / n, C[2] + C[3], C[4]
  }'
  rm -f "$TMP/r$n.h5"
done
