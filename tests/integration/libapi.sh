# synovia — the shared library libsynovia.so and its C API (docs/c-api.md):
# - versioned: the file libsynovia.so.MAJOR.MINOR.PATCH (include/synovia/version.h),
#   soname libsynovia.so.MAJOR, the link-time symlink libsynovia.so;
# - its dynamic symbol table holds exactly the functions the public headers
#   declare: the list is taken from the headers by the compiler (gcc -aux-info
#   on a file that includes every include/synovia/*.h) and compared both ways
#   with `nm -D --defined-only` (nothing internal or third-party exported,
#   every public function exported); nothing it needs is left undefined;
# - examples/c/decay.c builds against the build tree and against the library
#   `make install PREFIX=…` installed (pkg-config with PKG_CONFIG_PATH, run
#   with LD_LIBRARY_PATH), runs, and agrees with X0 e^(-k t); given a model
#   whose law is not decay, it says so and fails (its check can fail);
#   given a broken model, it prints a located error and fails;
# - the program's own objects linked with the library instead of the static
#   one write the same files, bit for bit, and the same error messages;
# - the program itself still links the library statically.
. tests/lib/tap.sh

unset MAKEFLAGS MFLAGS MAKELEVEL V
top=$(pwd)
CC=${CC:-cc}
ver=include/synovia/version.h
part() { sed -n "s/^#define SYN_VERSION_$1 \\([0-9][0-9]*\\).*/\\1/p" $ver; }
major=$(part MAJOR)
version=$major.$(part MINOR).$(part PATCH)
lib=$BUILD/release/libsynovia.so.$version

make lib BUILD="$BUILD" >"$TMP/out" 2>&1 || sed 's/^/# /' "$TMP/out"
check "make lib builds $lib" test -f "$lib"
if [ ! -f "$lib" ]; then finish; exit 1; fi

# --- the version in the file name and the soname ---------------------------------
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
check "soname is libsynovia.so.$major (got '$soname')" test "$soname" = "libsynovia.so.$major"
check "$BUILD/release/libsynovia.so.$major and libsynovia.so point to it" \
  test "$(readlink "$BUILD/release/libsynovia.so.$major")" = "libsynovia.so.$version" \
  -a "$(readlink "$BUILD/release/libsynovia.so")" = "libsynovia.so.$version"

# --- exported = declared in include/synovia/*.h, both ways ------------------------------
for h in include/synovia/*.h; do echo "#include \"synovia/${h##*/}\""; done >"$TMP/all.c"
"$CC" -std=c11 -Iinclude -fsyntax-only -aux-info "$TMP/aux" "$TMP/all.c" 2>"$TMP/out"
check "the public headers compile together" test $? -eq 0
# "/* include/synovia/model.h:75:NC */ extern syn_status syn_model_load (const char *, ...);"
grep '^/\* include/synovia/[^:]*\.h:' "$TMP/aux" |
  sed -n 's/^\/\* [^ ]* \*\/ *extern [^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\) (.*/\1/p' | sort -u >"$TMP/declared"
nm -D --defined-only "$lib" | awk '{ print $NF }' | sort -u >"$TMP/exported"
check "the headers declare functions ($(wc -l <"$TMP/declared") found)" test -s "$TMP/declared"
comm -13 "$TMP/declared" "$TMP/exported" >"$TMP/leaked"
check "nothing but the public API is exported ($(wc -l <"$TMP/exported") symbols)" test ! -s "$TMP/leaked"
head -20 "$TMP/leaked" | sed 's/^/# exported but in no public header: /'
comm -23 "$TMP/declared" "$TMP/exported" >"$TMP/missing"
check "every function the public headers declare is exported" test ! -s "$TMP/missing"
while read -r f; do
  where=$(grep "[ *]$f (" "$TMP/aux" | sed -n 's/^\/\* \([^:]*:[0-9]*\).*/\1/p' | head -1)
  echo "# not exported: $f ($where; its header needs #pragma GCC visibility push(default)/pop, or it is not defined)"
done <"$TMP/missing"
# SUNDIALS is linked in statically: its names must stay inside
check "no SUNDIALS symbol is exported" sh -c '! grep -Eq "^(CVode|KIN|N_V|SUN)" "$1"' - "$TMP/exported"
nm -D --undefined-only "$lib" | awk '{ print $NF }' | grep -E '^(CVode|KIN|N_V|SUN|syn_)' >"$TMP/undef"
check "it needs no SUNDIALS or synovia symbol from outside" test ! -s "$TMP/undef"

readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p' >"$TMP/needed"
sed 's/^/# needs /' "$TMP/needed"
check "it is not linked with MPI (only the plugin it loads under mpirun is)" \
  sh -c '! grep -q "^libmpi" "$1"' - "$TMP/needed"
