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
# command... -> "wall cpu" on stdout: elapsed seconds, and user+sys seconds of
# the command and every process it waited for (mpirun waits for its ranks)
wall_cpu() {
  /usr/bin/time -f '%e %U %S' -o "$TMP/time" "$@" >/dev/null 2>&1 || echo "# failed: $*" >&2
  awk 'NF == 3 && $1 ~ /^[0-9.]+$/ { w = $1; c = $2 + $3 } END { print (w == "" ? "?" : w), (c == "" ? "?" : c) }' "$TMP/time"
}

# The knee model's IA-vs-IV scenario (3 arms, baseline steady per sample).
knee_sweep() { # samples seed -> sweep text on stdout
  cat <<EOF2
scenario "$top/examples/knee_ia_vs_iv.scenario"
design random $1 seed $2
vary knee.severity  uniform    0.04 0.09
vary potency        lognormal  0 0.3
EOF2
}

# The MPI speed-up: the same sweep in one process and under mpirun -np 2
# (rank 0 manages and computes, so 2 ranks are 2 workers). Its size comes from
# a short run: about SWEEP_SECONDS (default 8) of CPU in one process, several
# seconds per rank, so that mpirun's start-up (~0.4 s) and the last blocks'
# imbalance stay small next to the work (400 samples, about 1 s, read 0.98x).
# Wall time is what MPI is for; the CPU time (user+sys of every process) says
# how much work each run did, and the load average what else the machine ran.
knee_sweep 200 3 >"$TMP/calib.sweep"
set -- $(wall_cpu "$SYN" sweep "$TMP/calib.sweep" -q -o "$TMP/calib.h5")
n=$(awk -v c="$2" -v t="${SWEEP_SECONDS:-8}" 'BEGIN {
  n = (c + 0 > 0) ? t * 200 / c : 400; n = int((n + 199) / 200) * 200
  print (n < 400 ? 400 : (n > 100000 ? 100000 : n)) }')
knee_sweep "$n" 1 >"$TMP/knee.sweep"
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
set -- $(wall_cpu "$SYN" sweep "$TMP/knee.sweep" -q -o "$TMP/k1.h5")
t1=$1 c1=$2
set -- $(wall_cpu timeout 900 mpirun --oversubscribe -np 2 "$SYN" sweep "$TMP/knee.sweep" -q -o "$TMP/k2.h5")
t2=$1 c2=$2
printf 'sweep, knee IA vs IV (3 arms, %d samples), 1 process:  %6.2f s wall, %6.2f s CPU  %7.1f samples/s/core (CPU)\n' \
  "$n" "$t1" "$c1" "$(awk -v n="$n" -v c="$c1" 'BEGIN { print (c + 0 > 0 ? n / c : 0) }')"
printf 'sweep, same %d samples, mpirun -np 2:            %6.2f s wall, %6.2f s CPU  speed-up %.2f x (wall; %d cores, load average %s)\n' \
  "$n" "$t2" "$c2" "$(awk -v a="$t1" -v b="$t2" 'BEGIN { print (b + 0 > 0 ? a / b : 0) }')" "$(nproc)" "$load"

# The coordinator (issue 11 §4): rank 0's time per block handed back
# (probe, receive, bookkeeping, the next block sent; waiting left out), as
# `synovia sweep` reports it under MPI. Workers as fast as rank 0 can feed
# them (the growth model, blocks of 1 sample), then knee-model workers.
coord_us() { # out-file -> microseconds per block
  awk '/^rank 0: [0-9]+ blocks handled/ { v = $6 } END { print v == "" ? "?" : v }' "$1"
}
cat >"$TMP/fast.sweep" <<EOF2
scenario "$top/tests/sweep/growth.scenario"
design random 4000 seed 1
vary r uniform 0.1 2 /d
vary K loguniform 2 50
EOF2
timeout 600 mpirun --oversubscribe -np 3 "$SYN" sweep "$TMP/fast.sweep" -o "$TMP/f.h5" --block 1 \
  >"$TMP/fast.out" 2>&1 || sed 's/^/# /' "$TMP/fast.out"
