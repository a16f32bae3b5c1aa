# synovia — every ```model block in docs/*.md and README.md is a complete model:
# each must pass `synovia check` and run (`synovia run`, default times); every
# ```scenario block must check and run too (model paths are relative to the
# repository's top folder); every model and scenario under examples/ and
# models/ must check. Blocks fenced ```model-error are meant to fail: they must be
# rejected (exit 1) with a located message.
# Sweeps (docs/sweeps.md): every ```sweep block must load (`synovia sweep
# --dry-run` resolves every name, unit and design) and those of at most 500
# samples must run. "```sweep NAME.sweep" and "```csv NAME" save the block
# under that name (a design file, or a sweep whose result NAME.h5 a snippet
# reads). The ```python blocks of docs/sweeps.md run in the blocks folder on
# those results and on small copies of examples/ia_iv_sobol.sweep (N = 16,
# second order) and examples/virtual_population.sweep (64 samples), written as
# ia_iv_sobol.h5 and virtual_population.h5; a block that imports SALib is
# skipped when SALib is not installed.
# Fit files (docs/fitting.md): every ```fit block must pass `synovia check`
# ("```fit NAME.fit" saves it under that name, "```csv NAME" and "```tsv
# NAME" save its data tables), every ```fit-error block must be rejected
# (exit 1) with a located message; the fit files under examples/fit/ must check.
. tests/lib/tap.sh

