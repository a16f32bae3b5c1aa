#!/bin/sh
# synovia fit FILE.fit (issue 15 points 3-4): serial multistart. The knee
# example's estimate is at least as good as the truth that made its data
# (examples/fit/make_data.py: severity 0.06, w_p 0.16 in every arm, the IA
# dose 50e6 cells, CRP noise 0.1 + 0.1 y): an optimiser check that can fail.
# Every start's status is printed; start k does not depend on the run; Boehm
# reaches its published optimum from seeded starts; bad options refused.
. tests/lib/tap.sh
KNEE=examples/fit/knee_trial.fit
BOEHM=tests/data/petab/Boehm_JProteomeRes2014/boehm2014.fit
REF=138.22199693517703

"$SYNOVIA" fit "$KNEE" --starts 3 -q >"$TMP/knee.out" 2>"$TMP/knee.err"
check "knee: 3 starts succeed" test $? -eq 0
check "knee: a status for every start" \
  sh -c "[ \$(grep -Ec '^[0-2] +[-0-9.e+nai]+ +[0-9]+ +[0-9]+ +(converged|stopped|failed)' '$TMP/knee.out') -eq 3 ]"
check "knee: -q prints no progress" sh -c "! grep -q 'start 1/3' '$TMP/knee.err'"
"$SYNOVIA" fit "$KNEE" --evaluate --at severity=0.06 --at 'w_p[control]=0.16' \
  --at 'w_p[IA 50M UC-MSC]=0.16' --at 'w_p[IV 100M UC-MSC]=0.16' \
  --at 'dose:IA 50M UC-MSC:IA.amount=5e7' --at sigma_CRP=0.1 --at rel_CRP=0.1 >"$TMP/truth.out" 2>&1
truth=$(sed -n 's/.*: objective \([^ ]*\) .*/\1/p' "$TMP/truth.out" | head -1)
best=$(sed -n 's/^best: objective \([^ ]*\) .*/\1/p' "$TMP/knee.out")
check "knee: objective at the estimate ($best) <= at the truth ($truth) + 0.01" \
  awk -v b="$best" -v t="$truth" 'BEGIN { exit !(b != "" && t != "" && b <= t + 0.01) }'
check "knee: severity estimate within 20% of the truth 0.06" \
  awk '/^severity /{ v = $3 } END { exit !(v > 0.048 && v < 0.072) }' "$TMP/knee.out"

"$SYNOVIA" fit "$KNEE" --starts 2 >"$TMP/knee2.out" 2>"$TMP/knee2.err"
check "knee: a progress line on stderr without -q" grep -q 'start 2/2, best so far' "$TMP/knee2.err"
check "knee: start 0 is the same whatever N (the fit file's starts and design)" \
  sh -c "[ \"\$(grep '^0 ' '$TMP/knee.out')\" = \"\$(grep '^0 ' '$TMP/knee2.out')\" ]"

"$SYNOVIA" fit "$BOEHM" --starts 10 --seed 1 -q >"$TMP/boehm.out" 2>&1
n=$(awk -v r=$REF '/^[0-9]+ / { d = $2 - r; if (d < 0) d = -d; if (d <= 0.01) n++ } END { print n + 0 }' "$TMP/boehm.out")
echo "# Boehm: $n of 10 seeded starts within 0.01 of $REF"
check "Boehm: at least one of 10 seeded starts reaches $REF within 0.01" test "$n" -ge 1

"$SYNOVIA" fit "$KNEE" --starts 0 >"$TMP/s0.out" 2>&1
rc=$?
check "--starts 0: exit 2, one message" \
  sh -c "[ $rc -eq 2 ] && grep -q 'error: --starts .0. is not a positive integer' '$TMP/s0.out'"
"$SYNOVIA" fit "$KNEE" --optimizer lbgfs >"$TMP/opt.out" 2>&1
rc=$?
check "unknown optimizer: exit 2, did you mean" \
  sh -c "[ $rc -eq 2 ] && grep -q \"unknown optimizer 'lbgfs' (did you mean 'lbfgs'\" '$TMP/opt.out'"
finish
