# synovia — helpers for shell tests that speak TAP. Source it, then call
# ok/not_ok/check; `finish` prints the plan. BUILD and the binaries come from
# the environment set by tests/run.sh.
BUILD=${BUILD:-build}
SYNOVIA=${SYNOVIA:-$BUILD/release/synovia}
SYNOVIA_ASAN=${SYNOVIA_ASAN:-$BUILD/asan/synovia}
PYTHON=${PYTHON:-/usr/bin/python3}
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/synovia-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
# check "name" command...   (passes when the command succeeds)
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
finish() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }
