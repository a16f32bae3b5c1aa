# synovia — every ```sh block of README.md, docs/*.md and examples/teaching/*.md
# runs, one TAP test per block ("docs/x.md block N runs"), as a reader would run
# it from the repository's top folder: in a scratch folder per page with
# symlinks to models/ examples/ scripts/ tests/ docs/, `build` pointing at
# $BUILD (so `build/release/synovia` is the program under test) and `synovia`
# itself on the PATH (docs/sweeps.md and docs/output-format.md write it bare).
# The blocks of one page run in order in the same folder, so a block may read
# what an earlier one wrote; the pages run two at a time (DOC_LANES). A block
# runs under `sh -e`: any failing command fails it.
#
# - Commands that cannot run here are in SKIPS below, each with its reason; a
#   block whose every command is skipped is reported as `ok N - … # SKIP why`,
#   a partly skipped block runs the rest and lists what it left out.
# - The full Saltelli sweep examples/ia_iv_sobol.sweep (18 s alone) runs as a
#   copy with N = 16 under the same output name (see prepare()).
# - On the tutorial and the lessons (OUTPUT_PAGES), a ```text block right
#   after a ```sh block (nothing but blank lines between) shows what that block
#   prints: each of its lines must be printed by it. (Other pages put usage
#   summaries there.)
# - Files a block uses but no page creates in a block (docs/sweeps.md's
#   big.sweep, docs/output-format.md's growth.sweep) are made by fixture().
# - The numbers the tutorial and the lessons quote in their prose are
#   recomputed from the HDF5 files their own commands wrote (the Q rows of the
#   table below: the quoted text must be on the page, and the value must match
#   within the rounding shown), and their claims are asserted (C rows).
# - The images under docs/img/ have the size of the figures the commands draw.
# - `./synovia.sh demo` and `make demo` are skipped, but scripts/demo.sh (all they
#   run after the build) runs as a test.
. tests/lib/tap.sh

top=$(pwd)
case $BUILD in /*) build_abs=$BUILD ;; *) build_abs=$top/$BUILD ;; esac
case $SYNOVIA in /*) syn_abs=$SYNOVIA ;; *) syn_abs=$top/$SYNOVIA ;; esac
mkdir -p "$TMP/bin" "$TMP/blocks" "$TMP/run"
ln -s "$syn_abs" "$TMP/bin/synovia"

# Commands the test does not run: an extended regular expression matched
# against each command (continuation lines joined), a tab, the reason.
SKIPS=$(printf '%s\n' \
'^\./synovia\.sh 	sets up the machine and builds into build/ (apt-get, make); its demo is scripts/demo.sh, tested on its own below, its test the whole suite (recursion)' \
'^make test	runs the whole test suite, this test included (recursion)' \
'^make demo	builds into build/ with make (and apt-get when packages are missing); scripts/demo.sh, all it runs, is tested on its own below' \
'^make( |$)	builds the program into build/ (and may apt-get install); the test uses the program already built in $BUILD' \
'(^|[ ;(])(sudo|apt-get) 	installs system packages' \
'(^|[ ;($])(sbatch|srun|squeue|scancel) 	needs a Slurm cluster: tests/integration/slurm.sh runs these commands on a one-node Slurm it starts (as root)' \
'^mpirun 	4 MPI ranks, which here would run as root and oversubscribe the cores (Open MPI refuses both unless told); mpirun -np 2 and -np 3 are tested by tests/integration/sweep.sh' \
' \.\.\.( |$)	"..." stands for an elided list of files')

extract() { # page -> $TMP/blocks/<tag>/N.sh, and N.expected for a text block right after
  tag=$(echo "$1" | tr '/' '_')
  mkdir -p "$TMP/blocks/$tag"
  # Fences may be indented (a block inside a list item): the fence's
  # indentation is taken off the block's lines.
  awk -v dir="$TMP/blocks/$tag" '
    function fence(l) { match(l, /^[ \t]*/); ind = RLENGTH }
    /^[ \t]*```sh[ \t]*$/    { n++; out = dir "/" n ".sh"; inb = 1; last = ""; fence($0); next }
    /^[ \t]*```text[ \t]*$/ && last == "sh" { out = dir "/" n ".expected"; inb = 1; last = ""; fence($0); next }
    /^[ \t]*```/ && inb      { inb = 0; close(out); if (out ~ /\.sh$/) last = "sh"; next }
    /^[ \t]*```/             { last = ""; inb = 2; next }
    inb == 1                 { print substr($0, ind + 1) > out; next }
    inb == 2                 { next }
    /^[ \t]*$/               { next }
                             { last = "" }
  ' "$1"
}

