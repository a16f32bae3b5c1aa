# synovia — the files of the command-line program call each other without
# cycles (docs/design.md: each file's callers are above it). The graph comes
# from the objects of the release build: file A calls file B when A leaves a
# symbol undefined that B defines (nm). A cycle is printed as A -> B -> A.
. tests/lib/tap.sh
OBJ=$BUILD/release/obj/src/cli
if [ ! -f "$OBJ/main.o" ]; then
  echo "ok 1 # SKIP no release objects in $OBJ (run make first)"
  echo "1..1"
  exit 0
fi
for c in src/cli/*.c; do   # objects of the sources there are (not stale ones)
  f=$(basename "$c" .c) o=$OBJ/$(basename "$c" .c).o
  nm "$o" | awk -v f="$f" '$2 ~ /^[TDBR]$/ {print "def", f, $3} $1 == "U" {print "use", f, $2}'
done >"$TMP/symbols"

"$PYTHON" - "$TMP/symbols" >"$TMP/cycles" <<'EOF'
import sys
defs, uses = {}, {}
for line in open(sys.argv[1]):
    kind, f, sym = line.split()
    (defs.__setitem__(sym, f) if kind == "def" else uses.setdefault(f, set()).add(sym))
calls = {f: sorted({defs[s] for s in syms if s in defs and defs[s] != f})
         for f, syms in uses.items()}
state, stack = {}, []

def visit(f):
    state[f] = "open"
    stack.append(f)
    for g in calls.get(f, []):
        if state.get(g) == "open":
            print(" -> ".join(stack[stack.index(g):] + [g]))
        elif g not in state:
            visit(g)
    stack.pop()
    state[f] = "done"

for f in sorted(calls):
    if f not in state:
        visit(f)
EOF
if [ -s "$TMP/cycles" ]; then
  not_ok "no call cycle between the files of src/cli"
  sed 's/^/# cycle: /' "$TMP/cycles"
else
  ok "no call cycle between the files of src/cli"
fi
check "the demonstration's table is not in cmd_scenario.c" \
  sh -c "! grep -q 'demo_markers' src/cli/cmd_scenario.c"
finish
