#!/bin/sh
# synovia — libSBML is loaded only when SBML is read or written (the SBML
# plugin, src/sbml/plugin_ops.h): the program is not linked with libsbml,
# libxml2 or the C++ run time, and `synovia --version` and a run of a .model
# do not load them; `synovia import` does, and works. When the plugin cannot be
# loaded (the test build's hook SYN_TEST_SBML_PLUGIN names a missing file
# instead), every SBML command says so in one message (what failed, the
# loader's reason), exits 1 and writes nothing; a .model still runs.
. tests/lib/tap.sh
D=tests/data/sbml
SBML_LIBS='libsbml|libxml2|libstdc\+\+'

# loaded "command..." -> the shared objects the command loaded (LD_DEBUG=files)
loaded() { LD_DEBUG=files "$@" 2>&1 >/dev/null | sed -n 's/.*file=\([^ ]*\) .*generating link map.*/\1/p'; }

check "ldd: the program is not linked with libsbml, libxml2, libstdc++" \
  sh -c '! ldd "$1" | grep -Eq "$2"' - "$SYNOVIA" "$SBML_LIBS"
loaded "$SYNOVIA" --version >"$TMP/version.libs"
sed 's/^/# --version loads: /' "$TMP/version.libs"
check "--version loads shared objects (the loader's trace is read)" test -s "$TMP/version.libs"
check "--version loads none of them" sh -c '! grep -Eq "$1" "$2"' - "$SBML_LIBS" "$TMP/version.libs"
loaded "$SYNOVIA" run models/exponential_decay.model -q -o "$TMP/run.h5" >"$TMP/run.libs"
check "a run of a .model loads none of them" sh -c '! grep -Eq "$1" "$2"' - "$SBML_LIBS" "$TMP/run.libs"
loaded "$SYNOVIA" import $D/decay.xml -o "$TMP/decay.model" >"$TMP/import.libs"
check "synovia import loads the plugin and libxml2" \
  sh -c 'grep -q "^/proc/self/fd/" "$1" && grep -q "libxml2" "$1"' - "$TMP/import.libs"
check "and imports" grep -q '^model "first-order conversion A -> B' "$TMP/decay.model"

# The plugin cannot be loaded: one message, exit 1, nothing written.
missing=/nonexistent/synovia-sbml.so
fails() { # name, command... (run by the ASan program with the hook set)
  name=$1; shift
  rm -f "$TMP/out"*
  SYN_TEST_SBML_PLUGIN=$missing "$SYNOVIA_ASAN" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
  rc=$?
  if [ $rc -eq 1 ] && grep -q "SBML support (libSBML, loaded when first needed) could not be loaded: $missing: cannot open shared object file: No such file or directory" "$TMP/stderr" &&
     [ "$(grep -c 'error' "$TMP/stderr")" = 1 ] && ! ls "$TMP"/out* >/dev/null 2>&1; then ok "$name"
  else not_ok "$name (exit $rc)"; sed 's/^/# /' "$TMP/stderr"; fi
}
fails "no plugin: import says why, exit 1, nothing written" import $D/decay.xml -o "$TMP/out.model"
fails "no plugin: run of an .xml model" run $D/decay.xml -q -o "$TMP/out.h5"
fails "no plugin: export --sbml" export --sbml models/exponential_decay.model -o "$TMP/out.xml"
SYN_TEST_SBML_PLUGIN=$missing "$SYNOVIA_ASAN" run models/exponential_decay.model -q -o "$TMP/plain.h5" \
  >"$TMP/plain.out" 2>&1
check "no plugin: a .model still runs" test -s "$TMP/plain.h5"
finish
