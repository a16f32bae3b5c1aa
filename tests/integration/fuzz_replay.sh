# synovia — replay every input of the fuzz corpus (seeds and past crashers)
# through the libFuzzer harnesses (models, scenarios) built with ASan + UBSan:
# none may crash or leak.
. tests/lib/tap.sh
FUZZ=$BUILD/fuzz/fuzz_model
if [ ! -x "$FUZZ" ]; then not_ok "fuzz harness $FUZZ is built"; finish; exit 1; fi
n=$(find tests/fuzz/corpus -type f | wc -l)
check "the corpus has seeds and crashers ($n files)" test "$n" -ge 20
for f in tests/fuzz/corpus/*; do
  if "$FUZZ" -runs=1 "$f" >"$TMP/out" 2>&1; then ok "replay $(basename "$f")"
  else not_ok "replay $(basename "$f")"; tail -30 "$TMP/out" | sed 's/^/# /'; fi
done
# the scenario parser and loader (tests/fuzz/fuzz_scenario.c)
FUZZ_SCN=$BUILD/fuzz/fuzz_scenario
if [ ! -x "$FUZZ_SCN" ]; then not_ok "fuzz harness $FUZZ_SCN is built"; finish; exit 1; fi
n=$(find tests/fuzz/scenario_corpus -type f | wc -l)
check "the scenario corpus has seeds ($n files)" test "$n" -ge 5
for f in tests/fuzz/scenario_corpus/*; do
  if "$FUZZ_SCN" -runs=1 "$f" >"$TMP/out" 2>&1; then ok "replay scenario $(basename "$f")"
  else not_ok "replay scenario $(basename "$f")"; tail -30 "$TMP/out" | sed 's/^/# /'; fi
done
finish