c_fast=$(coord_us "$TMP/fast.out")
knee_sweep 200 2 >"$TMP/knee200.sweep"
timeout 600 mpirun --oversubscribe -np 3 "$SYN" sweep "$TMP/knee200.sweep" -o "$TMP/k3.h5" --block 1 \
  >"$TMP/knee3.out" 2>&1 || sed 's/^/# /' "$TMP/knee3.out"
c_knee=$(coord_us "$TMP/knee3.out")
s_ms=$(awk -v t="$c1" -v n="$n" 'BEGIN { printf "%.2f", 1000 * t / n }')
printf 'sweep, coordinator: rank 0 per block handled, fast workers (-np 3, 4000 blocks): %s us\n' "$c_fast"
printf 'sweep, coordinator: rank 0 per block handled, knee workers (-np 3, 200 blocks):  %s us\n' "$c_knee"
# Rank 0 is a single server: N workers each hand back a block every B * s
# seconds, so it is busy N * c / (B * s) of the time; each worker holds a
# second block, so it never waits while that stays below 95 %.
awk -v s="$s_ms" -v a="$c_fast" -v b="$c_knee" 'BEGIN {
  c = (a + 0 > b + 0) ? a : b
  if (c + 0 <= 0) { print "sweep, coordinator: no figure (see the runs above)"; exit }
  printf "sweep, coordinator: knee sample %.2f ms (1 process); one coordinator keeps %.0f ranks >= 95 %% busy at 1 sample per block (0.95 * s / c, c = %s us)\n", s, 0.95 * s * 1000 / c, c
}'

# The max RSS of rank 0 (KiB) of an mpirun run: only rank 0 is wrapped in
# /usr/bin/time, which writes to its own file (read from stderr, lines of
# several ranks could interleave and a short run printed "0 KiB").
rank0_rss() { # out-file, mpirun arguments...
  f=$1; shift
  rm -f "$TMP/rss0"
  timeout 900 mpirun --oversubscribe "$@" >"$f" 2>&1 || { echo "# failed: $*" >&2; sed 's/^/# /' "$f" >&2; }
  # no reading ("?") rather than a made-up 0 when the run failed
  awk 'NF == 1 && $1 ~ /^[0-9]+$/ { v = $1 } END { print v == "" ? "?" : v }' "$TMP/rss0" 2>/dev/null ||
    echo "?"
}
cat >"$TMP/rank0.sh" <<EOF2
#!/bin/sh
if [ "\${OMPI_COMM_WORLD_RANK:-0}" = 0 ]; then exec /usr/bin/time -f %M -o "$TMP/rss0" "\$@"; fi
exec "\$@"
EOF2
chmod +x "$TMP/rank0.sh"

# Memory of the coordinating rank with `keep trajectories` (the knee model,
# every state and output of 3 arms per sample, ~0.35 MB a row): flat in the
# number of samples (the merge streams windows of at most 32 MiB).
for n in 256 1024; do
  cat >"$TMP/traj.sweep" <<EOF2
scenario "$top/examples/knee_ia_vs_iv.scenario"
design random $n seed 1
vary knee.severity  uniform    0.04 0.09
vary potency        lognormal  0 0.3
keep trajectories
EOF2
  rm -rf "$TMP/t.h5" "$TMP/t.h5.parts"
  s=$(date +%s.%N)
  rss=$(rank0_rss "$TMP/traj.out" -np 2 "$TMP/rank0.sh" "$SYN" sweep "$TMP/traj.sweep" -q -o "$TMP/t.h5")
  e=$(date +%s.%N)
  printf 'sweep, knee, keep trajectories, %5d samples, mpirun -np 2: %6.2f s  rank 0 max RSS %s KiB\n' \
    "$n" "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" "$rss"
done

# Memory of the coordinating rank: a small model, 10^4, 10^5, 3x10^5 samples.
# Up to 65536 samples the merge's window grows with them (rows per window);
# above, nothing should: the last line is the growth from 10^5 to 3x10^5.
for n in 10000 100000 300000; do
  cat >"$TMP/mem.sweep" <<EOF2