# prepare BLOCK RUNNABLE SKIPPED SMALLER: joins continuation lines, comments
# out the commands of SKIPS (listed in SKIPPED as "command<TAB>reason") and
# runs the full Saltelli sweep examples/ia_iv_sobol.sweep (1536 samples, 18 s
# alone) as a copy with N = 16 (96 samples, the same parameters, arms and
# metrics, the same output name) as docs.sh does: the command, its output file
# and what later commands do with it are tested, tests/integration/examples.sh
# runs the full sweep and checks its indices. Rewritten commands go to
# SMALLER. Prints the number of commands kept.
prepare() {
  awk -v skipfile="$TMP/skips" -v skipped="$3" -v smaller="$4" '
    BEGIN { while ((getline l < skipfile) > 0) { i = index(l, "\t"); ns++; re[ns] = substr(l, 1, i - 1); why[ns] = substr(l, i + 1) } }
    { line = acc $0; if (line ~ /\\$/) { acc = substr(line, 1, length(line) - 1) " "; next } acc = "" }
    line ~ /^[ \t]*(#.*)?$/ { print line; next }
    {
      for (k = 1; k <= ns; k++) if (line ~ re[k]) { print ": skipped: " k; print line "\t" why[k] > skipped; next }
      if (line ~ /sweep +examples\/ia_iv_sobol\.sweep/ && line !~ /--dry-run/) {
        sub(/examples\/ia_iv_sobol\.sweep/, ".small/ia_iv_sobol.sweep", line); print line > smaller
      }
      kept++; print line
    }
    END { print kept + 0 }
  ' "$1" >"$2.tmp"
  tail -n 1 "$2.tmp"
  sed '$d' "$2.tmp" >"$2"
}

fixture() { # page folder, block: files that a block uses and no page creates
  if grep -q 'examples/ia_iv_sobol\.sweep' "$2" && [ ! -f "$1/.small/ia_iv_sobol.sweep" ]; then
    mkdir -p "$1/.small"
    sed -e 's#^scenario "knee_ia_vs_iv.scenario"#scenario "../examples/knee_ia_vs_iv.scenario"#' \
        -e 's/^design saltelli [0-9]*/design saltelli 16/' examples/ia_iv_sobol.sweep >"$1/.small/ia_iv_sobol.sweep"
  fi
  if grep -q 'big\.sweep' "$2"; then
    # docs/sweeps.md: a sweep in 16 tasks, of which the block runs task 3 and
    # merges all: a small copy of tests/sweep/growth.sweep, the other 15 tasks run here.
    sed 's#^scenario "growth.scenario"#scenario "tests/sweep/growth.scenario"#' tests/sweep/growth.sweep >"$1/big.sweep"
    for task in 0 1 2 4 5 6 7 8 9 10 11 12 13 14 15; do
      (cd "$1" && "$syn_abs" sweep big.sweep -q -o big.h5 --task-index $task --task-count 16) >/dev/null 2>&1 ||
        echo "#	fixture: task $task of big.sweep failed"
    done
  fi
  if grep -Eq '(^|[ /])growth\.sweep' "$2" && [ ! -f "$1/growth.sweep" ]; then
    # docs/output-format.md: "growth.sweep is tests/sweep/growth.sweep with two more lines",
    # which the page shows in a text block.
    { sed 's#^scenario "growth.scenario"#scenario "tests/sweep/growth.scenario"#' tests/sweep/growth.sweep
      printf '%s\n' 'difference "fast" "slow"' 'keep trajectories'; } >"$1/growth.sweep"
  fi
}

# run_page PAGE: runs its blocks in its folder; prints "ok<TAB>name",
# "not_ok<TAB>name" and "#<TAB>diagnostic" lines, numbered later.
run_page() {
  page=$1
  tag=$(echo "$page" | tr '/' '_')
  dir="$TMP/run/$tag"
  mkdir -p "$dir"
  for d in models examples scripts tests docs; do ln -s "$top/$d" "$dir/$d"; done
  ln -s "$build_abs" "$dir/build"
  n=1
  while [ -f "$TMP/blocks/$tag/$n.sh" ]; do
    b="$TMP/blocks/$tag/$n.sh"
    name="$page block $n runs"
    : >"$dir/.skipped"; : >"$dir/.smaller"
    kept=$(prepare "$b" "$dir/.run.sh" "$dir/.skipped" "$dir/.smaller")
    if [ "$kept" -eq 0 ]; then
      why=$(cut -f2 "$dir/.skipped" | sort -u | awk 'NR > 1 { printf "; " } { printf "%s", $0 }')
      printf 'ok\t%s # SKIP %s\n' "$name" "$why"
      n=$((n + 1)); continue
    fi
    [ -s "$dir/.skipped" ] && name="$name (without $(wc -l <"$dir/.skipped") skipped command(s))"
    fixture "$dir" "$b"
    t0=$(date +%s)
    (cd "$dir" && PATH="$TMP/bin:$PATH" timeout 300 sh -e .run.sh) >"$dir/.out-$n" 2>&1
    rc=$?
    [ -n "${DOC_TIMES:-}" ] && printf '#\t%s block %s: %s s\n' "$page" $n $(($(date +%s) - t0))
    if [ $rc -eq 0 ]; then printf 'ok\t%s\n' "$name"
    else
      printf 'not_ok\t%s (exit %s)\n' "$name" $rc
      sed 's/^/#\t  /' "$b"; sed 's/^/#\t/' "$dir/.out-$n" | tail -15
    fi
    while IFS="$(printf '\t')" read -r cmd why; do printf '#\t  skipped: %s  (%s)\n' "$cmd" "$why"; done <"$dir/.skipped"
    while IFS= read -r cmd; do printf '#\t  ran with a small copy of the sweep (N = 16): %s\n' "$cmd"; done <"$dir/.smaller"
    case " $OUTPUT_PAGES " in *" $page "*) ;; *) rm -f "$TMP/blocks/$tag/$n.expected" ;; esac
    if [ -f "$TMP/blocks/$tag/$n.expected" ] && [ -s "$dir/.skipped" ]; then
      printf 'ok\t%s block %s prints what the text block after it shows # SKIP the text may show what a skipped command prints\n' "$page" $n
    elif [ -f "$TMP/blocks/$tag/$n.expected" ]; then
      sed 's/[[:space:]]*$//' "$dir/.out-$n" >"$dir/.got"
      sed 's/[[:space:]]*$//' "$TMP/blocks/$tag/$n.expected" | grep -v '^$' >"$dir/.want"
      missing=0
      while IFS= read -r line; do
        grep -Fxq -- "$line" "$dir/.got" || { missing=$((missing + 1)); printf '#\tnot printed: %s\n' "$line"; }
      done <"$dir/.want"
      if [ $missing -eq 0 ]; then printf 'ok\t%s block %s prints what the text block after it shows\n' "$page" $n
      else
        printf 'not_ok\t%s block %s prints what the text block after it shows (%s lines differ)\n' "$page" $n $missing
        sed 's/^/#\t  got: /' "$dir/.got" | head -20
      fi
    fi
    n=$((n + 1))
  done
}

