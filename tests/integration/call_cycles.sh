# synovia — within each module of the library and in the program, files call
# each other without cycles (docs/design.md: each file's callers are above it).
# The graph comes from the objects of the release build: file A calls file B
# when A leaves a symbol undefined that B defines (nm). A cycle is printed as
# A -> B -> A. The checker is first shown to find a planted cycle.
. tests/lib/tap.sh
OBJ=$BUILD/release/obj/src
if [ ! -f "$OBJ/cli/main.o" ]; then
  echo "ok 1 # SKIP no release objects in $OBJ (run make first)"
  echo "1..1"
  exit 0
fi

symbols() { # folder of sources, folder of their objects -> "def|use FILE SYMBOL" lines
  for c in "$1"/*.c; do   # objects of the sources there are (not stale ones)
    f=$(basename "$c" .c)
    nm "$2/$f.o" | awk -v f="$f" '$2 ~ /^[TDBR]$/ {print "def", f, $3} $1 == "U" {print "use", f, $2}'
  done
}

cycles() { # symbols file -> one line per cycle
  "$PYTHON" - "$1" <<'PY'
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
PY
}

# The checker itself: two files that call each other are a cycle.
mkdir -p "$TMP/plant/src" "$TMP/plant/obj"
printf 'int pb(int);\nint pa(int x) { return x ? pb(x - 1) : 0; }\n' >"$TMP/plant/src/a.c"
printf 'int pa(int);\nint pb(int x) { return x ? pa(x - 1) : 1; }\n' >"$TMP/plant/src/b.c"
for f in a b; do cc -c "$TMP/plant/src/$f.c" -o "$TMP/plant/obj/$f.o"; done
symbols "$TMP/plant/src" "$TMP/plant/obj" >"$TMP/plant/symbols"
if [ "$(cycles "$TMP/plant/symbols")" = "a -> b -> a" ]; then
  ok "the checker finds a planted cycle (a -> b -> a)"
else
  not_ok "the checker finds a planted cycle (a -> b -> a)"
fi

for d in src/*/; do
  m=$(basename "$d")
  symbols "src/$m" "$OBJ/$m" >"$TMP/symbols-$m"
  cycles "$TMP/symbols-$m" >"$TMP/cycles-$m"
  if [ -s "$TMP/cycles-$m" ]; then
    not_ok "no call cycle between the files of src/$m"
    sed 's/^/# cycle: /' "$TMP/cycles-$m"
  else
    ok "no call cycle between the files of src/$m"
  fi
done
check "the demonstration's table is not in cmd_scenario.c" \
  sh -c "! grep -q 'demo_markers' src/cli/cmd_scenario.c"
finish
