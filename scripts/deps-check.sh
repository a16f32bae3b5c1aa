#!/bin/sh
# synovia — check that #include edges respect the layering (docs/design.md):
#   base <- lang <- model <- sbml <- solve <- scenario <- problem <- sweep <- fit <- cli,  io uses only
#   base, solve and above may use io; optim (the optimisers) uses only base, fit uses it.
# Both kinds of include count: "layer/x.h" (a header inside src/) and the
# public "synovia/X.h", which belongs to the layer of its module (the table in
# public_layer; the umbrella synovia/synovia.h is of the highest layer it
# includes). The CLI uses public headers only (any of them). The public
# headers are checked too, and a layer's plugins in its subfolders (src/sweep/mpi/,
# src/sbml/plugin/) as files of that layer. Third-party headers stay in their
# one folder (libSBML's in the SBML plugin's). Prints offenders;
# exit 1 if any.
set -u
cd "$(dirname "$0")/.." || exit 2
bad=0
allowed() { # layer -> layers whose headers it may include
  case $1 in
    base) echo "base" ;;
    lang) echo "base lang" ;;
    model) echo "base lang model" ;;
    sbml) echo "base lang model sbml" ;;
    io) echo "base io" ;;
    optim) echo "base optim" ;;
    solve) echo "base lang model sbml io solve" ;;
    scenario) echo "base lang model sbml io solve scenario" ;;
    problem) echo "base lang model sbml io solve scenario problem" ;;
    sweep) echo "base lang model sbml io solve scenario problem sweep" ;;
    fit) echo "base lang model sbml io optim solve scenario problem sweep fit" ;;
    cli) echo "cli" ;;
  esac
}
allowed_public() { # layer -> layers whose public headers it may include
  case $1 in
    cli) echo "base lang model sbml io optim solve scenario problem sweep fit" ;;
    *) allowed "$1" ;;
  esac
}
public_layer() { # X of include/synovia/X.h -> its layer
  case $1 in
    status | version | number | path) echo base ;;
    ode | model | psens | exprtext) echo model ;;
    sbml) echo sbml ;;
    result | h5 | h5sweep | h5fit) echo io ;;
    optim) echo optim ;;
    solver | steady | run) echo solve ;;
    scenario) echo scenario ;;
    problem) echo problem ;;
    sweep) echo sweep ;;
    fit | objective | multistart | profile) echo fit ;;
    synovia) echo problem ;;  # the umbrella: the highest layer it includes
    *) echo "" ;;
  esac
}
includes() { # file -> the paths of its #include "..." lines
  sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}
check_file() { # file, its layer
  for inc in $(includes "$1"); do
    case $inc in
    synovia/*.h)
      name=${inc#synovia/}; name=${name%.h}
      layer=$(public_layer "$name")
      if [ -z "$layer" ]; then
        echo "$1: includes $inc, which has no layer: add it to public_layer in scripts/deps-check.sh"
        bad=1; continue
      fi
      ok=$(allowed_public "$2") ;;
    */*) layer=${inc%%/*}; ok=$(allowed "$2") ;;
    *) continue ;;  # a header of the same folder
    esac
    case " $ok " in *" $layer "*) ;; *) echo "$1: includes a header of layer '$layer' ($inc)"; bad=1 ;; esac
  done
}
for dir in base lang model sbml io optim solve scenario problem sweep fit cli; do
  for f in src/$dir/*.[ch] src/$dir/*/*.[ch]; do
    [ -f "$f" ] && check_file "$f" "$dir"
  done
done
for f in include/synovia/*.h; do
  [ -f "$f" ] || continue
  name=${f##*/}; name=${name%.h}
  layer=$(public_layer "$name")
  if [ -z "$layer" ]; then
    echo "$f: a public header with no layer: add it to public_layer in scripts/deps-check.sh"; bad=1
  else
    check_file "$f" "$layer"
  fi
done
check_third() { # pattern, allowed folder regex
  grep -lE "#include <($1)" src/*/*.[ch] src/*/*/*.[ch] include/synovia/*.h 2>/dev/null | grep -vE "$2" |
    while read -r f; do echo "$f: includes <$1…> outside $2"; done
}
out=$( { check_third 'cvode|sundials|sunlinsol|sunmatrix|nvector' '^src/solve/';
         check_third 'hdf5' '^src/io/';
         check_third 'mpi\.h' '^src/sweep/';
         check_third 'gsl/' '^src/(solve|sweep)/|^src/optim/lm\.c|^src/cli/(main|summary)\.c';
         check_third 'nlopt' '^src/optim/nlopt\.c';
         check_third 'nettle' '^src/base/sha256\.c';
         check_third 'lapacke' '^src/solve/steady\.c';
         check_third 'sbml/' '^src/sbml/plugin/';
         check_third 'yaml\.h' '^src/fit/petab_read\.c'; } )
[ -n "$out" ] && { echo "$out"; bad=1; }
[ $bad = 0 ] && echo "layering: ok"
exit $bad
