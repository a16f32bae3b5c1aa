# synovia — `make install`: the program and synovia-plot side by side in
# PREFIX/bin (synovia report finds the plot script next to the program), the
# Slurm templates in PREFIX/share/synovia/slurm/, the models and examples in
# PREFIX/share/synovia/ (the scenarios' "../models/…" paths still hold), the
# docs in PREFIX/share/doc/synovia/, the C library in PREFIX/lib (LIBDIR) with
# its headers in PREFIX/include/synovia/ and PREFIX/lib/pkgconfig/synovia.pc
# (tests/integration/libapi.sh builds and runs a program against them);
# DESTDIR prefixes every path. The
# installed program runs from anywhere, with a PATH that knows nothing of the
# source tree.
. tests/lib/tap.sh

unset MAKEFLAGS MFLAGS MAKELEVEL V
top=$(pwd)
prefix=$TMP/prefix
make install BUILD="$BUILD" PREFIX="$prefix" >"$TMP/out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/out"
check "make install PREFIX=… succeeds" test $rc -eq 0
check "bin/synovia and bin/synovia-plot are installed, executable" \
  test -x "$prefix/bin/synovia" -a -x "$prefix/bin/synovia-plot"
for f in share/synovia/slurm/sweep-array.sbatch share/synovia/slurm/sweep-merge.sbatch \
         share/synovia/slurm/sweep-mpi.sbatch share/synovia/models/knee_oa.model \
         share/synovia/models/parts/msc_pk.model share/synovia/examples/knee_ia_vs_iv.scenario \
         share/synovia/examples/teaching/inflammation_switch.scenario \
         share/doc/synovia/README.md share/doc/synovia/tutorial.md share/doc/synovia/img/tutorial-ia-vs-iv.png \
         share/doc/synovia/c-api.md share/synovia/examples/c/decay.c \
         include/synovia/synovia.h include/synovia/status.h lib/pkgconfig/synovia.pc; do
  check "installs $f" test -f "$prefix/$f"
done

# the installed program, away from the source tree
mkdir -p "$TMP/work"
cd "$TMP/work" || exit 2
env -u SYNOVIA_PLOT PATH=/usr/bin:/bin "$prefix/bin/synovia" run >"$TMP/run.out" 2>&1
check "the installed synovia runs the demonstration" test -s synovia-demo.h5
[ -s synovia-demo.h5 ] || sed 's/^/# /' "$TMP/run.out"
env -u SYNOVIA_PLOT PATH=/usr/bin:/bin "$prefix/bin/synovia" report synovia-demo.h5 -o demo.html \
  >"$TMP/report.out" 2>&1
rc=$?
check "the installed synovia report finds the installed synovia-plot (figures embedded)" \
  sh -c '[ "$1" -eq 0 ] && grep -q "data:image/svg" demo.html' - $rc
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/report.out"
env PATH=/usr/bin:/bin "$prefix/bin/synovia" check "$prefix/share/synovia/examples/knee_ia_vs_iv.scenario" \
  >"$TMP/check.out" 2>&1
check "an installed example scenario finds its installed model" test $? -eq 0
cd "$top" || exit 2

# DESTDIR: a staged install for a package, every file under DESTDIR
make install BUILD="$BUILD" DESTDIR="$TMP/stage" PREFIX=/opt/synovia >"$TMP/out" 2>&1
check "make install DESTDIR=… PREFIX=/opt/synovia stages under DESTDIR" \
  test -x "$TMP/stage/opt/synovia/bin/synovia" -a -f "$TMP/stage/opt/synovia/share/synovia/slurm/sweep-mpi.sbatch"
check "nothing is written to PREFIX itself with DESTDIR" test ! -e /opt/synovia/bin/synovia
stage=$TMP/stage/opt/synovia
check "the library, its headers and synovia.pc are staged under DESTDIR too" \
  sh -c 'ls "$1"/lib/libsynovia.so.*.*.* >/dev/null 2>&1 && [ -f "$1/include/synovia/synovia.h" ] && [ -f "$1/lib/pkgconfig/synovia.pc" ]' - "$stage"
check "the staged synovia.pc names PREFIX, not DESTDIR (prefix=/opt/synovia, libdir=/opt/synovia/lib)" \
  sh -c 'grep -qx "prefix=/opt/synovia" "$1" && grep -qx "libdir=/opt/synovia/lib" "$1" && ! grep -q "$2" "$1"' - \
  "$stage/lib/pkgconfig/synovia.pc" "$TMP/stage"
make install BUILD="$BUILD" DESTDIR="$TMP/stage2" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu >"$TMP/out" 2>&1
check "LIBDIR=/usr/lib/x86_64-linux-gnu puts the library and synovia.pc there (libdir= in it)" \
  sh -c 'ls "$1"/usr/lib/x86_64-linux-gnu/libsynovia.so.*.*.* >/dev/null 2>&1 && grep -qx "libdir=/usr/lib/x86_64-linux-gnu" "$1/usr/lib/x86_64-linux-gnu/pkgconfig/synovia.pc"' - "$TMP/stage2"
finish
