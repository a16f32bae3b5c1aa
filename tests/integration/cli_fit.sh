#!/bin/sh
# synovia fit FILE.fit --evaluate (issue 15 point 2): the objective, its parts
# and the gradient table of the shipped knee example; --at moves a parameter
# (the objective changes, the table shows the value); --help names both
# modes (estimating is tests/integration/fit.sh); bad
# options and a bad fit file give one message each, no crash.
. tests/lib/tap.sh
FIT=examples/fit/knee_trial.fit

"$SYNOVIA" fit "$FIT" --evaluate >"$TMP/eval.out" 2>"$TMP/eval.err"
check "--evaluate succeeds on knee_trial.fit" test $? -eq 0
check "it prints the objective and its parts" \
  grep -Eq '^examples/fit/knee_trial.fit: objective [-0-9.e+]+ \(data [-0-9.e+]+, priors [-0-9.e+]+\)$' "$TMP/eval.out"
check "a gradient row per estimated parameter (7), with its scale" \
  sh -c "[ \$(grep -Ec '^(severity|w_p\\[|dose:|sigma_CRP|rel_CRP)' '$TMP/eval.out') -eq 7 ]"
check "severity is on log10 at its start 0.04" grep -Eq '^severity +log10 +0\.04 ' "$TMP/eval.out"
# 45 data rows, a sigma residual for each of the 15 CRP rows (estimated sd),
# two for the log-normal prior on severity
check "the residual form holds with the estimated sd: 45 + 15 + 2 residuals" \
  grep -q "^residual form: yes (62 residuals)" "$TMP/eval.out"

"$SYNOVIA" fit "$FIT" --evaluate --at severity=0.06 --at 'w_p[control]=0.2' >"$TMP/at.out" 2>&1
check "--at applies the values" sh -c "grep -Eq '^severity +log10 +0\.06 ' '$TMP/at.out' && grep -Eq '^w_p\\[control\\] +lin +0\.2 ' '$TMP/at.out'"
check "--at changes the objective" sh -c "[ \"\$(head -1 '$TMP/at.out')\" != \"\$(head -1 '$TMP/eval.out')\" ]"

"$SYNOVIA" fit --help >"$TMP/help.out" 2>&1
check "--help names both modes (estimate, --evaluate)" \
  sh -c "grep -q -- '--starts N' '$TMP/help.out' && grep -q -- '--evaluate' '$TMP/help.out'"

"$SYNOVIA" fit "$FIT" --evaluate --at severty=0.1 >"$TMP/bad.out" 2>&1
rc=$?
check "--at an unknown name: exit 2, one message" \
  sh -c "[ $rc -eq 2 ] && grep -q \"'severty' is not an estimated parameter\" '$TMP/bad.out'"
"$SYNOVIA" fit "$FIT" --evaluate --at severity=-1 >"$TMP/neg.out" 2>&1
rc=$?
check "--at a non-positive value of a log parameter: exit 2" \
  sh -c "[ $rc -eq 2 ] && grep -q 'is not a positive number' '$TMP/neg.out'"

printf 'scenario "examples/knee_ia_vs_iv.scenario"\ndata "nowhere.csv"\n' >"$TMP/bad.fit"
"$SYNOVIA" fit "$TMP/bad.fit" --evaluate >"$TMP/badfit.out" 2>&1
rc=$?
check "a bad fit file: exit 1, a located message" \
  sh -c "[ $rc -eq 1 ] && grep -q '^$TMP/bad.fit:[0-9]*:[0-9]*: error: ' '$TMP/badfit.out'"

# a simulation that cannot be evaluated: a log-normal observable that is not positive
mkdir -p "$TMP/neg"
printf 'time unit h\nparam k = 0.5 /h\nstate x = 2\nd/dt x = -k * x\n' >"$TMP/neg/m.model"
printf 'model "m.model"\nsimulate 0 h to 2 h every 1 h\narm "a"\n' >"$TMP/neg/s.scenario"
printf 'arm,time (h),observable,value\na,1,xo,0.3\n' >"$TMP/neg/d.csv"
printf 'scenario "s.scenario"\ndata "d.csv"\nobservable xo = x - 1\n  noise lognormal sd = 0.2\nestimate k lin within 0.01 10\n' >"$TMP/neg/f.fit"
"$SYNOVIA" fit "$TMP/neg/f.fit" --evaluate --at k=2 >"$TMP/negsim.out" 2>&1
rc=$?
check "an evaluation that fails: exit 1, 'synovia fit: error:' naming the data line" \
  sh -c "[ $rc -eq 1 ] && grep -q '^synovia fit: error: .*d.csv:2: the simulated xo is' '$TMP/negsim.out'"
finish
