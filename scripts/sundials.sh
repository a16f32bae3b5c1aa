#!/bin/sh
# synovia — build the SUNDIALS the program links: Debian's own source package
# of the version Debian 12 ships, optimised, static, into the build tree.
#
#   scripts/sundials.sh PREFIX      (the Makefile runs it; PREFIX e.g. build/sundials/6.4.1)
#
# Why: Debian 12's libsundials-dev is built without optimisation (its rules
# pass -DCMAKE_C_FLAGS=-fcommon, which replaces the distribution's -O2), and
# the same 6.4.1 at -O2 solves 2-2.5x faster with bitwise-identical results.
#
# What: CVODE, CVODES (for the sensitivities to come), KINSOL, the serial
# N_Vector, the dense and sparse SUNMatrix and the dense and KLU
# SUNLinearSolver (KLU from Debian's libsuitesparse-dev), and what those pull
# in; static libraries, installed in PREFIX, position-independent (PIC: the
# program is a PIE, and libsynovia.so links them into a shared object).
#
# Cached: PREFIX/.stamp holds the version and the flags; when they are those
# below, nothing is done (a second run costs nothing). The downloaded source
# files stay in PREFIX/../dl (about 15 MB), so a change of flags rebuilds
# without the network. Quiet: one line on stderr; everything else, the
# download, CMake and the compiler, goes to PREFIX/../sundials.log, whose end
# is shown if a step fails.
#
# The source: `apt-get source` with a deb-src list of our own (in the build
# tree, so it works without root and leaves /etc/apt alone; apt checks the
# files against Debian's signed Release), or failing that the files of the
# same version straight from Debian's pool, then from snapshot.debian.org.
# Either way each file must have the SHA-256 pinned below.
set -eu

DEB_VERSION=6.4.1+dfsg1-3
UPSTREAM=6.4.1
OPT=-O2
# name<TAB>sha256 of the source package's files
FILES='sundials_6.4.1+dfsg1-3.dsc	f431a056ef33e85f331cfb1611da444fd5ff3d03873b6dec0cfdb319b8c972ab
sundials_6.4.1+dfsg1.orig.tar.xz	c61157f1d4be06c704bea40cb131eb63ba2dada161989071604d0a0959cdf04a
sundials_6.4.1+dfsg1-3.debian.tar.xz	24e9a089401d34a244553c790c5ea32fa794d097005ef4fe7565cc04ba294824'
POOL=pool/main/s/sundials
MIRRORS="http://deb.debian.org/debian http://snapshot.debian.org/archive/debian/20250520T000000Z"

