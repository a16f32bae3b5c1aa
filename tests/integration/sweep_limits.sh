#!/bin/sh
# synovia — a sweep's size limits are checked before anything is built, and a
# dry run does not build the design (issue 12 point 15: `design lhs
# 1000000001 --dry-run` spent 42 s and 3.9 GB before saying the limit is 1e9,
# `lhs 1e9 --dry-run` 46 s and 3.9 GB: the lhs permutations, 4 bytes per
# sample and parameter). `timeout 10` is a guard against a hang, not a timing
# assertion; the memory bound (200 MB peak RSS) is far above what the commands
# need (about 15 MB) and far below what building the design takes.
. tests/lib/tap.sh

cat >"$TMP/m.model" <<'EOF'
time unit h
param k = 0.5 /h
state A = 1
d/dt A = -k * A
EOF
cat >"$TMP/s.scenario" <<'EOF'
model "m.model"
simulate 0 h to 2 h every 1 h
arm "a"
metric A_end = at(A, 2 h)
EOF

# sweep DESIGN: writes $TMP/d.sweep with that design line and two parameters
sweep() {
  printf 'scenario "s.scenario"\ndesign %s\nvary k uniform 0.1 1\nvary A uniform 1 2\n' "$1" \
    >"$TMP/d.sweep"
}

# bounded NAME EXIT PATTERN [COMMAND...]: COMMAND (default: the dry run of
# $TMP/d.sweep) ends with EXIT, says PATTERN, and peaks below 200 MB
bounded() {
  name=$1 want=$2 pat=$3
  shift 3
  [ $# -gt 0 ] || set -- "$SYNOVIA" sweep "$TMP/d.sweep" --dry-run -o "$TMP/d.h5"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$TMP/rss" timeout 10 "$@" >"$TMP/out" 2>&1
    got=$?
    rss=$(tail -n 1 "$TMP/rss")
  else
    timeout 10 "$@" >"$TMP/out" 2>&1
    got=$? rss=0
  fi
  case $rss in '' | *[!0-9]*) rss=999999999 ;; esac
  if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$TMP/out" && [ "$rss" -lt 200000 ]; then
    ok "$name (peak ${rss} kB)"
  else
    not_ok "$name (exit $got, want $want; pattern '$pat'; peak ${rss} kB, at most 200000)"
    sed 's/^/# /' "$TMP/out" | head -10
  fi
}

sweep "lhs 1000000001"
bounded "lhs above the limit: refused before the design is built" 1 \
  "d.sweep:2:1: error: the design has 1000000001 samples: at most 1000000000 are supported"
sweep "lhs 1e9"
bounded "lhs at the limit: a dry run counts the design without building it" 0 \
  "design     lhs, seed 0: 1000000000 samples (N = 1000000000, D = 2)"
bounded "lhs at the limit: synovia check counts it too" 0 "ok (lhs design, 1000000000 samples" \
  "$SYNOVIA" check "$TMP/d.sweep"
sweep "saltelli 500000000"
bounded "saltelli above the limit (N(D+2) rows): refused before the design is built" 1 \
  "the design has 2000000000 samples: at most 1000000000 are supported"
sweep "sobol 500000000"
bounded "sobol: a dry run counts N rows" 0 "sobol, seed 0: 500000000 samples"
sweep "morris 300000000"
bounded "morris: a dry run counts N(D+1) rows" 0 "morris, seed 0: 900000000 samples"
check "no output and no parts folder after the dry runs" test ! -e "$TMP/d.h5" -a ! -e "$TMP/d.h5.parts"

# a sweep loaded for a dry run cannot be run by mistake: the normal path
# still builds the design and runs (a small one)
sweep "lhs 4"
"$SYNOVIA" sweep "$TMP/d.sweep" -q -o "$TMP/small.h5" >"$TMP/out" 2>&1
check "a small lhs still runs" test -s "$TMP/small.h5"
finish