if command -v c++ >/dev/null 2>&1; then
  c++ -Wall -Wextra -Werror -Iinclude -fsyntax-only -x c++ "$TMP/all.c" >"$TMP/out" 2>&1
  check "the public headers compile as C++ too (extern \"C\")" test $? -eq 0
  sed 's/^/# /' "$TMP/out"
else
  ok "the public headers compile as C++ too # SKIP no c++ compiler"
fi

# --- the example against the build tree --------------------------------------------
build_abs=$(cd "$BUILD/release" && pwd)
WARN="-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror"
"$CC" -std=c11 $WARN -Iinclude examples/c/decay.c -L"$BUILD/release" -lsynovia -lm \
  -Wl,-rpath,"$build_abs" -o "$TMP/decay-build" >"$TMP/out" 2>&1
check "examples/c/decay.c builds against $BUILD/release/libsynovia.so" test $? -eq 0
sed 's/^/# /' "$TMP/out"
"$TMP/decay-build" >"$TMP/run.out" 2>&1
check "it runs and agrees with X0 e^(-k t)" \
  sh -c '[ "$1" -eq 0 ] && grep -q "agrees with X0 e^(-k t)" "$2"' - $? "$TMP/run.out"
sed 's/^/# /' "$TMP/run.out"
check "it uses the build tree's libsynovia.so.$major (ldd)" \
  sh -c 'ldd "$1" | grep -q "libsynovia.so.$2 => $3/libsynovia.so.$2"' - "$TMP/decay-build" "$major" "$build_abs"

# The shipped model and a rate given with a unit (0.3 /d = 0.0125 /h)
"$TMP/decay-build" models/exponential_decay.model "0.3 /d" >"$TMP/run.out" 2>&1
rc=$?
check "it runs models/exponential_decay.model with k = 0.3 /d (converted to 0.0125 1/h)" \
  sh -c '[ "$1" -eq 0 ] && grep -q "k = 0.0125 1/h" "$2" && grep -q "agrees with" "$2"' - $rc "$TMP/run.out"
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/run.out"

# Its check can fail: a model that is not pure decay
sed 's|^d/dt X = -k \* X$|d/dt X = -k * X + 1 mg/h|' models/exponential_decay.model >"$TMP/source.model"
check "a test model with a source term differs from models/exponential_decay.model" \
  sh -c '! cmp -s "$1" models/exponential_decay.model' - "$TMP/source.model"
"$TMP/decay-build" "$TMP/source.model" >"$TMP/run.out" 2>"$TMP/err.out"
rc=$?
check "given dX/dt = -k X + 1, it reports the disagreement and exits 1" \
  sh -c '[ "$1" -eq 1 ] && grep -q "^decay: error: X differs from X0 e^(-k t)" "$2"' - $rc "$TMP/err.out"
sed 's/^/# /' "$TMP/err.out"

# Errors come back as syn_status + syn_error, formatted like the program's
printf 'time unit h\nparam k = 0.5 /h\nstate X = 100 mg\nd/dt X = -k * Y\n' >"$TMP/bad.model"
"$TMP/decay-build" "$TMP/bad.model" >"$TMP/run.out" 2>"$TMP/err.out"
rc=$?
check "a broken model: exit 1 and a located error (file:4:col: error: ...)" \
  sh -c '[ "$1" -eq 1 ] && grep -q "bad.model:4:[0-9]*: error: " "$2"' - $rc "$TMP/err.out"
sed 's/^/# /' "$TMP/err.out"
"$TMP/decay-build" models/exponential_decay.model "0.3 mg" >"$TMP/run.out" 2>"$TMP/err.out"
check "a value for k in a unit of another dimension: exit 1, the error names k" \
  sh -c '[ "$1" -eq 1 ] && grep -q "error: .*\<k\>" "$2"' - $? "$TMP/err.out"
sed 's/^/# /' "$TMP/err.out"

# --- the example against the installed library ----------------------------------------
prefix=$TMP/prefix
make install BUILD="$BUILD" PREFIX="$prefix" >"$TMP/out" 2>&1
rc=$?
check "make install PREFIX=… succeeds" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out"
check "installs lib/libsynovia.so.$version, its soname link and libsynovia.so" \
  test -f "$prefix/lib/libsynovia.so.$version" \
  -a "$(readlink "$prefix/lib/libsynovia.so.$major")" = "libsynovia.so.$version" \
  -a "$(readlink "$prefix/lib/libsynovia.so")" = "libsynovia.so.$version"
(cd include/synovia && ls *.h) >"$TMP/headers"
(cd "$prefix/include/synovia" 2>/dev/null && ls *.h) >"$TMP/installed-headers"
check "installs every public header in include/synovia/ ($(wc -l <"$TMP/headers"))" \
  cmp -s "$TMP/headers" "$TMP/installed-headers"
pc=$prefix/lib/pkgconfig/synovia.pc
check "installs lib/pkgconfig/synovia.pc, no @…@ left" \
  sh -c '[ -f "$1" ] && ! grep -q "@[A-Z_]*@" "$1"' - "$pc"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
