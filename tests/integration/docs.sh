# synovia — every ```model block in docs/*.md and README.md is a complete model:
# each must pass `synovia check` and run (`synovia run`, default times); every
# ```scenario block must check and run too (model paths are relative to the
# repository's top folder); every model and scenario under examples/ and
# models/ must check. Blocks fenced ```model-error are meant to fail: they must be
# rejected (exit 1) with a located message.
. tests/lib/tap.sh

extract() { # file -> numbered block files in $TMP/blocks/<file>-N.model(-error)
  awk -v dir="$TMP/blocks" -v base="$(basename "$1" .md)" '
    /^```model-error[ \t]*$/ { n++; out=sprintf("%s/%s-%d.model-error", dir, base, n); inb=1; next }
    /^```model[ \t]*$/       { n++; out=sprintf("%s/%s-%d.model", dir, base, n); inb=1; next }
    /^```scenario[ \t]*$/    { n++; out=sprintf("%s/%s-%d.scenario", dir, base, n); inb=1; next }
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
for m in models/*.model examples/*.model examples/*.scenario; do
  [ -f "$m" ] || continue
  if "$SYNOVIA" check "$m" >"$TMP/out" 2>&1; then ok "check $m"; else not_ok "check $m"; sed 's/^/# /' "$TMP/out"; fi
done
finish
