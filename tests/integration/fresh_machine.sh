# synovia — what a new user meets first: the README's two commands
# (./synovia.sh demo / test) on a machine without the packages, the package
# list, the quiet build, and the files the README and the tutorial write.
#
# apt-get, dpkg-query and id are replaced by small fakes on PATH, so the
# script's two paths (root installs quietly with a log; another user gets the
# exact apt-get line) run here without touching the machine. The real run on a
# minimal Debian 12 chroot is described in the notes of issue 11.
. tests/lib/tap.sh

top=$(pwd)
fakes=$TMP/fakes
mkdir -p "$fakes"
# dpkg-query: the packages listed in $FAKE_MISSING ("all": every one) are not installed
cat >"$fakes/dpkg-query" <<'EOF'
#!/bin/sh
for p; do :; done
case " $FAKE_MISSING " in *" $p "* | *" all "*) exit 1 ;; esac
printf 'install ok installed'
EOF
cat >"$fakes/id" <<'EOF'
#!/bin/sh
echo "$FAKE_UID"
EOF
# apt-get: chatty like the real one; records its arguments; fails when asked
cat >"$fakes/apt-get" <<'EOF'
#!/bin/sh
echo "$*" >>"$FAKE_APT_CALLS"
i=0; while [ $i -lt 500 ]; do echo "Get:$i http://deb.debian.org/debian bookworm/main amd64 pkg$i"; i=$((i + 1)); done
[ -z "${FAKE_APT_FAIL:-}" ] || { echo "E: Unable to locate package $FAKE_APT_FAIL" >&2; exit 100; }
EOF
cat >"$fakes/make" <<'EOF'
#!/bin/sh
echo "make $*" >>"$FAKE_MAKE_CALLS"
EOF
chmod +x "$fakes"/*
export FAKE_APT_CALLS=$TMP/apt-calls FAKE_MAKE_CALLS=$TMP/make-calls
fake() { PATH="$fakes:$PATH" "$@"; }

# --- another user, packages missing: one message with the exact apt-get line, no build
FAKE_UID=1000 FAKE_MISSING="make gcc" fake ./synovia.sh demo BUILD="$TMP/b1" >"$TMP/out" 2>"$TMP/err"
rc=$?
sed 's/^/# /' "$TMP/err"
check "non-root, packages missing: fails" test $rc -ne 0
check "non-root: one message naming the exact apt-get line" sh -c '
  [ "$(wc -l <"$1")" -eq 2 ] &&
  grep -qx "synovia: 2 Debian packages are missing; install them as root (su or sudo), then run this again:" "$1" &&
  grep -qx "  apt-get install -y --no-install-recommends make gcc" "$1"' - "$TMP/err"
check "non-root: make is not run, apt-get is not run" test ! -e "$FAKE_MAKE_CALLS" -a ! -e "$FAKE_APT_CALLS"

# --- demo needs only the build packages; test needs the test ones too
FAKE_UID=1000 FAKE_MISSING=all fake ./synovia.sh demo BUILD="$TMP/b1" 2>"$TMP/err-demo"
FAKE_UID=1000 FAKE_MISSING=all fake ./synovia.sh test BUILD="$TMP/b1" 2>"$TMP/err-test"
build_pkgs=$(sh scripts/deps.sh --list build | awk '{ print $2 }' | tr '\n' ' ')
test_pkgs=$(sh scripts/deps.sh --list test | awk '$1 == "test" { print $2 }' | tr '\n' ' ')
check "demo asks for exactly the build packages" \
  test "$(grep apt-get "$TMP/err-demo")" = "  apt-get install -y --no-install-recommends ${build_pkgs% }"
check "test asks for the build and the test packages" \
  test "$(grep apt-get "$TMP/err-test")" = "  apt-get install -y --no-install-recommends $build_pkgs${test_pkgs% }"
for p in chromium strace hdf5-tools netcdf-bin python3-pandas python3-netcdf4 slurm-wlm munge \
         r-base-core r-cran-hdf5r r-cran-ncdf4 r-bioc-rhdf5 octave octave-netcdf; do
  case " $test_pkgs " in *" $p "*) ;; *) not_ok "$p is in the test list"; continue ;; esac
done
check "make and gcc are build packages (a minimal Debian has neither)" \
  sh -c 'case " $1 " in *" make "*) ;; *) exit 1 ;; esac; case " $1 " in *" gcc "*) ;; *) exit 1 ;; esac' - "$build_pkgs"

# --- root: installs quietly, one line; the whole apt log in the log file
FAKE_UID=0 FAKE_MISSING="gcc libgsl-dev" DEPS_LOG="$TMP/deps.log" fake sh scripts/deps.sh build \
  >"$TMP/out" 2>"$TMP/err"
rc=$?
sed 's/^/# /' "$TMP/err"
check "root: installs and succeeds" test $rc -eq 0
check "root: one line on the terminal, naming the log" sh -c '
  [ "$(cat "$1" "$2" | wc -l)" -eq 1 ] &&
  grep -qx "synovia: installing 2 Debian packages for '"'build'"' (log: $3) ..." "$2"' - \
  "$TMP/out" "$TMP/err" "$TMP/deps.log"
check "root: apt-get update, then install of just the missing ones" sh -c '
  grep -q "update" "$1" && grep -q "install -y --no-install-recommends gcc libgsl-dev\$" "$1"' - "$FAKE_APT_CALLS"
check "root: apt's output is in the log" test "$(grep -c '^Get:' "$TMP/deps.log")" -eq 1000
FAKE_UID=0 FAKE_MISSING="gcc" FAKE_APT_FAIL=gcc DEPS_LOG="$TMP/deps2.log" fake sh scripts/deps.sh build \
  >"$TMP/out" 2>"$TMP/err"
rc=$?
check "root, apt-get fails: non-zero, with apt's error and the log's name" sh -c '
  [ "$1" -ne 0 ] && grep -q "E: Unable to locate package gcc" "$2" && grep -q "apt-get failed; the end of $3" "$2"' - \
  $rc "$TMP/err" "$TMP/deps2.log"

# --- the package list: README names each package of scripts/deps.sh in its group
section=$(awk '/^## Two commands/ { on = 1; next } /^## / { on = 0 } on' README.md | tr '\n' ' ')
build_text=${section#*for the program and \`demo\`:}; build_text=${build_text%%only for the tests:*}
test_text=${section#*only for the tests:}
missing=""
for p in $build_pkgs; do
  echo "$build_text" | grep -Eq "(^|[ (,])$p([ ),.;]|$)" || missing="$missing $p(build)"
done
for p in $test_pkgs; do
  echo "$test_text" | grep -Eq "(^|[ (,])$p([ ),.;]|$)" || missing="$missing $p(test)"
done
check "README names every package of scripts/deps.sh in its group${missing:+ (missing:$missing)}" \
  test -z "$missing"

# --- the README's commands, and CI runs the README's test command
cmds=$(awk '/^## Two commands/ { on = 1 } on && /^```sh/ { b = 1; next } b && /^```/ { exit } b' README.md |
       sed 's/ *#.*//' | grep -v '^$' | tr '\n' ';')
