#!/bin/sh
# synovia — the Jacobian check: for every model in models/ and examples/ (which
# must load) and every loadable model under tests/ (fixtures meant to fail are
# skipped; tests/lang/ holds only rejection tables), compare the symbolic
# Jacobian with finite differences at 20 random states (tests/tools/jac_check.c).
. tests/lib/tap.sh
TOOL=$BUILD/asan/tools/jac_check
if [ ! -x "$TOOL" ]; then
  echo "not ok 1 - $TOOL is not built (make tools)"
  exit 1
fi
# models/parts/ are pieces imported by the shipped models (a `per joint` part needs the
# importer's `joints`), so they are checked through the models that import them.
shipped=$(find models examples -name '*.model' -type f -not -path 'models/parts/*' 2>/dev/null | LC_ALL=C sort)
fixtures=$(find tests -name '*.model' -type f -not -path 'tests/lang/*' 2>/dev/null | LC_ALL=C sort)
# shellcheck disable=SC2086 # one argument per path (paths have no spaces)
"$TOOL" $shipped --skip-unloadable $fixtures
