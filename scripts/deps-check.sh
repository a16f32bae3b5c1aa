#!/bin/sh
# synovia — check that #include edges respect the layering (docs/design.md):
#   base <- lang <- model <- solve <- cli,  io uses only base, solve may use io.
# Third-party headers stay in their one folder. Prints offenders; exit 1 if any.
set -u
cd "$(dirname "$0")/.." || exit 2
bad=0
allowed() { # layer -> internal layers it may include
  case $1 in
    base) echo "base" ;;
    lang) echo "base lang" ;;
    model) echo "base lang model" ;;
    io) echo "base io" ;;
    solve) echo "base lang model io solve" ;;
    scenario) echo "base lang model io solve scenario" ;;
    sweep) echo "base lang model io solve scenario sweep" ;;
    cli) echo "cli" ;;
  esac
}
for dir in base lang model io solve scenario sweep cli; do
  ok=$(allowed $dir)
  for f in src/$dir/*.[ch]; do
    [ -f "$f" ] || continue
    for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' "$f"); do
      [ "$inc" = synovia ] && continue
      case " $ok " in *" $inc "*) ;; *) echo "$f: includes a header of layer '$inc'"; bad=1 ;; esac
    done
  done
done
check_third() { # pattern, allowed folder regex
  grep -lE "#include <($1)" src/*/*.[ch] include/synovia/*.h 2>/dev/null | grep -vE "$2" |
    while read -r f; do echo "$f: includes <$1…> outside $2"; done
}
out=$( { check_third 'cvode|sundials|sunlinsol|sunmatrix|nvector' '^src/solve/';
         check_third 'hdf5' '^src/io/';
         check_third 'mpi\.h' '^src/sweep/';
         check_third 'gsl/' '^src/(solve|sweep)/|^src/cli/(main|summary)\.c';
         check_third 'nettle' '^src/base/sha256\.c';
         check_third 'lapacke' '^src/solve/steady\.c'; } )
[ -n "$out" ] && { echo "$out"; bad=1; }
[ $bad = 0 ] && echo "layering: ok"
exit $bad
