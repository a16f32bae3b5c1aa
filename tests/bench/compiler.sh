#!/bin/sh
# synovia — the compiler's scaling for `make bench` (issue 12 §11): time and
# peak memory of `synovia check` on models of 10^3, 10^4 and 10^5 states
# (tests/bench/scale_model.sh: a sparse chain, joints coupled through a
# systemic state, the same with a per-joint output using the aggregate, a
# chain with a route into every state and many presets, and a dense
# coupling, refused past 2^25 Jacobian entries). Prints figures;
# asserts nothing (tests/integration/compiler_scale.sh checks the growth).
# Usage: tests/bench/compiler.sh SYNOVIA
set -eu
SYN=${1:-build/release/synovia}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/synovia-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
here=$(dirname "$0")
if [ ! -x /usr/bin/time ]; then
  echo "check scaling: skipped (/usr/bin/time is missing: apt-get install time)"
  exit 0
fi
for kind in chain star share wide dense; do
  sizes="1000 10000 100000"
  [ "$kind" = wide ] && sizes="1000 10000 50000"        # 10^5 is over the 4 MiB file limit
  [ "$kind" = dense ] && sizes="1000 5000 10000 100000" # 5000: 2.5x10^7 entries, accepted
  for n in $sizes; do
    sh "$here/scale_model.sh" "$kind" "$n" >"$TMP/m.model"
    rc=0
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$SYN" check "$TMP/m.model" >"$TMP/out" 2>&1 || rc=$?
    verdict=ok
    [ "$rc" -eq 0 ] || verdict="refused (exit $rc): $(grep -o 'the Jacobian would have more than [0-9]* nonzero entries' "$TMP/out" || head -c 80 "$TMP/out")"
    # the last line: a failing command's status line comes first
    tail -n 1 "$TMP/time" | awk -v k="$kind" -v n="$n" -v v="$verdict" -v b="$(wc -c <"$TMP/m.model")" '{
      printf "check, %-5s %6d states (%6.0f KB): %6.2f s wall, %6.2f s cpu, %7.1f MB peak  %s\n",
             k, n, b / 1024, $1, $2 + $3, $4 / 1024, v }'
  done
done
