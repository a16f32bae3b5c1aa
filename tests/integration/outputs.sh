# synovia — what a command may write and read (issue 12, points 1, 2, 9, 16).
# An output that exists and is not a regular file (a character device made
# here with /dev/null's and /dev/full's numbers, a FIFO, a folder) is refused
# before any work by every command that writes a file, and is left as it was;
# an output that is one of the command's inputs (by name, through a symlink, a
# hard link or "..") is refused and the input is unchanged; an input that is a
# FIFO is refused instead of hanging; `sweep -o FOLDER` fails before running a
# sample. Every call is bounded (timeout 20): exit 124 means it hung. The
# device nodes are made with mknod in this test's own folder, never the
# system's; without root (or without the right to make nodes) those cases are
# skipped, with the reason.
. tests/lib/tap.sh
S=$(cd "$(dirname "$SYNOVIA")" && pwd)/$(basename "$SYNOVIA")
W=$TMP/w
mkdir -p "$W"
cp -r examples models "$W/"
cd "$W" || exit 1

skip() { ok "$1 # SKIP $2"; }

# bounded ARGS...: synovia ARGS with its output in $TMP/out and its status in $rc
bounded() {
  timeout 20 "$S" "$@" >"$TMP/out" 2>&1
  rc=$?
}

# verdict NAME PATTERN CONDITION...: ok when synovia failed (not hung), said
# PATTERN and CONDITION holds afterwards
verdict() {
  name=$1 pat=$2; shift 2
  if [ "$rc" -eq 124 ]; then
    not_ok "$name (hung: stopped after 20 s)"
  elif [ "$rc" -ne 0 ] && grep -q -- "$pat" "$TMP/out" && "$@"; then
    ok "$name"
  else
    not_ok "$name (exit $rc, want an error saying '$pat' and: $*)"
    sed 's/^/# /' "$TMP/out" | head -6
  fi
}

# ---- the inputs: real examples ---------------------------------------------------------
SC=examples/joint_demo.scenario          # model "../models/joint_demo.model"
SW=examples/ia_dose_grid.sweep           # knee_ia_vs_iv.scenario, knee_oa.model and its parts
cp models/two_compartment.model m.model
"$S" run "$SC" -q -o r.h5 || not_ok "fixture: run $SC"
"$S" sweep "$SW" -q -o g.h5 --task-index 0 --task-count 2 &&
  "$S" sweep "$SW" -q -o g.h5 --task-index 1 --task-count 2 || not_ok "fixture: the shards of $SW"
SH0=g.task-0000-of-0002.h5 SH1=g.task-0001-of-0002.h5
printf 'f_viable,potency\n1,1\n0.5,0.8\n' >examples/d.csv
printf 'scenario "knee_ia_vs_iv.scenario"\ndesign file "d.csv"\n' >examples/dfile.sweep

# ---- outputs that are not regular files --------------------------------------------------
nodes=0
if [ "$(id -u)" -eq 0 ] && mknod "$TMP/probe" c 1 3 2>/dev/null; then
  nodes=1
  rm -f "$TMP/probe"
fi
# make_node KIND PATH: null (c 1 3), full (c 1 7), fifo, dir
make_node() {
  case $1 in
    null) mknod "$2" c 1 3 ;;
    full) mknod "$2" c 1 7 ;;
    fifo) mkfifo "$2" ;;
    dir) mkdir "$2" ;;
  esac
}
test_of() { case $1 in null | full) echo -c ;; fifo) echo -p ;; dir) echo -d ;; esac; }
said_of() {
  case $1 in null | full) echo "is a character device, not a regular file" ;;
    fifo) echo "is a FIFO (named pipe), not a regular file" ;;
    dir) echo "is a directory, not a regular file" ;; esac
}

