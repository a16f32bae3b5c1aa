#!/bin/sh
# synovia — sweep throughput for `make bench` (DESIGN §6: samples per second
# per core, scaling with MPI ranks) and the memory of the coordinating rank
# against the number of samples. Prints figures; asserts nothing.
# Usage: tests/bench/sweep.sh SYNOVIA
set -eu
SYN=${1:-build/release/synovia}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/synovia-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
top=$(pwd)

seconds() { # command... -> wall seconds on stdout
  s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
  awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'
}

# The knee model's IA-vs-IV scenario (3 arms, baseline steady per sample).
cat >"$TMP/knee.sweep" <<EOF2
scenario "$top/examples/knee_ia_vs_iv.scenario"
design random 400 seed 1
vary knee.severity  uniform    0.04 0.09
vary potency        lognormal  0 0.3
EOF2
t1=$(seconds "$SYN" sweep "$TMP/knee.sweep" -q -o "$TMP/k1.h5")
t2=$(seconds timeout 600 mpirun --oversubscribe -np 2 "$SYN" sweep "$TMP/knee.sweep" -q -o "$TMP/k2.h5")
printf 'sweep, knee IA vs IV (3 arms, 400 samples), 1 process:  %6.2f s  %7.1f samples/s/core\n' \
  "$t1" "$(awk -v t="$t1" 'BEGIN { print 400 / t }')"
printf 'sweep, same, mpirun -np 2:                              %6.2f s  speed-up %.2f x (%d cores)\n' \
  "$t2" "$(awk -v a="$t1" -v b="$t2" 'BEGIN { print a / b }')" "$(nproc)"

# Memory of the coordinating rank: a small model, 10^4 then 10^5 samples.
for n in 10000 100000 300000; do
  cat >"$TMP/mem.sweep" <<EOF2
scenario "$top/tests/sweep/growth.scenario"
design random $n seed 1
vary r uniform 0.1 2 /d
vary K loguniform 2 50
EOF2
  rm -f "$TMP/m.h5"
  s=$(date +%s.%N)
  timeout 900 mpirun --oversubscribe -np 2 /usr/bin/time -f 'rss %M' "$SYN" sweep "$TMP/mem.sweep" -q \
    -o "$TMP/m.h5" --checkpoint 1 >"$TMP/mem.out" 2>&1
  e=$(date +%s.%N)
  rss=$(awk '/^rss/ { if ($2 > m) m = $2 } END { print m }' "$TMP/mem.out")
  printf 'sweep, growth model, %6d samples, mpirun -np 2:      %6.2f s  largest rank max RSS %d KiB\n' \
    "$n" "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" "$rss"
done
