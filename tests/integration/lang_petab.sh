#!/bin/sh
# synovia — rejected PEtab problems (tests/lang/reject_petab.tests) under the
# ASan/UBSan build of tests/tools/lang_table, which loads each case's
# f.yaml with syn_fit_load: every bad input gives one located message.
# TAP, one line per case.
. tests/lib/tap.sh
TOOL=$BUILD/asan/tools/lang_table
if [ ! -x "$TOOL" ]; then
  echo "not ok 1 - $TOOL is not built (make tools)"
  exit 1
fi
"$TOOL" tests/lang/reject_petab.tests --dir "$TMP"