for kind in null full fifo dir; do
  if [ $nodes -eq 0 ] && { [ $kind = null ] || [ $kind = full ]; }; then
    for c in run "run SCENARIO" sweep merge report export demo; do
      skip "$c -o <character device $kind>" "mknod needs root and the right to make device nodes"
    done
    continue
  fi
  t=$(test_of $kind) said=$(said_of $kind)
  o=out-$kind
  make_node $kind $o
  bounded run m.model -o $o
  verdict "run -o <$kind>: refused, the node left as it was" "$said" test $t $o
  bounded run "$SC" -o $o
  verdict "run SCENARIO -o <$kind>: refused, the node left as it was" "$said" test $t $o
  bounded sweep "$SW" -q -o $o
  verdict "sweep -o <$kind>: refused before any sample (no $o.parts), the node left as it was" \
    "$said" sh -c "test $t $o && test ! -e $o.parts"
  bounded merge -o $o $SH0 $SH1
  verdict "merge -o <$kind>: refused, the node left as it was" "$said" test $t $o
  bounded report r.h5 --no-figures -o $o
  verdict "report -o <$kind>: refused, the node left as it was" "$said" test $t $o
  mkdir csv-$kind
  make_node $kind csv-$kind/series.csv
  bounded export r.h5 --csv csv-$kind
  verdict "export: a <$kind> where series.csv goes is refused, left as it was, nothing written" \
    "$said" sh -c "test $t csv-$kind/series.csv && test \$(ls csv-$kind | wc -l) -eq 1"
  mkdir demo-$kind
  make_node $kind demo-$kind/synovia-demo.h5
  (cd demo-$kind && timeout 20 "$S" run >"$TMP/out" 2>&1)
  rc=$?
  verdict "the demonstration with a <$kind> as synovia-demo.h5: refused, left as it was" "$said" \
    test $t demo-$kind/synovia-demo.h5
done

# the files written beside an output: OUT.tmp (where it is written before the rename; a
# FIFO there made run wait forever), a sweep's OUT.lock (removed when the run ends)
mkfifo tmpfifo.h5.tmp
bounded run m.model -o tmpfifo.h5
verdict "run: a FIFO at OUT.tmp is refused (no hang), left as it was, no OUT" \
  "temporary output 'tmpfifo.h5.tmp' exists and is a FIFO" \
  sh -c "test -p tmpfifo.h5.tmp && test ! -e tmpfifo.h5"
if [ $nodes -eq 1 ]; then
  mknod lockdev.h5.lock c 1 3
  bounded sweep "$SW" -q -o lockdev.h5
  verdict "sweep: a character device at OUT.lock is refused, left as it was, nothing run" \
    "lock file 'lockdev.h5.lock' exists and is a character device" \
    sh -c "test -c lockdev.h5.lock && test ! -e lockdev.h5 && test ! -e lockdev.h5.parts"
else
  skip "sweep: a character device at OUT.lock" "mknod needs root and the right to make device nodes"
fi

# OUT.tmp is truncated when opened: a symlink there would truncate the file it leads to, a
# hard link to an input the input
echo keep >victim.txt
victim=$(sha256sum <victim.txt)
ln -s victim.txt tmplink.html.tmp
bounded report r.h5 --no-figures -o tmplink.html
verdict "report: a symlink at OUT.tmp is refused, the file it leads to unchanged" \
  "temporary output 'tmplink.html.tmp' is a symbolic link" \
  sh -c "test \"\$(sha256sum <victim.txt)\" = '$victim' && test ! -e tmplink.html"
mkdir csv-tmplink
ln -s ../victim.txt csv-tmplink/variables.csv.tmp
bounded export r.h5 --csv csv-tmplink
verdict "export: a symlink at NAME.csv.tmp is refused, the file it leads to unchanged" \
  "variables.csv.tmp' is a symbolic link" \
  sh -c "test \"\$(sha256sum <victim.txt)\" = '$victim' && test ! -e csv-tmplink/series.csv"
ln -s victim.txt tmplink.h5.tmp
bounded run m.model -o tmplink.h5
verdict "run: a symlink at OUT.tmp is refused, the file it leads to unchanged" \
  "temporary output 'tmplink.h5.tmp' is a symbolic link" \
  sh -c "test \"\$(sha256sum <victim.txt)\" = '$victim' && test ! -e tmplink.h5"
before=$(sha256sum <m.model)
ln m.model hard.h5.tmp
bounded run m.model -o hard.h5
verdict "run: OUT.tmp a hard link to the model is refused, the model unchanged" \
  "the output 'hard.h5.tmp' is the input 'm.model'" \
  sh -c "test \"\$(sha256sum <m.model)\" = '$before' && test ! -e hard.h5"
rm -f hard.h5.tmp

# point 16: an existing folder as a sweep's output fails at once, not after every sample
mkdir existing
bounded sweep "$SW" -q -o existing
verdict "sweep -o EXISTING_DIRECTORY: refused before running (no existing.parts, nothing in it)" \
  "'existing' exists and is a directory" \
  sh -c "test ! -e existing.parts && test -z \"\$(ls -A existing)\""

