# synovia — the parameter tables in docs/model.md are the current output of
# `synovia info MODEL --markdown` for both shipped models (regenerated here by
# scripts/update-model-docs --check, which prints the diff when they are out of
# date), and the script itself notices a stale block and rewrites it.
. tests/lib/tap.sh
export SYNOVIA
DOC=docs/model.md
UPDATE=scripts/update-model-docs

for m in models/knee_oa.model models/ra.model; do
  check "$DOC has a generated block for $m" \
    grep -qx "<!-- BEGIN GENERATED: synovia info $m --markdown -->" "$DOC"
done
check "every BEGIN GENERATED has its END GENERATED" \
  test "$(grep -c '^<!-- BEGIN GENERATED: ' "$DOC")" -eq "$(grep -cx '<!-- END GENERATED -->' "$DOC")"

"$PYTHON" "$UPDATE" --check "$DOC" >"$TMP/diff" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "$DOC: the generated parameter tables are up to date"
else not_ok "$DOC: the generated parameter tables are out of date (exit $rc; run $UPDATE)"; sed 's/^/# /' "$TMP/diff" | head -60; fi

# The checker itself: a stale block (one parameter's value edited by hand)
# is found, with a diff naming the line, and the rewrite restores the output.
sed 's/^| `k_fast` | [^|]* |/| `k_fast` | 42 |/' "$DOC" >"$TMP/stale.md"
if cmp -s "$DOC" "$TMP/stale.md"; then not_ok "the stale copy differs (the test edits a real table row)"
else ok "the stale copy differs (the test edits a real table row)"; fi
"$PYTHON" "$UPDATE" --check "$TMP/stale.md" >"$TMP/diff" 2>&1
rc=$?
check "--check fails on a stale block (exit 1)" test $rc -eq 1
check "--check shows the diff" grep -q '^-| `k_fast` | 42 |' "$TMP/diff"
"$PYTHON" "$UPDATE" "$TMP/stale.md" >"$TMP/out" 2>&1
check "the rewrite of the stale copy is up to date" "$PYTHON" "$UPDATE" --check "$TMP/stale.md"
outside() { awk '/^<!-- END GENERATED -->$/ { in_b = 0 } !in_b { print } /^<!-- BEGIN GENERATED: / { in_b = 1 }' "$1"; }
outside "$DOC" >"$TMP/a"; outside "$TMP/stale.md" >"$TMP/b"
check "the rewrite keeps the text outside the blocks" cmp -s "$TMP/a" "$TMP/b"
check "... and the rewritten file equals docs/model.md" cmp -s "$DOC" "$TMP/stale.md"

# A block that does not end, or asks for another command, is refused (exit 2).
printf '<!-- BEGIN GENERATED: synovia info models/knee_oa.model --markdown -->\nold\n' >"$TMP/open.md"
"$PYTHON" "$UPDATE" --check "$TMP/open.md" >"$TMP/out" 2>&1
check "an unclosed block is an error" test $? -eq 2
printf '<!-- BEGIN GENERATED: synovia run models/knee_oa.model --markdown -->\n<!-- END GENERATED -->\n' >"$TMP/cmd.md"
"$PYTHON" "$UPDATE" "$TMP/cmd.md" >"$TMP/out" 2>&1
check "a block from another command is refused" test $? -eq 2
finish
