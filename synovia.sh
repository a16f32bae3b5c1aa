#!/bin/sh
# synovia — the README's two commands, from a bare Debian 12 up:
#
#   ./synovia.sh demo      build, run the built-in demonstration, draw its figure
#   ./synovia.sh test      build everything and run the whole test suite
#   ./synovia.sh TARGET... any other make target (install, bench, ...); V=1 and
#                          other VAR=value arguments are passed to make
#
# A fresh machine may have neither make nor a compiler, so this is POSIX sh:
# scripts/deps.sh installs the Debian packages the step needs (make and gcc
# included) when run as root — quietly, one line, the apt log in
# build/deps.log — or, for another user, names the exact apt-get line and
# stops. Then the build runs quietly (the log in build/build.log; compiler
# errors are shown as they come; V=1 shows everything) and make runs the
# target. With make and the packages present, `make demo` and `make test` do
# the same.
set -eu
cd "$(dirname "$0")"

usage() { sed -n '4,7s/^# \{0,1\}//p' "$0"; }
[ $# -gt 0 ] || { usage >&2; exit 2; }
case $1 in -h | --help) usage; exit 0 ;; esac

profile=build
verbose=0
vars=""
targets=""
BUILD=build
for a in "$@"; do
  case $a in
  test | unit-bins | tools | fuzz | fuzz-scenario | valgrind | bench) profile=test ;;
  *\ *) echo "synovia: ./synovia.sh: '$a' has a space; run make directly" >&2; exit 2 ;;
  V=1) verbose=1; vars="$vars $a" ;;
  BUILD=*) BUILD=${a#BUILD=}; vars="$vars $a" ;;
  PYTHON=*) PYTHON=${a#PYTHON=}; export PYTHON; vars="$vars $a" ;;
  *=*) vars="$vars $a" ;;
  -*) echo "synovia: ./synovia.sh takes make targets and VAR=value, not '$a'" >&2; exit 2 ;;
  esac
  case $a in *=*) ;; *) targets="$targets $a" ;; esac
done
mkdir -p "$BUILD"
DEPS_LOG=$(cd "$BUILD" && pwd)/deps.log scripts/deps.sh "$profile"

jobs=$(nproc 2>/dev/null || echo 1)

# The build of what the targets need, before they run: quiet unless V=1.
if [ $verbose = 1 ]; then
  # shellcheck disable=SC2086
  make -j"$jobs" $vars build-for-$profile
else
  log=$BUILD/build.log
  : >"$log"
  case $profile in
  build) echo "synovia: building the program (log: $log) ..." >&2 ;;
  test) echo "synovia: building the program and the tests (log: $log) ..." >&2 ;;
  esac
  status=$BUILD/.build-status
  # stdout (the step lines) goes to the log; stderr (compiler errors and
  # warnings) to the log and the terminal as it comes.
  # shellcheck disable=SC2086
  { rc=0; make -j"$jobs" $vars build-for-$profile 2>&1 >>"$log" || rc=$?; echo $rc >"$status"; } |
    tee -a "$log" >&2
  rc=$(cat "$status")
  rm -f "$status"
  if [ "$rc" != 0 ]; then
    echo "synovia: the build failed (the whole log: $log)" >&2
    exit "$rc"
  fi
fi

# `test` alone: the runner itself, as `make test` runs it after the same
# build, so that its summary is the last line even when a check fails (make
# would add its own "*** [test] Error 1" after it).
if [ "$targets" = " test" ]; then
  BUILD=$BUILD exec tests/run.sh
fi
exec make "$@"