check "the README's two commands are ./synovia.sh demo and ./synovia.sh test (got: $cmds)" \
  test "$cmds" = "./synovia.sh demo;./synovia.sh test;"
check ".ci/run runs the README's test command" grep -qx 'exec ./synovia.sh test' .ci/run
check "synovia.sh is POSIX sh (dash parses it), executable" sh -c 'sh -n synovia.sh && test -x synovia.sh'

# --- a quiet build: one "  CC file" line per object; V=1 the command; errors shown
unset MAKEFLAGS MFLAGS MAKELEVEL V
make BUILD="$TMP/qb" "$TMP/qb/release/obj/src/base/alloc.o" >"$TMP/out" 2>&1
check "quiet build: one '  CC    src/base/alloc.c' line" test "$(cat "$TMP/out")" = "  CC    src/base/alloc.c"
make BUILD="$TMP/qb" V=1 "$TMP/qb/release/obj/src/base/arena.o" >"$TMP/out" 2>&1
check "V=1: the full compiler command" grep -q -- "-c src/base/arena.c -o $TMP/qb/release/obj/src/base/arena.o" "$TMP/out"
cat >"$TMP/failcc" <<'EOF'
#!/bin/sh
echo "src/base/strbuf.c:1:1: error: a planted compiler error" >&2
exit 1
EOF
chmod +x "$TMP/failcc"
make BUILD="$TMP/qb" CC="$TMP/failcc" "$TMP/qb/release/obj/src/base/strbuf.o" >"$TMP/out" 2>&1
check "quiet build: a compiler's error is shown" grep -q "error: a planted compiler error" "$TMP/out"
./synovia.sh demo BUILD="$TMP/qb2" CC="$TMP/failcc" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "./synovia.sh: a failing build shows the compiler's error and fails" sh -c '
  [ "$1" -ne 0 ] && grep -q "error: a planted compiler error" "$2" &&
  grep -q "synovia: the build failed (the whole log: $3/build.log)" "$2"' - $rc "$TMP/err" "$TMP/qb2"

# --- ./synovia.sh test ends with the runner's summary even when a check fails
# (make would print its own "*** [test] Error 1" after it): in a scratch tree
# with a Makefile whose build has nothing to do and one failing test
st=$TMP/st
mkdir -p "$st/scripts" "$st/tests/integration"
cp synovia.sh "$st/"
cp scripts/deps.sh "$st/scripts/"
cp tests/run.sh "$st/tests/"
printf 'build-for-test:\n\t@echo built\ntest: build-for-test\n\t@tests/run.sh\n' >"$st/Makefile"
printf 'echo "ok 1 - fine"\necho "not ok 2 - broken"\nexit 1\n' >"$st/tests/integration/a.sh"
(cd "$st" && ./synovia.sh test) >"$TMP/out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/out"
check "./synovia.sh test: fails, and its last line is the summary" \
  test $rc -ne 0 -a "$(tail -n 1 "$TMP/out")" = "1 passed, 1 failed, 0 skipped"

# --- what the README's and the tutorial's commands write is ignored by git;
# tracked files are not
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  outs=$(cat README.md docs/tutorial.md examples/teaching/*.md |
         grep -oE '(-o|--csv) [A-Za-z0-9_./-]+' |
         awk '$1 == "--csv" { print $2 "/arms.csv"; next } { print $2 }' | sort -u)
  outs="$outs synovia-demo.h5 synovia-demo.png two_knees-csv/arms.csv x.h5.parts/part-0.h5"
  not_ignored=""
  for f in $outs; do
    git check-ignore -q --no-index "$f" || not_ignored="$not_ignored $f"
  done
  check "git ignores what the README, the tutorial and the lessons write${not_ignored:+ (not:$not_ignored)}" \
    test -z "$not_ignored"
  check "git ignores no tracked file (docs/img/*.png)" test -z "$(git ls-files -ci --exclude-standard)"
else
  ok "git ignores the tour's outputs # SKIP not a git checkout"
fi
finish