# ---- outputs that are inputs -------------------------------------------------------------
# same NAME OUTPUT-SAID FILE ARGS...: refused, FILE's content unchanged
same() {
  name=$1 file=$2; shift 2
  before=$(sha256sum <"$file")
  bounded "$@"
  verdict "$name: refused, the input unchanged" "writing it would destroy it" \
    sh -c "test \"\$(sha256sum <'$file')\" = '$before' && test -f '$file'"
}
ln -s m.model mlink.model
ln m.model mhard.model
mkdir sub
same "run m.model -o m.model" m.model run m.model -o m.model
same "run m.model -o a symlink to it" m.model run m.model -o mlink.model
same "run a symlink -o the model it leads to" m.model run mlink.model -o m.model
same "run m.model -o a hard link to it" m.model run m.model -o mhard.model
same "run m.model -o sub/../m.model" m.model run m.model -o sub/../m.model
same "run SCENARIO -o the scenario" "$SC" run "$SC" -o "$SC"
same "run SCENARIO -o its model" models/joint_demo.model run "$SC" -o models/joint_demo.model
same "run SCENARIO -o its model by another path" models/joint_demo.model \
  run "$SC" -o examples/../models/joint_demo.model
same "run a model -o a file it imports" models/parts/msc_pk.model \
  run models/knee_oa.model -o models/parts/msc_pk.model
same "sweep v.sweep -o v.sweep" "$SW" sweep "$SW" -q -o "$SW"
same "sweep -o its scenario" examples/knee_ia_vs_iv.scenario \
  sweep "$SW" -q -o examples/knee_ia_vs_iv.scenario
same "sweep -o a file its model imports" models/parts/systemic.model \
  sweep "$SW" -q -o models/parts/systemic.model
same "sweep -o its design file" examples/d.csv sweep examples/dfile.sweep -q -o examples/d.csv
same "report r.h5 -o r.h5" r.h5 report r.h5 --no-figures -o r.h5
ln -s r.h5 rlink.h5
same "report r.h5 -o a symlink to it" r.h5 report r.h5 --no-figures -o rlink.h5
same "merge -o shard0.h5 shard0.h5 shard1.h5" $SH0 merge -o $SH0 $SH0 $SH1
mkdir csv-same
ln -s ../r.h5 csv-same/series.csv
same "export r.h5 into a folder whose series.csv is r.h5" r.h5 export r.h5 --csv csv-same
check "... and nothing else was written there" test "$(ls csv-same)" = series.csv

# ---- inputs that are FIFOs: refused, not waited on ---------------------------------------
mkfifo fifo.h5 fifo.model fifo.scenario fifo.sweep
mkfifo f.task-0000-of-0002.h5
cp $SH1 f.task-0001-of-0002.h5
# fifo NAME ARGS...: refused, the FIFO left, no hang
fifo() {
  name=$1; shift
  bounded "$@"
  verdict "$name: a FIFO input is refused (no hang)" "not a regular file" true
}
fifo "summary" summary fifo.h5
fifo "export" export fifo.h5 --csv csv-in
check "... export made no folder" test ! -e csv-in
fifo "report" report fifo.h5 --no-figures -o fifo.html
fifo "merge -o OUT PARTS" merge -o fm.h5 fifo.h5 $SH1
fifo "merge OUT (a FIFO named like a shard)" merge f.h5
fifo "check" check fifo.model
fifo "info" info fifo.model
fifo "run MODEL" run fifo.model -o fifo-run.h5
fifo "run SCENARIO" run fifo.scenario -o fifo-run.h5
fifo "sweep" sweep fifo.sweep -o fifo-run.h5
check "no output after the refused FIFO inputs" test ! -e fm.h5 -a ! -e fifo.html -a ! -e fifo-run.h5

# ---- what still works ----------------------------------------------------------------------
echo old >existing.h5
bounded run m.model -q -o existing.h5
check "an existing regular output is replaced as before" sh -c "test $rc -eq 0 && test \"\$(head -c 3 existing.h5)\" != old"
ln -s new-target.h5 dangling.h5
bounded run m.model -q -o dangling.h5
check "a dangling symlink as output is written (the link replaced by the file)" \
  sh -c "test $rc -eq 0 && test -f dangling.h5 && test ! -L dangling.h5"
finish