pkg-config --validate synovia >"$TMP/out" 2>&1
check "pkg-config --validate synovia accepts it" test $? -eq 0
sed 's/^/# /' "$TMP/out"
check "pkg-config --modversion synovia is $version" test "$(pkg-config --modversion synovia)" = "$version"
flags=$(pkg-config --cflags --libs synovia)
check "pkg-config --cflags --libs synovia names the installed include/ and lib/ ($flags)" \
  sh -c 'echo " $1 " | grep -q " -I$2/include .*-L$2/lib -lsynovia "' - "$flags" "$prefix"
mkdir -p "$TMP/user"
cp "$prefix/share/synovia/examples/c/decay.c" "$TMP/user/" 2>/dev/null
cd "$TMP/user" || exit 2
# shellcheck disable=SC2086
"$CC" -std=c11 $WARN decay.c $flags -lm -o decay >"$TMP/out" 2>&1
check "the installed examples/c/decay.c builds with pkg-config's flags alone" test $? -eq 0
sed 's/^/# /' "$TMP/out"
LD_LIBRARY_PATH="$prefix/lib" ldd ./decay >"$TMP/ldd" 2>&1
check "with LD_LIBRARY_PATH it loads the installed libsynovia.so.$major" \
  grep -q "libsynovia.so.$major => $prefix/lib/libsynovia.so.$major" "$TMP/ldd"
LD_LIBRARY_PATH="$prefix/lib" ./decay "$prefix/share/synovia/models/exponential_decay.model" \
  >"$TMP/run.out" 2>&1
check "it runs the installed exponential_decay.model and agrees with X0 e^(-k t)" \
  sh -c '[ "$1" -eq 0 ] && grep -q "agrees with X0 e^(-k t)" "$2"' - $? "$TMP/run.out"
sed 's/^/# /' "$TMP/run.out"
cd "$top" || exit 2

# --- the whole program through it ------------------------------------------------------
# The program's own objects linked with libsynovia.so (make's synovia-shared):
# the CLI uses only the public API, so it links only when the library exports
# all of it; its files must be the static program's, bit for bit (the
# attributes naming the build's version and git revision aside: the two
# programs' version.o may come from different commits in a reused build).
make "$BUILD/release/synovia-shared" BUILD="$BUILD" >"$TMP/out" 2>&1
rc=$?
check "the program's objects link against libsynovia.so alone (synovia-shared)" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out"
cat >"$TMP/same.py" <<'EOF'
import sys
sys.path.insert(0, "tests/support")
import h5py
import h5same
h5same.VOLATILE |= {"source", "synovia_version", "config_sha256"}  # (over the version too)
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    d = h5same.differ(a, b)
if d:
    print("differ:", d)
sys.exit(1 if d else 0)
EOF
for input in examples/knee_ia_vs_iv.scenario examples/two_knees.scenario models/robertson.model; do
  rm -f "$TMP/static.h5" "$TMP/shared.h5"
  "$SYNOVIA" run "$input" -q -o "$TMP/static.h5" >"$TMP/out" 2>&1 &&
    "$BUILD/release/synovia-shared" run "$input" -q -o "$TMP/shared.h5" >>"$TMP/out" 2>&1 &&
    "$PYTHON" "$TMP/same.py" "$TMP/static.h5" "$TMP/shared.h5" >>"$TMP/out" 2>&1
  rc=$?
  check "synovia run $input: through libsynovia.so, the same file bit for bit" test $rc -eq 0
  [ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out"
done
rm -f "$TMP/static.h5" "$TMP/shared.h5"
"$SYNOVIA" sweep examples/ia_dose_grid.sweep -q -o "$TMP/static.h5" >"$TMP/out" 2>&1 &&
  "$BUILD/release/synovia-shared" sweep examples/ia_dose_grid.sweep -q -o "$TMP/shared.h5" >>"$TMP/out" 2>&1 &&
  "$PYTHON" "$TMP/same.py" "$TMP/static.h5" "$TMP/shared.h5" >>"$TMP/out" 2>&1
rc=$?
check "synovia sweep examples/ia_dose_grid.sweep: through libsynovia.so, the same file bit for bit" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/out"
"$SYNOVIA" check "$TMP/bad.model" >"$TMP/static.err" 2>&1
rc1=$?
"$BUILD/release/synovia-shared" check "$TMP/bad.model" >"$TMP/shared.err" 2>&1
rc2=$?
check "synovia check on a broken model: the same message and exit status ($rc1) through it" \
  sh -c '[ "$1" -eq "$2" ] && [ "$1" -ne 0 ] && cmp -s "$3" "$4"' - $rc1 $rc2 "$TMP/static.err" "$TMP/shared.err"

# --- the program is not linked with it -------------------------------------------------
check "the synovia program does not load libsynovia.so (static as before)" \
  sh -c '! ldd "$1" | grep -q libsynovia' - "$SYNOVIA"
finish
