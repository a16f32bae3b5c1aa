# synovia — the git revision in `synovia --version` and in every file's synovia_version
# follows HEAD: after a commit, or an edit of a tracked file, `make` recompiles
# src/base/version.c alone and the program names the new revision ("-dirty" for
# uncommitted changes); nothing is recompiled when nothing changed (the Makefile's
# GIT_REV_H). Done in a scratch git repository holding a copy of this tree, with a
# copy of the release build (so only what changes is compiled) and this build's SUNDIALS.
. tests/lib/tap.sh
unset MAKEFLAGS MFLAGS MAKELEVEL V GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

if ! command -v git >/dev/null 2>&1; then
  echo "1..0 # SKIP git is not installed"
  exit 0
fi
if [ "$(git rev-parse --is-inside-work-tree 2>/dev/null)" != true ]; then
  echo "1..0 # SKIP not a git checkout (the tree is copied from git ls-files)"
  exit 0
fi
if [ ! -x "$BUILD/release/synovia" ] || [ ! -d "$BUILD/release/obj" ] || [ ! -d "$BUILD/sundials" ]; then
  echo "1..0 # SKIP no release build in $BUILD (run make first)"
  exit 0
fi
b=$(cd "$BUILD" && pwd)
src=$TMP/src
mkdir -p "$src/build"
# The tracked files as they are in the working tree, with their times (tar keeps
# them), so that the copied objects stay newer than their sources.
git ls-files -z | xargs -0 tar -cf - --no-recursion --ignore-failed-read 2>/dev/null | tar -xf - -C "$src"
cp -a "$b/release" "$b/gen" "$src/build/"
[ -d "$b/mpi" ] && cp -a "$b/mpi" "$src/build/"
for f in .deps-build-ok .sundials-dir; do [ -f "$b/$f" ] && cp -a "$b/$f" "$src/build/"; done
ln -s "$b/sundials" "$src/build/sundials"

g() { git -C "$src" -c user.name=synovia-test -c user.email=test@synovia.invalid "$@"; }
# make in the scratch tree; the files it compiled, one a line, in $TMP/compiled
mk() {
  make -C "$src" BUILD=build build/release/synovia >"$TMP/make.out" 2>&1 || {
    sed 's/^/# /' "$TMP/make.out"
    return 1
  }
  sed -n 's/^  CC  *//p' "$TMP/make.out" >"$TMP/compiled"
}
version() { "$src/build/release/synovia" --version 2>&1; }

g init -q && g add -A && g commit -q -m one
mk
rev1=$(g rev-parse --short HEAD)
v1=$(version)
echo "# first build: $v1"
check "--version names HEAD after a commit and make ($rev1)" \
  sh -c 'case "$1" in *"($2)") ;; *) exit 1 ;; esac' - "$v1" "$rev1"

g commit -q --allow-empty -m two
mk
rev2=$(g rev-parse --short HEAD)
v2=$(version)
echo "# after a second commit: $v2"
check "after another commit and make, --version names the new HEAD ($rev2)" \
  sh -c 'case "$1" in *"($2)") ;; *) exit 1 ;; esac' - "$v2" "$rev2"
sed 's/^/# compiled: /' "$TMP/compiled"
check "that make compiled src/base/version.c and nothing else" \
  sh -c '[ "$(cat "$1")" = src/base/version.c ]' - "$TMP/compiled"

mk
check "make again without a change compiles nothing" test ! -s "$TMP/compiled"

echo "# an edit" >>"$src/README.md"
mk
v3=$(version)
echo "# after editing README.md: $v3"
check "an uncommitted edit of a tracked file: --version says ($rev2-dirty)" \
  sh -c 'case "$1" in *"($2-dirty)") ;; *) exit 1 ;; esac' - "$v3" "$rev2"
check "and only src/base/version.c was compiled for it" \
  sh -c '[ "$(cat "$1")" = src/base/version.c ]' - "$TMP/compiled"

g commit -q -a -m three
mk
rev3=$(g rev-parse --short HEAD)
"$src/build/release/synovia" run "$src/models/exponential_decay.model" -q -o "$TMP/run.h5" \
  >"$TMP/run.out" 2>&1 || sed 's/^/# /' "$TMP/run.out"
attr=$("$PYTHON" -c 'import sys, h5py
v = h5py.File(sys.argv[1], "r").attrs["synovia_version"]
print(v.decode() if isinstance(v, bytes) else v)' "$TMP/run.h5" 2>&1)
echo "# synovia_version of a run file after a third commit: $attr"
check "a run file's synovia_version names the new HEAD too ($rev3)" \
  sh -c 'case "$1" in *"($2)") ;; *) exit 1 ;; esac' - "$attr" "$rev3"
finish
