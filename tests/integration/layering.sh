# synovia — the layering of docs/design.md holds (scripts/deps-check.sh, also
# `make deps-check`): no file includes a header of a layer above it, and
# SUNDIALS, HDF5, MPI, GSL, nettle, LAPACKE and libSBML stay in their folders. Public
# headers (synovia/X.h) count as headers of their module's layer. The check
# itself is checked on a copy of the tree with one violation planted in each way.
. tests/lib/tap.sh
sh scripts/deps-check.sh >"$TMP/out" 2>&1
rc=$?
check "the tree respects the layering" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out"

plant() {  # name, file, line, pattern expected in the report
  rm -rf "$TMP/tree"; mkdir -p "$TMP/tree"
  cp -r src include scripts "$TMP/tree/"
  printf '%s\n' "$3" >>"$TMP/tree/$2"
  sh "$TMP/tree/scripts/deps-check.sh" >"$TMP/out" 2>&1
  rc=$?
  if [ $rc -ne 0 ] && grep -q -- "$4" "$TMP/out"; then ok "$1"
  else not_ok "$1 (exit $rc)"; sed 's/^/# /' "$TMP/out"; fi
}
plant "a layer including one above it is caught" src/io/result.c '#include "sweep/design.h"' \
  "src/io/result.c: includes a header of layer 'sweep'"
plant "a public header of a layer above is caught" src/base/alloc.c '#include "synovia/sweep.h"' \
  "src/base/alloc.c: includes a header of layer 'sweep'"
plant "io including the umbrella header (every layer) is caught" src/io/h5.c \
  '#include "synovia/synovia.h"' "src/io/h5.c: includes a header of layer 'problem'"
plant "a public header including one of a layer above is caught" include/synovia/h5.h \
  '#include "synovia/scenario.h"' "include/synovia/h5.h: includes a header of layer 'scenario'"
plant "a public header missing from the layer table is caught" include/synovia/extra.h \
  '#include "synovia/status.h"' "include/synovia/extra.h: a public header with no layer"
plant "mpi.h outside src/sweep is caught" src/scenario/schedule.c '#include <mpi.h>' \
  "src/scenario/schedule.c: includes <mpi"
plant "hdf5.h outside src/io is caught" src/sweep/run.c '#include <hdf5.h>' \
  "src/sweep/run.c: includes <hdf5"
plant "SUNDIALS outside src/solve is caught" src/model/vm.c '#include <cvode/cvode.h>' \
  "src/model/vm.c: includes <cvode"
plant "libSBML outside the SBML plugin is caught" src/sbml/load.c '#include <sbml/SBMLTypes.h>' \
  "src/sbml/load.c: includes <sbml/"
plant "a plugin (a layer's subfolder) including a layer above is caught" src/sbml/plugin/host.c \
  '#include "sweep/design.h"' "src/sbml/plugin/host.c: includes a header of layer 'sweep'"
finish
