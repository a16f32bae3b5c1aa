# synovia — replay every input of the fuzz corpus (seeds and past crashers)
# through the libFuzzer harness built with ASan + UBSan: none may crash or leak.
. tests/lib/tap.sh
FUZZ=$BUILD/fuzz/fuzz_model
if [ ! -x "$FUZZ" ]; then not_ok "fuzz harness $FUZZ is built"; finish; exit 1; fi
n=$(find tests/fuzz/corpus -type f | wc -l)
check "the corpus has seeds and crashers ($n files)" test "$n" -ge 20
for f in tests/fuzz/corpus/*; do
  if "$FUZZ" -runs=1 "$f" >"$TMP/out" 2>&1; then ok "replay $(basename "$f")"
  else not_ok "replay $(basename "$f")"; tail -30 "$TMP/out" | sed 's/^/# /'; fi
done
finish
