#!/bin/sh
# synovia — the compiler scales with the model (issue 12 §11), checked by
# memory, not by time: `synovia check` on 10^4 states of a sparse chain, of
# joints coupled through a systemic state, and of joints whose per-joint
# output reads sum(joint, X), has a peak RSS under 10 times that at 10^3
# (linear growth from a fixed base gives under 10; the per-joint aggregate
# was quadratic: 54 times, 1.6 GB); a dense coupling too large for an exact
# Jacobian is refused, located, within a 600 MB address space (it compiled
# for 27 s and took 3.1 GB at 10^4 joints, and never finished at 10^5).
. tests/lib/tap.sh
GEN=tests/bench/scale_model.sh

if [ ! -x /usr/bin/time ]; then
  echo "ok 1 # SKIP /usr/bin/time is missing (apt-get install time)"
  echo "1..1"
  exit 0
fi

peak_kb() { # model -> peak RSS in KB of `synovia check`, or nothing if it failed
  /usr/bin/time -f '%M' -o "$TMP/rss" "$SYNOVIA" check "$1" >"$TMP/out" 2>&1 && tail -n 1 "$TMP/rss"
}

for kind in chain star share; do
  sh $GEN $kind 1000 >"$TMP/$kind-1k.model"
  sh $GEN $kind 10000 >"$TMP/$kind-10k.model"
  small=$(peak_kb "$TMP/$kind-1k.model") || small=
  large=$(peak_kb "$TMP/$kind-10k.model") || large=
  if [ -z "$small" ] || [ -z "$large" ]; then
    not_ok "check $kind at 10^3 and 10^4 states: $(head -c 300 "$TMP/out")"
  elif [ "$large" -lt $((10 * small)) ]; then
    ok "check $kind: peak RSS $large KB at 10^4 states, $small KB at 10^3 (under 10 x)"
  else
    not_ok "check $kind: peak RSS $large KB at 10^4 states, $small KB at 10^3 (10 x or more: not linear)"
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
