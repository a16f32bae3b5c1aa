# synovia — the build's own SUNDIALS and the program's start-up (docs/building.md):
# the program is linked with the SUNDIALS built optimised from Debian's source
# package (static), HDF5 and LAPACK static, MPI in a plugin loaded only under
# a launcher, so it loads none of the shared libraries that only those brought; scripts/sundials.sh does nothing when its
# build is there with the same version and flags; SUNDIALS_DIR chooses another
# SUNDIALS, with a clear message when it is not one; `make clean` keeps the
# SUNDIALS build, `make distclean` does not.
. tests/lib/tap.sh

unset MAKEFLAGS MFLAGS MAKELEVEL V
prefix=$BUILD/sundials/6.4.1

# --- what the program loads
ldd "$SYNOVIA" >"$TMP/ldd" 2>&1
sed 's/^/# /' "$TMP/ldd"
check "the program loads no shared SUNDIALS library (linked static, optimised)" \
  sh -c '! grep -q libsundials "$1"' - "$TMP/ldd"
check "nor HDF5's curl, ssl, krb5 and ldap (HDF5 static)" \
  sh -c '! grep -Eq "lib(hdf5|curl|ssl|gssapi_krb5|ldap)" "$1"' - "$TMP/ldd"
check "nor LAPACK, BLAS, gfortran (LAPACK static)" \
  sh -c '! grep -Eq "lib(lapack|blas|gfortran|quadmath)" "$1"' - "$TMP/ldd"
check "nor Open MPI (its plugin is loaded only under mpirun: tests/integration/sweep.sh)" \
  sh -c '! grep -Eq "lib(mpi|open-rte|open-pal|hwloc|pmix|event)" "$1"' - "$TMP/ldd"

# --- the SUNDIALS build: there, -O2, and cached
check "SUNDIALS 6.4.1 is built in $prefix (-O2, CVODE, CVODES, KINSOL, KLU)" sh -c '
  grep -q "^sundials 6.4.1+dfsg1-3 -O2 " "$1/.stamp" &&
  for l in cvode cvodes kinsol nvecserial sunmatrixdense sunmatrixsparse sunlinsoldense sunlinsolklu; do
    [ -f "$1/lib/libsundials_$l.a" ] || exit 1
  done' - "$prefix"
check "its log is build/sundials/sundials.log" test -s "$BUILD/sundials/sundials.log"
cp "$prefix/.stamp" "$TMP/stamp"
CC=gcc scripts/sundials.sh "$prefix" >"$TMP/out" 2>&1
rc=$?
check "scripts/sundials.sh with the same version and flags: nothing to do, silent" \
  sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ] && cmp -s "$3" "$4/.stamp"' - $rc "$TMP/out" "$TMP/stamp" "$prefix"
make -n BUILD="$BUILD" "$BUILD/release/synovia" >"$TMP/out" 2>&1
check "make does not rebuild it" sh -c '! grep -q sundials.sh "$1"' - "$TMP/out"

# --- SUNDIALS_DIR: another installation (here the same build, as a site would hand it over)
make -n V=1 BUILD="$TMP/site" SUNDIALS_DIR="$(cd "$prefix" && pwd)" "$TMP/site/release/synovia" \
  >"$TMP/out" 2>&1
check "SUNDIALS_DIR=PREFIX: compiles with PREFIX/include, links PREFIX/lib, builds no SUNDIALS" sh -c '
  grep -q -- "-isystem $2/include .*-c src/solve/solver.c" "$1" && grep -q -- "-L$2/lib .*-lsundials_cvode" "$1" &&
  ! grep -q sundials.sh "$1"' - "$TMP/out" "$(cd "$prefix" && pwd)"
make BUILD="$TMP/site" SUNDIALS_DIR="$TMP/nowhere" >"$TMP/out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/out"
check "SUNDIALS_DIR=a folder without SUNDIALS: fails with one message saying what to give" sh -c '
  [ "$1" -ne 0 ] && grep -q "SUNDIALS_DIR=$2 has no include/cvode/cvode.h (give the prefix of a SUNDIALS 6.x or 7.x installation" "$3"' \
  - $rc "$TMP/nowhere" "$TMP/out"

# --- clean keeps the SUNDIALS build, distclean removes it
mkdir -p "$TMP/cb/sundials/6.4.1" "$TMP/cb/release"
touch "$TMP/cb/sundials/6.4.1/.stamp" "$TMP/cb/release/synovia" "$TMP/cb/.deps-build-ok"
make BUILD="$TMP/cb" clean >/dev/null 2>&1
check "make clean removes the build but keeps build/sundials/" sh -c '
  [ -f "$1/sundials/6.4.1/.stamp" ] && [ ! -e "$1/release" ] && [ ! -e "$1/.deps-build-ok" ]' - "$TMP/cb"
make BUILD="$TMP/cb" distclean >/dev/null 2>&1
check "make distclean removes it all" test ! -e "$TMP/cb"
finish