[ $# = 1 ] || { echo "usage: scripts/sundials.sh PREFIX" >&2; exit 2; }
mkdir -p "$1"
prefix=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
base=$(dirname "$prefix")
log=$base/sundials.log
dl=$base/dl
work=$base/work-$UPSTREAM
shown=$log
case $log in "$top"/*) shown=${log#"$top"/} ;; esac

multiarch=$(gcc -print-multiarch 2>/dev/null || :)
klu_libdir=/usr/lib${multiarch:+/$multiarch}
CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE=$OPT
 -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON
 -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON
 -DBUILD_CVODE=ON -DBUILD_CVODES=ON -DBUILD_KINSOL=ON
 -DBUILD_ARKODE=OFF -DBUILD_IDA=OFF -DBUILD_IDAS=OFF
 -DSUNDIALS_PRECISION=double -DSUNDIALS_INDEX_SIZE=64
 -DENABLE_KLU=ON -DKLU_INCLUDE_DIR=/usr/include/suitesparse -DKLU_LIBRARY_DIR=$klu_libdir
 -DENABLE_MPI=OFF -DENABLE_OPENMP=OFF -DENABLE_PTHREAD=OFF -DENABLE_LAPACK=OFF
 -DBUILD_FORTRAN_MODULE_INTERFACE=OFF -DEXAMPLES_ENABLE_C=OFF -DEXAMPLES_ENABLE_CXX=OFF
 -DEXAMPLES_INSTALL=OFF -DSUNDIALS_TEST_UNITTESTS=OFF"
cc=${CC:-cc}
# the compiler's version line without its name (cc and gcc are the same compiler)
stamp_text="sundials $DEB_VERSION $OPT $(echo $CMAKE_ARGS) $($cc --version 2>/dev/null | sed -n '1s/^[^ ]* //p')"
export CC="$cc"

if [ -f "$prefix/.stamp" ] && [ "$(cat "$prefix/.stamp")" = "$stamp_text" ]; then
  touch "$prefix/.stamp" # newer than this script: make need not ask again
  exit 0
fi

echo "  building SUNDIALS $UPSTREAM ($OPT) — log in $shown" >&2
: >"$log"
fail() {
  echo "synovia: scripts/sundials.sh: $1; the end of $shown:" >&2
  tail -n 15 "$log" | sed 's/^/  /' >&2
  exit 1
}
say() { echo "# $(date -u '+%H:%M:%S') $*" >>"$log"; }

# --- the source files, each checked against its pinned SHA-256 --------------------
have_all() {
  printf '%s\n' "$FILES" | while IFS='	' read -r f sum; do
    echo "$sum  $dl/$f" | sha256sum -c --status - 2>/dev/null || return 1
  done
}

fetch_with_apt_source() {
  apt=$base/apt
  rm -rf "$apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts"
  cat >"$apt/sources.list" <<EOF
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
EOF
  set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts" \
    -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o Debug::NoLocking=1 \
    -o APT::Sandbox::User="$(id -un)"
  say "apt-get update (our deb-src list only, in $apt)"
  apt-get "$@" update >>"$log" 2>&1 || return 1
  say "apt-get source --download-only sundials=$DEB_VERSION"
  (cd "$dl" && apt-get "$@" source --download-only "sundials=$DEB_VERSION") >>"$log" 2>&1
  rc=$?
  rm -rf "$apt" # 20 MB of package lists, needed no more
  return $rc
}

fetch_from_pool() {
  printf '%s\n' "$FILES" | while IFS='	' read -r f sum; do
    echo "$sum  $dl/$f" | sha256sum -c --status - 2>/dev/null && continue
    ok=0
    for m in $MIRRORS; do
      say "download $m/$POOL/$f"
      if /usr/lib/apt/apt-helper download-file "$m/$POOL/$f" "$dl/$f" "SHA256:$sum" >>"$log" 2>&1
      then ok=1; break; fi
    done
    [ $ok = 1 ] || return 1
  done
}

mkdir -p "$dl"
if ! have_all; then
  fetch_with_apt_source || say "apt-get source failed; trying Debian's pool"
  have_all || fetch_from_pool || :
  have_all || {
    printf '%s\n' "$FILES" | while IFS='	' read -r f sum; do
      echo "$sum  $dl/$f" | sha256sum -c - >>"$log" 2>&1 || :
    done
    fail "could not get Debian's source package sundials $DEB_VERSION with the pinned SHA-256 (no network? put the files in ${dl#"$top"/}/)"
  }
fi

# --- unpack (with Debian's patches), configure, build, install ----------------------
rm -rf "$work"
mkdir -p "$work"
say "dpkg-source -x"
dpkg-source -x "$dl/sundials_$DEB_VERSION.dsc" "$work/src" >>"$log" 2>&1 ||
  fail "dpkg-source could not unpack the source package"
say "cmake configure"
# shellcheck disable=SC2086
cmake -S "$work/src" -B "$work/obj" -DCMAKE_INSTALL_PREFIX="$prefix" $CMAKE_ARGS >>"$log" 2>&1 ||
  fail "CMake could not configure SUNDIALS"
say "build"
cmake --build "$work/obj" -j"${SUNDIALS_JOBS:-$(nproc 2>/dev/null || echo 1)}" >>"$log" 2>&1 ||
  fail "SUNDIALS did not build"
rm -rf "$prefix"
cmake --install "$work/obj" >>"$log" 2>&1 || fail "SUNDIALS did not install"
rm -rf "$work"
echo "$stamp_text" >"$prefix/.stamp"
say "done: $prefix"