extract() { # file -> numbered block files in $TMP/blocks/<file>-N.model(-error)
  py=0; [ "$1" = docs/sweeps.md ] && py=1
  awk -v dir="$TMP/blocks" -v base="$(basename "$1" .md)" -v py=$py '
    /^```model-error[ \t]*$/ { n++; out=sprintf("%s/%s-%d.model-error", dir, base, n); inb=1; next }
    /^```model[ \t]*$/       { n++; out=sprintf("%s/%s-%d.model", dir, base, n); inb=1; next }
    /^```scenario[ \t]*$/    { n++; out=sprintf("%s/%s-%d.scenario", dir, base, n); inb=1; next }
    /^```sweep[ \t]*$/       { n++; out=sprintf("%s/%s-%d.sweep", dir, base, n); inb=1; next }
    /^```fit[ \t]*$/         { n++; out=sprintf("%s/%s-%d.fit", dir, base, n); inb=1; next }
    /^```fit-error[ \t]*$/   { n++; out=sprintf("%s/%s-%d.err.fit", dir, base, n); inb=1; next }
    /^```(sweep|csv|tsv|fit) [A-Za-z0-9_.-]+[ \t]*$/ { out=dir "/" $2; inb=1; next }
    /^```python[ \t]*$/ && py { n++; out=sprintf("%s/%s-%d.py", dir, base, n); inb=1; next }
    /^```/ && inb            { inb=0; close(out); next }
    inb                      { print > out }
  ' "$1"
}

mkdir -p "$TMP/blocks"
for d in models examples tests; do ln -s "$(pwd)/$d" "$TMP/blocks/$d"; done
for f in docs/*.md README.md; do [ -f "$f" ] && extract "$f"; done

for b in "$TMP"/blocks/*.model; do
  [ -f "$b" ] || continue
  name="docs example $(basename "$b" .model)"
  if "$SYNOVIA" check "$b" >"$TMP/out" 2>&1 && "$SYNOVIA" run "$b" -q -o "$TMP/doc.h5" >>"$TMP/out" 2>&1
  then ok "$name checks and runs"; else not_ok "$name"; sed 's/^/# /' "$TMP/out"; fi
done
for b in "$TMP"/blocks/*.model-error; do
  [ -f "$b" ] || continue
  name="docs counter-example $(basename "$b" .model-error) is rejected with a location"
  "$SYNOVIA" check "$b" >"$TMP/out" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q ':[0-9]*:[0-9]*: error: ' "$TMP/out"; then ok "$name"; else not_ok "$name"; fi
done
for b in "$TMP"/blocks/*.scenario; do
  [ -f "$b" ] || continue
  name="docs scenario $(basename "$b" .scenario)"
  if "$SYNOVIA" check "$b" >"$TMP/out" 2>&1 && "$SYNOVIA" run "$b" -q -o "$TMP/doc.h5" >>"$TMP/out" 2>&1
  then ok "$name checks and runs"; else not_ok "$name"; sed 's/^/# /' "$TMP/out"; fi
done
for b in "$TMP"/blocks/*.sweep; do
  [ -f "$b" ] || continue
  name="docs sweep $(basename "$b" .sweep)"
  if ! "$SYNOVIA" sweep "$b" --dry-run -o "$TMP/dry.h5" >"$TMP/out" 2>&1; then
    not_ok "$name loads (--dry-run)"; sed 's/^/# /' "$TMP/out"; continue
  fi
  ok "$name loads (--dry-run)"
  n=$(sed -n 's/.*: \([0-9][0-9]*\) samples.*/\1/p' "$TMP/out" | head -1)
  [ -n "$n" ] && [ "$n" -le 500 ] || continue
  if "$SYNOVIA" sweep "$b" -q -o "${b%.sweep}.h5" >"$TMP/out" 2>&1 && [ -s "${b%.sweep}.h5" ]
  then ok "$name runs ($n samples)"; else not_ok "$name runs"; sed 's/^/# /' "$TMP/out"; fi
done

# Small copies of two examples, for the snippets that read their results.
small() { # example, sed script -> $TMP/blocks/<example>.h5
  sed -e 's#^scenario "\([^"/]*\)"#scenario "examples/\1"#' -e "$2" "examples/$1.sweep" >"$TMP/blocks/small-$1.sweep"
  if "$SYNOVIA" sweep "$TMP/blocks/small-$1.sweep" -q -o "$TMP/blocks/$1.h5" >"$TMP/out" 2>&1
  then ok "a small copy of examples/$1.sweep runs"; else not_ok "a small copy of examples/$1.sweep runs"; sed 's/^/# /' "$TMP/out"; fi
}
small ia_iv_sobol 's/^design saltelli [0-9]*\( second order\)\{0,1\}/design saltelli 16 second order/'
small virtual_population 's/^design lhs [0-9]*/design lhs 64/'
"$PYTHON" -c "import SALib" 2>/dev/null && salib=1 || salib=0
for b in "$TMP"/blocks/*.py; do
  [ -f "$b" ] || continue
  name="docs python $(basename "$b" .py) runs on the sweep results it reads"
  if grep -Eq '^(import|from) SALib' "$b" && [ $salib = 0 ]; then ok "$name # SKIP SALib is not installed"; continue; fi
  if (cd "$TMP/blocks" && "$PYTHON" "$b") >"$TMP/out" 2>&1; then ok "$name"
  else not_ok "$name"; sed 's/^/# /' "$TMP/out" | tail -15; fi
done
for b in "$TMP"/blocks/*.fit; do
  [ -f "$b" ] || continue
  case $b in
  *.err.fit)
    name="docs fit counter-example $(basename "$b" .err.fit) is rejected with a location"
    "$SYNOVIA" check "$b" >"$TMP/out" 2>&1
    rc=$?
    if [ $rc -eq 1 ] && grep -q ':[0-9]*:[0-9]*: error: ' "$TMP/out"; then ok "$name"; else not_ok "$name"; sed 's/^/# /' "$TMP/out"; fi ;;
  *)
    name="docs fit $(basename "$b" .fit) checks"
    if "$SYNOVIA" check "$b" >"$TMP/out" 2>&1; then ok "$name"; else not_ok "$name"; sed 's/^/# /' "$TMP/out"; fi ;;
  esac
done
for m in models/*.model examples/*.model examples/*.scenario examples/fit/*.fit; do
  [ -f "$m" ] || continue
  if "$SYNOVIA" check "$m" >"$TMP/out" 2>&1; then ok "check $m"; else not_ok "check $m"; sed 's/^/# /' "$TMP/out"; fi
done
finish
