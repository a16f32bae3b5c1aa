#!/bin/sh
# synovia — the language reject/accept table (tests/lang/*.tests) under the
# ASan/UBSan build of tests/tools/lang_table. TAP: one line per case, with
# the expected and actual diagnostics as comments when a case fails.
. tests/lib/tap.sh
TOOL=$BUILD/asan/tools/lang_table
if [ ! -x "$TOOL" ]; then
  echo "not ok 1 - $TOOL is not built (make tools)"
  exit 1
fi
"$TOOL" tests/lang/reject_syntax.tests --dir "$TMP"
