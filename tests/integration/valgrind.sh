# synovia — a full `synovia run` (parse, compile, solve, write HDF5) and a
# failing one under valgrind: no invalid accesses, no definite or indirect leaks.
. tests/lib/tap.sh
if ! command -v valgrind >/dev/null 2>&1; then
  not_ok "valgrind is installed (make deps installs it)"; vg "$SYNOVIA" sweep tests/sweep/growth.sweep -q -o "$TMP/s.h5" --task-index 0 --task-count 2 >"$TMP/out" 2>&1 &&
  vg "$SYNOVIA" sweep tests/sweep/growth.sweep -q -o "$TMP/s.h5" --task-index 1 --task-count 2 >>"$TMP/out" 2>&1
rc=$?
check "valgrind: two sweep shards (with failing samples) are clean" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out" | head -40
vg "$SYNOVIA" merge "$TMP/s.h5" -q >"$TMP/out" 2>&1
rc=$?
check "valgrind: merging them is clean" test $rc -eq 0 -a -e "$TMP/s.h5"
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out" | head -40
vg "$SYNOVIA" sweep tests/sweep/ishigami.sweep -q -o "$TMP/i.h5" --bootstrap 20 >"$TMP/out" 2>&1
rc=$?
check "valgrind: a Saltelli sweep with its Sobol indices is clean" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out" | head -40
finish; exit 1
fi
vg() { valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-leak-kinds=definite,indirect "$@"; }

vg "$SYNOVIA" run models/joint_demo.model --t-end '28 d' -q -o "$TMP/v.h5" >"$TMP/out" 2>&1
rc=$?
check "valgrind: full run of joint_demo is clean" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out" | head -40
vg "$SYNOVIA" run tests/cli/broken.model -o "$TMP/b.h5" >"$TMP/out" 2>&1
rc=$?
check "valgrind: a model error exits 1 cleanly" test $rc -eq 1
[ $rc -eq 1 ] || sed 's/^/# /' "$TMP/out" | head -40
vg "$SYNOVIA" run tests/cli/decay.model --max-steps 2 --t-end 1000 -o "$TMP/f.h5" >"$TMP/out" 2>&1
rc=$?
check "valgrind: a solver failure exits 1 cleanly" test $rc -eq 1
[ $rc -eq 1 ] || sed 's/^/# /' "$TMP/out" | head -40
vg "$SYNOVIA" sweep tests/sweep/growth.sweep -q -o "$TMP/s.h5" --task-index 0 --task-count 2 >"$TMP/out" 2>&1 &&
  vg "$SYNOVIA" sweep tests/sweep/growth.sweep -q -o "$TMP/s.h5" --task-index 1 --task-count 2 >>"$TMP/out" 2>&1
rc=$?
check "valgrind: two sweep shards (with failing samples) are clean" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out" | head -40
vg "$SYNOVIA" merge "$TMP/s.h5" -q >"$TMP/out" 2>&1
rc=$?
check "valgrind: merging them is clean" test $rc -eq 0 -a -e "$TMP/s.h5"
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out" | head -40
vg "$SYNOVIA" sweep tests/sweep/ishigami.sweep -q -o "$TMP/i.h5" --bootstrap 20 >"$TMP/out" 2>&1
rc=$?
check "valgrind: a Saltelli sweep with its Sobol indices is clean" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out" | head -40
finish
