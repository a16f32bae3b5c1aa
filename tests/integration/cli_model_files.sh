#!/bin/sh
# synovia — model files as users have them (issue 12 §18, §20): a library
# without states checks OK and says it cannot run; a file of only comments is
# refused by check and run alike, located; a byte-order mark at the start of
# a model, scenario or sweep is skipped; one library imported by an absolute
# path, a relative one and a symlink loads once.
. tests/lib/tap.sh

# expect "name" status pattern command...  (exit status and a pattern in stdout+stderr)
expect() {
  name=$1 want=$2 pat=$3; shift 3
  "$@" >"$TMP/out" 2>&1
  got=$?
  if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$TMP/out"; then ok "$name"
  else not_ok "$name (exit $got, want $want; pattern '$pat')"; sed 's/^/# /' "$TMP/out" | head -20; fi
}

expect "check: a library without states is valid, and cannot run on its own" 0 \
  "^tests/models/imports_lib.model: ok (no states: a library to import, it cannot run on its own; 2 parameters, 0 outputs)$" \
  "$SYNOVIA" check tests/models/imports_lib.model
expect "run: a library without states fails, saying so" 1 "no states" \
  "$SYNOVIA" run tests/models/imports_lib.model -o "$TMP/lib.h5"

printf '# a model, one day\n\n   \n' >"$TMP/comments.model"
want="comments.model:1:1: error: the file declares nothing: only comments and blank lines"
expect "check: a model of comments only is refused, located" 1 "$want" \
  "$SYNOVIA" check "$TMP/comments.model"
expect "run: a model of comments only is refused, located" 1 "$want" \
  "$SYNOVIA" run "$TMP/comments.model" -o "$TMP/c.h5"
check "no result written for a model of comments only" test ! -e "$TMP/c.h5"

bom() { printf '\357\273\277' >"$2"; cat "$1" >>"$2"; }
bom tests/cli/decay.model "$TMP/decay.model"
expect "check: a model starting with a byte-order mark" 0 "decay.model: ok (1 state" \
  "$SYNOVIA" check "$TMP/decay.model"
check "run: a model starting with a byte-order mark" \
  sh -c '"$1" run "$2" -q -o "$3" && test -s "$3"' sh "$SYNOVIA" "$TMP/decay.model" "$TMP/bom.h5"
mkdir -p "$TMP/sc"
cp tests/scenario/one_compartment.model "$TMP/sc/"
bom tests/scenario/one_compartment.scenario "$TMP/sc/one.scenario"
expect "check: a scenario starting with a byte-order mark" 0 "one.scenario: ok (4 arms" \
  "$SYNOVIA" check "$TMP/sc/one.scenario"
cp tests/sweep/growth.model tests/sweep/growth.scenario "$TMP/sc/"
bom tests/sweep/growth.sweep "$TMP/sc/growth.sweep"
expect "check: a sweep starting with a byte-order mark" 0 "growth.sweep: ok (lhs design" \
  "$SYNOVIA" check "$TMP/sc/growth.sweep"
printf 'r, K\n0.5, 10\n1.0, 20\n' >"$TMP/sc/d.csv"
bom "$TMP/sc/d.csv" "$TMP/sc/bom.csv"
printf 'sweep "b"\nscenario "growth.scenario"\ndesign file "bom.csv"\n' >"$TMP/sc/csv.sweep"
expect "check: a design file starting with a byte-order mark" 0 "csv.sweep: ok (file design, 2 samples" \
  "$SYNOVIA" check "$TMP/sc/csv.sweep"

mkdir -p "$TMP/imp/sub"
printf 'param k = 1 /h\n' >"$TMP/imp/lib.model"
ln -s lib.model "$TMP/imp/link.model"
cat >"$TMP/imp/root.model" <<EOF2
model "one library, four spellings"
time unit h
import "lib.model"
import "$TMP/imp/lib.model"
import "link.model"
import "sub/../lib.model"
state X = 1
d/dt X = -k * X
EOF2
expect "an import by relative and absolute path and through a symlink loads once" 0 \
  "root.model: ok (1 state, 1 parameter, 0 outputs)" "$SYNOVIA" check "$TMP/imp/root.model"
(cd "$TMP/imp" && "$OLDPWD/$SYNOVIA" info root.model) >"$TMP/out" 2>&1
check "info lists the library once" grep -q "^files: root.model lib.model$" "$TMP/out"
finish
