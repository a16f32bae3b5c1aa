#!/bin/sh
# synovia — semantic rejections of the model layer (tests/lang/reject_model.tests)
# under the ASan/UBSan build of tests/tools/lang_table, which loads every case
# with syn_model_load. TAP, one line per case.
. tests/lib/tap.sh
TOOL=$BUILD/asan/tools/lang_table
if [ ! -x "$TOOL" ]; then
  echo "not ok 1 - $TOOL is not built (make tools)"
  exit 1
fi
"$TOOL" tests/lang/reject_model.tests --dir "$TMP"
