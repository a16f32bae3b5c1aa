#!/bin/sh
# synovia — the compiler scales with the model (issue 12 §11), checked by
# counts, not by time: `synovia check` on 10^4 states must cost under 13 times
# what 10^3 states cost, in peak memory (/usr/bin/time) and in instructions
# executed (valgrind's callgrind: deterministic, whatever the machine's load).
# Linear growth gives 10 (a star measured 10.04 at 10^4/10^3 and 3.02 at
# 3x10^4/10^4: linear, with a fixed base too small to pull it under 10), n log n
# 13.3; a quadratic part gives far more
# (a per-joint output reading sum(joint, X): 54 times the memory, 1.6 GB at
# 10^4 joints; a preset setting every state and a route into every state:
# 20 times the instructions). Models: tests/bench/scale_model.sh. A dense
# coupling too large for an exact Jacobian is refused, located, within a
# 600 MB address space (it compiled for 27 s into 3.1 GB at 10^4 joints and
# never finished at 10^5).
. tests/lib/tap.sh
GEN=tests/bench/scale_model.sh

if [ -x /usr/bin/time ]; then have_time=1; else have_time=0; fi
if command -v valgrind >/dev/null 2>&1; then have_vg=1; else have_vg=0; fi

peak_kb() { # model -> peak RSS in KB of `synovia check`; fails if check fails
  /usr/bin/time -f '%M' -o "$TMP/rss" "$SYNOVIA" check "$1" >"$TMP/out" 2>&1 && tail -n 1 "$TMP/rss"
}
instructions() { # model -> instructions executed by `synovia check`; fails if check fails
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$SYNOVIA" check "$1" >"$TMP/out" 2>&1 &&
    sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$TMP/out"
}
# ratio "what" "measure" kind small large
ratio() {
  what=$1 unit=$2 kind=$3 small=$4 large=$5
  if [ -z "$small" ] || [ -z "$large" ]; then
    not_ok "check $kind ($what): no figure; $(head -c 300 "$TMP/out")"
  elif [ "$large" -lt $((13 * small)) ]; then
    ok "check $kind: $what $large$unit at 10^4 states, $small$unit at 10^3 (under 13 x)"
  else
    not_ok "check $kind: $what $large$unit at 10^4 states, $small$unit at 10^3 (13 x or more: not near-linear)"
  fi
}

for kind in chain star share wide; do
  sh $GEN $kind 1000 >"$TMP/$kind-1k.model"
  sh $GEN $kind 10000 >"$TMP/$kind-10k.model"
  if [ $have_time = 1 ]; then
    small=$(peak_kb "$TMP/$kind-1k.model") || small=
    large=$(peak_kb "$TMP/$kind-10k.model") || large=
    ratio "peak RSS" " KB" $kind "$small" "$large"
  else
    ok "check $kind: peak RSS # SKIP /usr/bin/time is missing (apt-get install time)"
  fi
  if [ $have_vg = 1 ]; then
    small=$(instructions "$TMP/$kind-1k.model") || small=
    large=$(instructions "$TMP/$kind-10k.model") || large=
    ratio "instructions" "" $kind "$small" "$large"
  else
    ok "check $kind: instructions # SKIP valgrind is missing (apt-get install valgrind)"
  fi
done

for n in 10000 100000; do
  sh $GEN dense $n >"$TMP/dense.model"
  (ulimit -v 600000; "$SYNOVIA" check "$TMP/dense.model") >"$TMP/out" 2>&1
  rc=$?
  want="dense.model:7:9: error: the Jacobian would have more than 33554432 nonzero entries: $n of the $n d/dt equations depend on"
  if [ "$rc" -eq 1 ] && grep -qF "$want" "$TMP/out" && grep -q "hint: .*dense ($n^2 entries" "$TMP/out"; then
    ok "a dense coupling of $n joints is refused, located, in a 600 MB address space"
  else
    not_ok "a dense coupling of $n joints: exit $rc, $(head -c 400 "$TMP/out")"
  fi
done

# Below the bound a dense coupling is accepted (2000^2 entries, 130 MB).
sh $GEN dense 2000 >"$TMP/dense2k.model"
check "a dense coupling of 2000 joints (4x10^6 entries) is accepted" \
  sh -c '"$1" check "$2" >/dev/null' sh "$SYNOVIA" "$TMP/dense2k.model"
finish