printf '%s\n' "$SKIPS" >"$TMP/skips"
OUTPUT_PAGES="docs/tutorial.md $(echo examples/teaching/*.md)"
pages="README.md"
for f in docs/*.md examples/teaching/*.md; do [ -f "$f" ] && pages="$pages $f"; done
for page in $pages; do extract "$page"; done

# The pages run in two lanes at once (DOC_LANES), each page's blocks in order:
# a lane takes the next page nobody has claimed (mkdir is atomic).
lanes=${DOC_LANES:-2}
lane=0
while [ $lane -lt "$lanes" ]; do
  (k=0; for p in $pages; do
     mkdir "$TMP/claim-$k" 2>/dev/null && run_page "$p" >"$TMP/page-$k.tap" 2>&1
     k=$((k + 1))
   done) &
  lane=$((lane + 1))
done
wait
i=0
for page in $pages; do
  [ -f "$TMP/page-$i.tap" ] || { not_ok "$page: its blocks were not run"; i=$((i + 1)); continue; }
  while IFS="$(printf '\t')" read -r res rest; do
    case $res in
    ok) ok "$rest" ;;
    not_ok) not_ok "$rest" ;;
    *) echo "# $rest" ;;
    esac
  done <"$TMP/page-$i.tap"
  i=$((i + 1))
done

# make demo = scripts/demo.sh with the program: the demo's table and figure.
if (cd "$TMP/run" && "$top/scripts/demo.sh" "$syn_abs") >"$TMP/demo.out" 2>&1 &&
   [ -s "$TMP/run/synovia-demo.h5" ] && [ -s "$TMP/run/synovia-demo.png" ]
then ok "scripts/demo.sh (what make demo runs) writes synovia-demo.h5 and synovia-demo.png"
else not_ok "scripts/demo.sh (what make demo runs)"; sed 's/^/# /' "$TMP/demo.out" | tail -10; fi

# Images in docs/img/ are the figures the tutorial's commands draw (re-encoded
# with fewer colours): the same size in pixels.
same_size() { # committed image, drawn image
  "$PYTHON" - "$1" "$2" <<'PY'
import struct, sys
def size(p):
    with open(p, "rb") as f:
        h = f.read(24)
    assert h[:8] == b"\x89PNG\r\n\x1a\n", p + " is not a PNG"
    return struct.unpack(">II", h[16:24])
a, b = size(sys.argv[1]), size(sys.argv[2])
assert a == b, (a, b)
PY
}
for pair in "tutorial-ia-vs-iv.png ia_vs_iv.png" "tutorial-where-cells-go.png where.png"; do
  set -- $pair
  if same_size "docs/img/$1" "$TMP/run/docs_tutorial.md/$2" >"$TMP/out" 2>&1 &&
     [ "$(wc -c <"docs/img/$1")" -lt 153600 ]
  then ok "docs/img/$1 is the tutorial's $2 (same size, < 150 KB)"
  else not_ok "docs/img/$1 is the tutorial's $2"; sed 's/^/# /' "$TMP/out"; fi
done

# Quoted numbers and claims. Rows:
#   Q page | file.h5 | text quoted on the page | value[~tolerance] | python expression
#   C page | file.h5 | claim | python expression (true)
# The file is one the page's commands wrote (in its scratch folder). Without
# ~tolerance, the value must match within half a unit of its last digit. In
# the expressions: m(arm, metric), v(arm, var, day) (on the output grid),
# s(arm, var) (the series), days(arm), p(arm, param), peak_day(arm, var),
# low_day, first_day(days, condition), signal(arm, day) (the systemic MSC
# signal over K_tone), hill2(x), close(a, b, rel), other("x.h5") (another file
# of the page; m, v, s, p, signal take f=), ln2.
# Arms may be written as A (the page's IA arm) and V (its IV arm), C (control).
cat >"$TMP/quotes.table" <<'EOF'
Q docs/tutorial.md | ia_vs_iv.h5 | (24.2 mL of synovial fluid | 24.2 | p(C, 'knee.sf')
Q docs/tutorial.md | ia_vs_iv.h5 | disease drive `severity` of 0.06 | 0.06 | p(C, 'knee.severity')
Q docs/tutorial.md | ia_vs_iv.h5 | The untreated knee sits at 630.6 pg/mL | 630.6 | v(C, 'knee.IL6', 0)
Q docs/tutorial.md | ia_vs_iv.h5 | its area is that times 672 h | 672 | m(C, 'IL6_auc_28d') / v(C, 'knee.IL6', 0)
Q docs/tutorial.md | ia_vs_iv.h5 | After IA the joint sees 12.8 % | 12.8 | 100 * m(A, 'IL6_auc_28d') / m(C, 'IL6_auc_28d')
Q docs/tutorial.md | ia_vs_iv.h5 | after IV, 36.7 % | 36.7 | 100 * m(V, 'IL6_auc_28d') / m(C, 'IL6_auc_28d')
Q docs/tutorial.md | ia_vs_iv.h5 | The knee starts at 51.3 mm | 51.3 | v(C, 'knee.pain_VAS', 0)
Q docs/tutorial.md | ia_vs_iv.h5 | IA's −29.3 % is 15.0 mm less pain | 15.0 | -m(A, 'pain_change_90d') / 100 * v(A, 'knee.pain_VAS', 0)
Q docs/tutorial.md | ia_vs_iv.h5 | IA's −29.3 % | -29.3 | m(A, 'pain_change_90d')
Q docs/tutorial.md | ia_vs_iv.h5 | IV's −25.2 % is 12.9 mm | 12.9 | -m(V, 'pain_change_90d') / 100 * v(V, 'knee.pain_VAS', 0)
Q docs/tutorial.md | ia_vs_iv.h5 | 71 % of knee pain is structural | 71 | 100 * p(C, 'w_s')
Q docs/tutorial.md | ia_vs_iv.h5 | has 49.1 % left | 49.1 | m(C, 'cartilage_180d')
Q docs/tutorial.md | ia_vs_iv.h5 | IA adds 0.98 points | 0.98 | m(A, 'cartilage_180d') - m(C, 'cartilage_180d')
Q docs/tutorial.md | ia_vs_iv.h5 | and IV 0.73 | 0.73 | m(V, 'cartilage_180d') - m(C, 'cartilage_180d')
Q docs/tutorial.md | ia_vs_iv.h5 | a half-life of 20 years in this model | 20 | ln2 / p(C, 'k_COL_syn') / (24 * 365.25)
Q docs/tutorial.md | ia_vs_iv.h5 | 11.8 million after IA | 11.8 | m(A, 'MSC_exposure_28d') / 672 / 1e6
Q docs/tutorial.md | ia_vs_iv.h5 | about 1950 after IV | 1950~10 | m(V, 'MSC_exposure_28d') / 672
Q docs/tutorial.md | ia_vs_iv.h5 | 6078 times fewer | 6078 | m(A, 'MSC_exposure_28d') / m(V, 'MSC_exposure_28d')
Q docs/tutorial.md | ia_vs_iv.h5 | Here IV wins: 0.98 | 0.98 | m(V, 'CRP_28d')
Q docs/tutorial.md | ia_vs_iv.h5 | 1.25 after IA (control 1.93) | 1.25 | m(A, 'CRP_28d')
Q docs/tutorial.md | ia_vs_iv.h5 | (control 1.93) | 1.93 | m(C, 'CRP_28d')
Q docs/tutorial.md | ia_vs_iv.h5 | from 630.6 to 148 pg/mL on day 1 | 148 | v(A, 'knee.IL6', 1)
Q docs/tutorial.md | ia_vs_iv.h5 | 41 by day 28 | 41 | v(A, 'knee.IL6', 28)
Q docs/tutorial.md | ia_vs_iv.h5 | (23 at six months) | 23 | v(A, 'knee.IL6', 180)
Q docs/tutorial.md | ia_vs_iv.h5 | to 139 by day 28 | 139 | v(V, 'knee.IL6', 28)
Q docs/tutorial.md | ia_vs_iv.h5 | creeps back up to 186 by six months | 186 | v(V, 'knee.IL6', 180)
Q docs/tutorial.md | ia_vs_iv.h5 | 0.98 mg/L on day 22 | 0.98 | s(V, 'CRP').min()
Q docs/tutorial.md | ia_vs_iv.h5 | 0.98 mg/L on day 22 | 22 | low_day(V, 'CRP')
Q docs/tutorial.md | ia_vs_iv.h5 | from day 120 on, the IA arm's CRP is the lower one | 120 | first_day(days(V), (s(V, 'CRP') > s(A, 'CRP')) & (days(V) > low_day(V, 'CRP')))
C docs/tutorial.md | ia_vs_iv.h5 | the IA arm's CRP stays the lower one from day 120 | (s(V, 'CRP') > s(A, 'CRP'))[days(V) >= 120].all()
Q docs/tutorial.md | ia_vs_iv.h5 | from 38.4 mm on day 90 | 38.4 | v(V, 'knee.pain_VAS', 90)
Q docs/tutorial.md | ia_vs_iv.h5 | to 40.1 mm on day 180 | 40.1 | v(V, 'knee.pain_VAS', 180)
C docs/tutorial.md | ia_vs_iv.h5 | cartilage rises by less than one point in six months | all(0 < v(a, 'knee.cartilage_volume', 180) - v(a, 'knee.cartilage_volume', 0) < 1 for a in (A, V))
Q docs/tutorial.md | ia_vs_iv.h5 | (4.6×10⁷ viable cells on day 1) | 4.6e7 | v(V, 'MSC_lung', 1)
C docs/tutorial.md | ia_vs_iv.h5 | by day 21 fewer than 100 lung cells are left | v(V, 'MSC_lung', 21) < 100
Q docs/tutorial.md | ia_vs_iv.h5 | The knee gets about 2400 of them | 2400~100 | s(V, 'knee.MSC_joint').max()
Q docs/tutorial.md | ia_vs_iv.h5 | then a half-life of 45 days | 45 | ln2 / p(A, 'k_slow') / 24
Q docs/tutorial.md | ia_vs_iv.h5 | peaks at 0.66 on day 4 | 0.66 | s(V, 'tone').max()
Q docs/tutorial.md | ia_vs_iv.h5 | peaks at 0.66 on day 4 | 4 | peak_day(V, 'tone')
Q docs/tutorial.md | ia_vs_iv.h5 | falls from 4.74 to 2.48 pg/mL at day 28 | 4.74 | v(V, 'IL6_s', 0)
Q docs/tutorial.md | ia_vs_iv.h5 | falls from 4.74 to 2.48 pg/mL at day 28 | 2.48 | v(V, 'IL6_s', 28)
Q docs/tutorial.md | ia_vs_iv.h5 | (3.11 after IA) | 3.11 | v(A, 'IL6_s', 28)
Q docs/tutorial.md | ia_vs_iv.h5 | assumes that 90 % of the IV cells | 90 | 100 * p(V, 'f_lung')
C docs/tutorial.md | lungs30.h5 | with f_lung = 0.3 the IA column has not changed by a digit | all(m(A, k) == m(A, k, f=other('ia_vs_iv.h5')) for k in metric_names())
Q docs/tutorial.md | lungs30.h5 | its CRP at four weeks is now 1.33 mg/L | 1.33 | m(V, 'CRP_28d')
C docs/tutorial.md | lungs30.h5 | IV's SF IL-6 exposure is a third higher with f_lung = 0.3 | 1.25 < m(V, 'IL6_auc_28d') / m(V, 'IL6_auc_28d', f=other('ia_vs_iv.h5')) < 1.42
C docs/tutorial.md | lungs30.h5 | the cells reaching the knee are the same with f_lung = 0.3 | close(m(V, 'MSC_exposure_28d'), m(V, 'MSC_exposure_28d', f=other('ia_vs_iv.h5')), 1e-3)
Q docs/tutorial.md | lungs30.h5 | lungs hold a third as many cells | 0.33~0.01 | s(V, 'MSC_lung').max() / s(V, 'MSC_lung', f=other('ia_vs_iv.h5')).max()
Q docs/tutorial.md | lungs30.h5 | The tone now peaks at 0.20 instead of 0.66 | 0.20 | s(V, 'tone').max()
Q docs/tutorial.md | ia_vs_iv.h5 | the lung cells count 5.5 times | 5.5 | 1 + (p(V, 'lic_max') - 1) * p(V, 'lic_capacity') * p(V, 'lic_lung')
Q docs/tutorial.md | ia_vs_iv.h5 | On day 1 the signal is 0.84 × `K_tone` | 0.84 | signal(V, 1)
Q docs/tutorial.md | lungs30.h5 | and 0.28 × `K_tone` with 0.3 | 0.28 | signal(V, 1)
Q docs/tutorial.md | ia_vs_iv.h5 | the induction runs at 0.41 and 0.073 of its maximum | 0.41 | hill2(signal(V, 1))
Q docs/tutorial.md | lungs30.h5 | the induction runs at 0.41 and 0.073 of its maximum | 0.073 | hill2(signal(V, 1))
C docs/tutorial.md | lungs30.h5 | a third of the cells, less than a fifth of the push (day 1) | hill2(signal(V, 1)) < 0.2 * hill2(signal(V, 1, f=other('ia_vs_iv.h5')))
Q docs/tutorial.md | ia_vs_iv.h5 | (potency 1, fully licensable) | 1 | p(A, 'potency') * p(A, 'lic_capacity')
C docs/tutorial.md | ia_vs_iv.h5 | the control stays flat for six months | all(close(v(C, x, 180), v(C, x, 0), 1e-6) for x in ('knee.IL6', 'knee.pain_VAS', 'knee.cartilage_volume', 'CRP'))
Q docs/tutorial.md | ia_vs_iv.h5 | from which 24 % settle | 24 | 100 * p(A, 'f_slow')
Q docs/tutorial.md | ia_vs_iv.h5 | within minutes (t½ 5 min) | 5 | ln2 / p(V, 'k_blood') * 60
Q docs/tutorial.md | ia_vs_iv.h5 | alive in the lungs (t½ 1 day) | 1 | ln2 / p(V, 'k_lung') / 24
Q docs/tutorial.md | ia_vs_iv.h5 | (up to 10× more secretion) | 10 | p(A, 'lic_max')
Q docs/tutorial.md | ia_vs_iv.h5 | half-life of 60 days, long after | 60 | ln2 / p(V, 'k_tone_off') / 24
Q docs/tutorial.md | ia_vs_iv.h5 | cleared with t½ 30 h | 30 | ln2 / p(V, 'k_CRP')
Q docs/tutorial.md | ia_vs_iv.h5 | `k_tone_on · hill(signal, K_tone, 2)` | 2 | p(V, 'n_tone')
Q docs/tutorial.md | ia_vs_iv.h5 | around `K_tone` = 3×10⁸ | 3e8 | p(V, 'K_tone')
Q docs/tutorial.md | long_inflamed.h5 | (potency 0.3) | 0.3 | p(V, 'potency')
C docs/tutorial.md | long_inflamed.h5 | IV loses most of its CRP effect with long-inflamed cells, IA little of its IL-6 effect | (m(C, 'CRP_28d') - m(V, 'CRP_28d')) < 0.5 * (m(C, 'CRP_28d') - m(V, 'CRP_28d', f=other('ia_vs_iv.h5'))) and m(A, 'IL6_auc_28d') < 1.1 * m(A, 'IL6_auc_28d', f=other('ia_vs_iv.h5'))
C examples/teaching/inflammation_switch.md | switch.h5 | the two drive-0.01 arms have exactly the same parameters | all(p(I1, k) == p(H1, k) for k in param_names(I1))
Q examples/teaching/inflammation_switch.md | switch.h5 | (SF IL-6 602 pg/mL, | 602 | m(I1, 'IL6_2y')
Q examples/teaching/inflammation_switch.md | switch.h5 | 22.5 % of its macrophages activated | 22.5 | 100 * m(I1, 'Mac_2y')
Q examples/teaching/inflammation_switch.md | switch.h5 | (83 pg/mL, 2.4 % activated) | 83 | m(H1, 'IL6_2y')
Q examples/teaching/inflammation_switch.md | switch.h5 | (83 pg/mL, 2.4 % activated) | 2.4 | 100 * m(H1, 'Mac_2y')
C examples/teaching/inflammation_switch.md | switch.h5 | bistable at drive 0.01: each knee stays where it started (IL-6 at 1 and 2 years) | all(v(I1, 'knee.IL6', d) > 500 and v(H1, 'knee.IL6', d) < 100 for d in (365, 730))
Q examples/teaching/inflammation_switch.md | switch.h5 | drifts from 630 down to 437 pg/mL by day 280 | 437 | v(I0, 'knee.IL6', 280)
Q examples/teaching/inflammation_switch.md | switch.h5 | 300 pg/mL on day 311.5 | 311.5 | m(I0, 'below_300') / 24
Q examples/teaching/inflammation_switch.md | switch.h5 | settles at 24 pg/mL | 24 | m(I0, 'IL6_2y')
C examples/teaching/inflammation_switch.md | switch.h5 | without a drive the inflamed knee has settled at the healthy level by two years | abs(v(I0, 'knee.IL6', 730) - v(I0, 'knee.IL6', 700)) < 0.5
Q examples/teaching/inflammation_switch.md | switch.h5 | crossing 300 pg/mL on day 33 | 33 | m(H2, 'above_300') / 24
Q examples/teaching/inflammation_switch.md | switch.h5 | reaching 712 pg/mL at two years | 712 | m(H2, 'IL6_2y')
Q examples/teaching/inflammation_switch.md | switch.h5 | the effusive OA preset uses 0.06 | 0.06 | p(T6, 'knee.severity')
Q examples/teaching/inflammation_switch.md | switch.h5 | Ten million cells, of which 33 are left | 33 | m(T1, 'MSC_2y')
Q examples/teaching/inflammation_switch.md | switch.h5 | stays calm (70 pg/mL at two years, where its untreated twin is at 602) | 70 | m(T1, 'IL6_2y')
C examples/teaching/inflammation_switch.md | switch.h5 | the treated drive-0.01 knee ends near the healthy twin, not the inflamed one | m(T1, 'IL6_2y') < 1.2 * m(H1, 'IL6_2y') and math.isnan(m(T1, 'above_300'))
Q examples/teaching/inflammation_switch.md | switch.h5 | (below 300 pg/mL within 7 hours of the injection) | 7~0.5 | max(m(T6, 'below_300'), m(T1, 'below_300'))
Q examples/teaching/inflammation_switch.md | switch.h5 | above 300 pg/mL on day 470 | 470 | m(T6, 'above_300') / 24
Q examples/teaching/inflammation_switch.md | switch.h5 | at 734 pg/mL at two years | 734 | m(T6, 'IL6_2y')
Q examples/teaching/inflammation_switch.md | drive_0.012.h5 | At a drive of 0.012 the healthy knee is still calm at two years (110 pg/mL) | 110 | m(H1, 'IL6_2y')
C examples/teaching/inflammation_switch.md | drive_0.012.h5 | the --set drive is used | p(H1, 'knee.severity') == 0.012 and math.isnan(m(H1, 'above_300'))
Q examples/teaching/inflammation_switch.md | drive_0.0125.h5 | at 0.0125 it inflames, crossing 300 pg/mL on day 317 | 317 | m(H1, 'above_300') / 24
C examples/teaching/inflammation_switch.md | drive_0.0125.h5 | a drive five times smaller than the effusive preset's | 4.5 < p(T6, 'knee.severity', f=other('switch.h5')) / p(H1, 'knee.severity') <= 5
Q examples/teaching/inflammation_switch.md | no_cytokine_loop.h5 | (`a_cyt=0`) the knee that started inflamed at drive 0.01 ends at 64 pg/mL | 64 | m(I1, 'IL6_2y')
Q examples/teaching/inflammation_switch.md | no_fragment_loop.h5 | (`a_frag=0`) at 59 pg/mL | 59 | m(I1, 'IL6_2y')
C examples/teaching/inflammation_switch.md | no_fragment_loop.h5 | without either loop the drive-0.01 knees end in one state | all(abs(m(I1, 'IL6_2y', f=other(x)) - m(H1, 'IL6_2y', f=other(x))) < 0.1 * m(H1, 'IL6_2y', f=other(x)) for x in ('no_cytokine_loop.h5', 'no_fragment_loop.h5'))
Q examples/teaching/lungs_and_crp.md | lungs.h5 | (78 % of the dose) | 78 | 100 * m(V, 'lung_1h') / 1e8
Q examples/teaching/lungs_and_crp.md | lungs.h5 | At the end of the infusion 7.8×10⁷ viable cells | 7.8e7 | m(V, 'lung_1h')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | more than 2394 cells — 0.0024 % of the dose | 2394 | m(V, 'knee_max')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | more than 2394 cells — 0.0024 % of the dose | 0.0024 | 100 * m(V, 'knee_max') / 1e8
Q examples/teaching/lungs_and_crp.md | lungs.h5 | where IA puts all 10⁸ there | 1e8 | m(A, 'knee_max')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | SF IL-6 from 631 to 139 pg/mL at four weeks | 631 | m(C, 'sfIL6_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | SF IL-6 from 631 to 139 pg/mL at four weeks | 139 | m(V, 'sfIL6_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | Without homing the knee's SF IL-6 is 142 pg/mL instead of 139 | 142 | m('IV, no homing', 'sfIL6_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | Without the tone most of the effect is gone (309 pg/mL) | 309 | m('IV, no tone', 'sfIL6_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | raise it to 0.66 within days | 0.66 | m(V, 'tone_max')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | decays with a half-life of 60 days, long after | 60 | ln2 / p(V, 'k_tone_off') / 24
C examples/teaching/lungs_and_crp.md | lungs.h5 | the homed cells alone still halve SF IL-6 | 0.4 < m('IV, no tone', 'sfIL6_28d') / m(C, 'sfIL6_28d') < 0.55
Q examples/teaching/lungs_and_crp.md | no_tone_no_homing.h5 | SF IL-6 stays at 630.6 pg/mL | 630.6 | m('IV, no tone', 'sfIL6_28d')
C examples/teaching/lungs_and_crp.md | no_tone_no_homing.h5 | with neither homing nor tone every metric but lung_1h is the control's (to 1e-9) | all(close(m('IV, no tone', k), m(C, k, f=other('lungs.h5')), 1e-9) for k in metric_names() if k not in ('lung_1h', 'tone_max'))
Q examples/teaching/lungs_and_crp.md | lungs.h5 | The body makes `s_IL6_sys / k_IL6_s` = 3.0 pg/mL | 3.0 | p(C, 's_IL6_sys') / p(C, 'k_IL6_s')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | `k_lymph × sf × IL6 / V_plasma / k_IL6_s` = 1.74 pg/mL | 1.74 | p(C, 'k_lymph') * p(C, 'knee.sf') * v(C, 'knee.IL6', 0) / p(C, 'V_plasma') / p(C, 'k_IL6_s')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | together 4.74 | 4.74 | m(C, 'sIL6_28d')
C examples/teaching/lungs_and_crp.md | lungs.h5 | only about a third of the serum IL-6 comes from the knee | 0.3 < 1 - p(C, 's_IL6_sys') / p(C, 'k_IL6_s') / v(C, 'IL6_s', 0) < 0.4
C examples/teaching/lungs_and_crp.md | lungs.h5 | the two sources add up to the untreated serum IL-6 | close(p(C, 's_IL6_sys') / p(C, 'k_IL6_s') + p(C, 'k_lymph') * p(C, 'knee.sf') * v(C, 'knee.IL6', 0) / p(C, 'V_plasma') / p(C, 'k_IL6_s'), v(C, 'IL6_s', 0), 1e-4)
Q examples/teaching/lungs_and_crp.md | lungs.h5 | (SF IL-6 39 against 139 pg/mL) | 39 | m(A, 'sfIL6_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | cleared in about 30 hours | 30 | ln2 / p(C, 'k_CRP')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | (serum IL-6 3.11, CRP 1.25 at four weeks) | 3.11 | m(A, 'sIL6_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | (serum IL-6 3.11, CRP 1.25 at four weeks) | 1.25 | m(A, 'CRP_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | If the tone spared the body, CRP would be 1.37 instead of 0.98 | 1.37 | m('IV, tone spares body', 'CRP_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | CRP would be 1.37 instead of 0.98 | 0.98 | m(V, 'CRP_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | if it spared the knee, 1.18 | 1.18 | m('IV, tone spares knee', 'CRP_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | **At six months IA wins** (CRP 1.22 against 1.35) | 1.22 | m(A, 'CRP_180d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | (CRP 1.22 against 1.35) | 1.35 | m(V, 'CRP_180d')
C examples/teaching/lungs_and_crp.md | lungs.h5 | IV lowers CRP more than IA at four weeks while doing less in the knee | m(V, 'CRP_28d') < m(A, 'CRP_28d') and m(V, 'sfIL6_28d') > m(A, 'sfIL6_28d')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | `h_home` (about 10⁻⁴ | 1e-4 | p(V, 'h_home')
Q examples/teaching/lungs_and_crp.md | lungs.h5 | a fraction `f_lung = 0.9` | 0.9 | p(V, 'f_lung')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | SF PGE2 covers half of its fall in 5.0 hours | 5.0 | m('IA', 'PGE2_half')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | pain in 7.8 days | 7.8 | m('IA', 'pain_half') / 24
Q examples/teaching/pain_before_cartilage.md | pain.h5 | the cartilage volume in 165 days | 165 | m('IA', 'cartilage_half') / 24
Q examples/teaching/pain_before_cartilage.md | pain.h5 | (`k_PGE2` = 2.3 /h) | 2.3 | p('IA', 'k_PGE2')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | pain has made 78 % of its improvement | 78 | 100 * m('IA', 'pain_done_28d')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | the cartilage 8.7 % of its gain | 8.7 | 100 * m('IA', 'cartilage_done_28d')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | with a half-life of 3 days (`k_sp`) | 3 | ln2 / p('IA', 'k_sp') / 24
Q examples/teaching/pain_before_cartilage.md | pain.h5 | with a half-life of 21 days (`k_sc`) | 21 | ln2 / p('IA', 'k_sc') / 24
Q examples/teaching/pain_before_cartilage.md | pain.h5 | fall in 80 hours and 98 % of it by day 28 | 80 | m('IA, no central sensitisation', 'pain_half')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | fall in 80 hours and 98 % of it by day 28 | 98 | 100 * m('IA, no central sensitisation', 'pain_done_28d')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | The size of the fall does not change (15.4 mm) | 15.4 | -m('IA', 'pain_fall')
C examples/teaching/pain_before_cartilage.md | pain.h5 | the pain fall is the same without central sensitisation | abs(m('IA', 'pain_fall') - m('IA, no central sensitisation', 'pain_fall')) < 0.05
Q examples/teaching/pain_before_cartilage.md | pain.h5 | the same 29 %. | 29 | 100 * (p('IA', 'w_p') + p('IA', 'w_c'))
Q examples/teaching/pain_before_cartilage.md | pain.h5 | a fall of 41.1 mm instead of 15.4 | 41.1 | -m('IA, RA-like pain', 'pain_fall')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | (half in 7.2 days) | 7.2 | m('IA, RA-like pain', 'pain_half') / 24
Q examples/teaching/pain_before_cartilage.md | pain.h5 | In the knee-OA presets 71 % of the pain is structural | 71 | 100 * p('IA', 'w_s')
C examples/teaching/pain_before_cartilage.md | pain.h5 | in every arm pain reaches half its fall before the cartilage reaches half its gain | all(m(a, 'pain_half') < m(a, 'cartilage_half') for a in arm_names())
C examples/teaching/pain_before_cartilage.md | pain.h5 | the cartilage is highest on the last day in every arm | all(m(a, 'cartilage_peak') == days(a)[-1] * 24 for a in arm_names())
Q examples/teaching/pain_before_cartilage.md | pain_180d.h5 | over six months it is 88 days | 88 | m('IA', 'cartilage_half') / 24
Q examples/teaching/pain_before_cartilage.md | pain_180d.h5 | (0.94 points of normal in six months | 0.94 | m('IA', 'cartilage_gain')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | 1.73 in a year) | 1.73 | m('IA', 'cartilage_gain')
Q examples/teaching/pain_before_cartilage.md | pain.h5 | Pain is lowest around day 167 | 167 | m('IA', 'pain_lowest') / 24
Q examples/teaching/pain_before_cartilage.md | pain.h5 | pain rises again from around day 167 | 167 | m('IA', 'pain_lowest') / 24
C examples/teaching/pain_before_cartilage.md | pain.h5 | pain rises again after its lowest point while the cartilage still gains | v('IA', 'knee.pain_VAS', 365) > v('IA', 'knee.pain_VAS', 170) + 1 and v('IA', 'knee.cartilage_volume', 365) > v('IA', 'knee.cartilage_volume', 170)
Q examples/teaching/pain_before_cartilage.md | collagen_2yr.h5 | the cartilage gains 14.6 points in a year | 14.6 | m('IA', 'cartilage_gain')
Q examples/teaching/pain_before_cartilage.md | collagen_2yr.h5 | pain falls by 22.5 mm | 22.5 | -m('IA', 'pain_fall')
Q examples/teaching/pain_before_cartilage.md | collagen_2yr.h5 | its half-time moves to 18 days | 18 | m('IA', 'pain_half') / 24
Q examples/teaching/pain_before_cartilage.md | collagen_2yr.h5 | (half-time 148 days) | 148 | m('IA', 'cartilage_half') / 24
Q examples/teaching/pain_before_cartilage.md | collagen_2yr.h5 | (half-life 2 years instead of 20 | 2 | ln2 / p('IA', 'k_COL_syn') / (24 * 365.25)
C examples/teaching/pain_before_cartilage.md | collagen_2yr.h5 | the untreated knee stays where it was with the faster collagen turnover | abs(v('IA', 'knee.cartilage_volume', 0) - v('IA', 'knee.cartilage_volume', 0, f=other('pain.h5'))) < 0.01
EOF
"$PYTHON" - "$TMP/run" "$TMP/quotes.table" >"$TMP/quotes" 2>&1 <<'PY'
import math, re, sys, h5py, numpy as np
root = sys.argv[1]
ln2 = math.log(2)
ALIAS = {
    "docs/tutorial.md": {"A": "IA 50M UC-MSC", "V": "IV 100M UC-MSC", "C": "control"},
    "examples/teaching/lungs_and_crp.md": {"A": "IA", "V": "IV", "C": "control"},
    "examples/teaching/inflammation_switch.md": {
        "I0": "drive 0, started inflamed", "I1": "drive 0.01, started inflamed",
        "H1": "drive 0.01, started healthy", "H2": "drive 0.02, started healthy",
        "T1": "drive 0.01, inflamed + IA 1e7", "T6": "drive 0.06, inflamed + IA 1e7"},
}

files, texts = {}, {}
def norm(t): return re.sub(r"\s+", " ", t)
def page_text(page):
    if page not in texts: texts[page] = norm(open(page, encoding="utf-8").read())
    return texts[page]

class Ctx:
    def __init__(self, page, h5):
        self.folder = root + "/" + page.replace("/", "_")
        self.f = self.open(h5)
    def open(self, name):
        path = self.folder + "/" + name
        if path not in files: files[path] = h5py.File(path, "r")
        return files[path]

def env(ctx, page):
    F = ctx.f
    def grp(arm, f): return (f or F)["arms"][arm]
    def m(arm, metric, f=None):
        g = (f or F)["metrics"]
        arms = list(g["arm"].asstr()[:]); names = list(g["metric"].asstr()[:])
        return float(g["value"][arms.index(arm), names.index(metric)])
    def metric_names(f=None): return list((f or F)["metrics/metric"].asstr()[:])
    def arm_names(f=None): return list((f or F)["metrics/arm"].asstr()[:])
    def param_names(arm, f=None): return list(grp(arm, f)["param"].asstr()[:])
    def days(arm, f=None): return grp(arm, f)["time"][:] / 24.0
    def s(arm, var, f=None): return grp(arm, f)[var][:]
    def v(arm, var, day, f=None):
        i = np.flatnonzero(np.isclose(days(arm, f), day, rtol=0, atol=1e-9))
        assert len(i) == 1, "day %g is not on the output grid" % day
        return float(s(arm, var, f)[i[0]])
    def p(arm, name, f=None):
        g = grp(arm, f); names = list(g["param"].asstr()[:])
        return float(g["param_value"][names.index(name)])
    def peak_day(arm, var, f=None): return float(days(arm, f)[np.argmax(s(arm, var, f))])
    def low_day(arm, var, f=None): return float(days(arm, f)[np.argmin(s(arm, var, f))])
    def first_day(d, cond):
        i = np.flatnonzero(cond); assert len(i), "never"; return float(d[i[0]])
    def close(a, b, rel=1e-6): return abs(a - b) <= rel * max(abs(a), abs(b))
    def signal(arm, day, f=None):  # the systemic MSC signal of parts/msc_pk.model over K_tone
        lic = 1 + (p(arm, 'lic_max', f) - 1) * p(arm, 'lic_capacity', f) * p(arm, 'lic_lung', f)
        cells = v(arm, 'MSC_lung', day, f) + v(arm, 'MSC_blood', day, f)
        return p(arm, 'potency', f) * lic * cells / p(arm, 'K_tone', f)
    def hill2(x): return x * x / (1 + x * x)
    e = dict(m=m, metric_names=metric_names, arm_names=arm_names, param_names=param_names, days=days, s=s, v=v, p=p, peak_day=peak_day,
             low_day=low_day, first_day=first_day, close=close, signal=signal, hill2=hill2, other=ctx.open, np=np,
             math=math, ln2=ln2, inf=math.inf, nan=math.nan, isnan=math.isnan)
    e.update(ALIAS.get(page, {}))
    return e

def tolerance(value):
    mant, _, exp = value.lower().partition("e")
    dec = len(mant.split(".")[1]) if "." in mant else 0
    return 0.5 * 10.0 ** (-dec) * 10.0 ** (int(exp) if exp else 0)

for row in open(sys.argv[2], encoding="utf-8").read().splitlines():
    if not row.strip() or row.startswith("#"): continue
    kind, rest = row[0], row[2:]
    parts = [x.strip() for x in rest.split(" | ")]
    page, h5 = parts[0], parts[1]
    name = "%s: %s" % (page, parts[2])
    try:
        ctx = Ctx(page, h5)
        e = env(ctx, page)
        if kind == "Q":
            quoted, value, expr = parts[2], parts[3], " | ".join(parts[4:])
            name = "%s quotes %s: '%s'" % (page, value.split("~")[0], quoted)
            assert norm(quoted) in page_text(page), "the text is not on the page"
            want, _, tol = value.partition("~")
            tol = float(tol) if tol else tolerance(want)
            got = float(eval(expr, e))
            assert abs(got - float(want)) <= tol * (1 + 1e-9), "recomputed %.6g, quoted %s (tolerance %g)" % (got, want, tol)
        else:
            claim, expr = parts[2], " | ".join(parts[3:])
            name = "%s: %s" % (page, claim)
            assert eval(expr, e), "false"
        print("OK\t" + name)
    except Exception as x:
        print("FAIL\t" + name + "\t" + repr(x))
PY
while IFS="$(printf '\t')" read -r res name why; do
  case $res in
  OK) ok "$name" ;;
  FAIL) not_ok "$name"; echo "# $why" ;;
  *) not_ok "quoted numbers: $res $name $why" ;;
  esac
done <"$TMP/quotes"
finish
