#!/bin/sh
# make bench: the bytecode interpreter against hand-written C on stiff20 and
# HIRES (tests/bench/interp.c: CPU times side by side), then the same
# right-hand sides and Jacobians counted in instructions per call by callgrind
# and per whole HIRES solve (skipped, saying so, when valgrind is not installed).
# Prints, never asserts.
#
#   sh tests/bench/interp.sh [build/release/bench-interp]
BIN=${1:-build/release/bench-interp}
CALLS=1000

"$BIN" tests/bench || exit 1

if ! command -v valgrind >/dev/null 2>&1 || ! command -v callgrind_annotate >/dev/null 2>&1; then
  echo "instruction counts: skipped (valgrind is not installed)"
  exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# Inclusive instructions of function $2 in callgrind file $1 (only what ran
# inside micro_run is collected), per call.
per_call() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
    awk -v fn=":$2 " -v n=$CALLS 'index($0, fn) && $1 ~ /^[0-9,]+$/ {
      gsub(",", "", $1); printf "%.0f", $1 / n; exit }'
}

for sys in stiff20 HIRES; do
  out="$tmp/cg.$sys"
  if ! valgrind --tool=callgrind --toggle-collect=micro_run --callgrind-out-file="$out" \
      "$BIN" tests/bench micro "$sys" "$CALLS" >/dev/null 2>"$tmp/log"; then
    echo "instruction counts: $sys: callgrind failed (see below)"
    tail -5 "$tmp/log"
    continue
  fi
  case $sys in stiff20) hand=stiff20 ;; *) hand=hires_hand ;; esac
  hr=$(per_call "$out" ${hand}_rhs) mr=$(per_call "$out" ode_rhs)
  hj=$(per_call "$out" ${hand}_jac) mj=$(per_call "$out" ode_jac)
  awk -v s="$sys" -v hr="$hr" -v mr="$mr" -v hj="$hj" -v mj="$mj" 'BEGIN {
    printf "instructions per call (callgrind), %s: rhs hand %s, interpreter %s (ratio %.2f); ", s, hr, mr, (hr > 0 ? mr / hr : 0)
    printf "Jacobian hand %s, interpreter %s (ratio %.2f)\n", hj, mj, (hj > 0 ? mj / hj : 0) }'
done

# Instructions per whole HIRES solve (the yardstick against scipy, counted
# rather than timed: a loaded machine does not disturb it): 11 solves less 1,
# so the model's loading cancels.
total() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" tests/bench solves HIRES "$1" 2>&1 |
    awk '/refs:/ { gsub(",", "", $NF); print $NF }'
}
one=$(total 1) eleven=$(total 11)
if [ -n "$one" ] && [ -n "$eleven" ]; then
  awk -v a="$one" -v b="$eleven" 'BEGIN { printf "instructions per whole HIRES solve (callgrind): %.0f\n", (b - a) / 10 }'
else
  echo "instructions per whole HIRES solve: callgrind failed"
fi