scenario "$top/tests/sweep/growth.scenario"
design random $n seed 1
vary r uniform 0.1 2 /d
vary K loguniform 2 50
EOF2
  rm -f "$TMP/m.h5"
  s=$(date +%s.%N)
  rss=$(rank0_rss "$TMP/mem.out" -np 2 "$TMP/rank0.sh" "$SYN" sweep "$TMP/mem.sweep" -q \
    -o "$TMP/m.h5" --checkpoint 1)
  e=$(date +%s.%N)
  printf 'sweep, growth model, %6d samples, mpirun -np 2:      %6.2f s  rank 0 max RSS %s KiB\n' \
    "$n" "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" "$rss"
  eval "rss_$n=\$rss"
done
awk -v a="$rss_100000" -v b="$rss_300000" 'BEGIN {
  if (a !~ /^[0-9]+$/ || b !~ /^[0-9]+$/) { print "sweep, growth model: no growth figure (a run failed)"; exit }
  printf "sweep, growth model, rank 0 from 10^5 to 3x10^5 samples: %+.1f MiB (%.1f bytes per sample)\n", (b - a) / 1024, (b - a) * 1024 / 200000
}'

# Writing a result of many arms (issue 12 point 13; not a sweep, but `make bench` runs only
# this script and the interpreter bench): the growth model's scenario with 100 and 800 arms,
# written by this script. The time should grow in proportion to the arms (it was 0.66 s and
# 6.7 s before the string writes got a transfer buffer sized to the data; 1.5 s at 800 after).
for n in 100 800; do
  { printf 'scenario "many arms"\nmodel "%s/tests/sweep/growth.model"\n' "$top"
    printf 'simulate 0 d to 10 d every 1 d\n'
    i=1; while [ $i -le $n ]; do printf 'arm "a%d"\n  set s = 0.%d\n' $i $((i % 9 + 1)); i=$((i + 1)); done
    printf 'metric N_end = at(N, 10 d) "population at the end"\n'; } >"$TMP/arms$n.scenario"
  t=$(seconds "$SYN" run "$TMP/arms$n.scenario" -o "$TMP/arms$n.h5")
  printf 'run, growth model, %4d arms, one result file:            %6.2f s  %6.2f ms per arm\n' \
    "$n" "$t" "$(awk -v t="$t" -v n="$n" 'BEGIN { print 1000 * t / n }')"
done

# The sweep writer with many kept trajectories: a chain of 500 and 4000 states
# (tests/bench/scale_model.sh), 2 arms, 2 samples, `keep trajectories` (2N
# series). Each series is attached to /sample and its arm's time once, in
# bulk: time and file size grow in proportion to N (attached one by one, the
# 4000-state file took 4.4 s of CPU and 408 MB, 27 times the 500-state file per series).
for n in 500 4000; do
  sh "$top/tests/bench/scale_model.sh" chain "$n" >"$TMP/chain.model"
  printf 'scenario "chain"\nmodel "%s"\nsimulate 0 h to 10 h every 5 h\narm "a"\narm "b"\n  set k = 0.2 /h\n' \
    "$TMP/chain.model" >"$TMP/chain.scenario"
  printf 'scenario "%s"\ndesign random 2 seed 1\nvary c uniform 0.001 0.002 /h\nkeep trajectories\n' \
    "$TMP/chain.scenario" >"$TMP/chain.sweep"
  rm -f "$TMP/chain.h5"
  set -- $(wall_cpu "$SYN" sweep "$TMP/chain.sweep" -q -o "$TMP/chain.h5")
  bytes=$(wc -c <"$TMP/chain.h5" 2>/dev/null || echo 0)
  printf 'sweep writer, keep trajectories, chain of %4d states (2 arms, %5d series): %6.2f s CPU, %7.2f MB, %5.0f bytes per series\n' \
    "$n" $((2 * n)) "$2" "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" "$(awk -v b="$bytes" -v n="$n" 'BEGIN { print b / (2 * n) }')"
done
