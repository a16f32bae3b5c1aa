# synovia — `make install`: the program and synovia-plot side by side in
# PREFIX/bin (synovia report finds the plot script next to the program), the
# Slurm templates in PREFIX/share/synovia/slurm/, the models and examples in
# PREFIX/share/synovia/ (the scenarios' "../models/…" paths still hold), the
# docs in PREFIX/share/doc/synovia/; DESTDIR prefixes every path. The
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
         share/doc/synovia/README.md share/doc/synovia/tutorial.md share/doc/synovia/img/tutorial-ia-vs-iv.png; do
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
finish
