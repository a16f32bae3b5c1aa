# synovia — a scenario of many arms is written in linear time and space (issue 12, point 13).
# The arms are made by this script (the growth model, 100 and 800 arms of it); checked: both
# runs succeed, every arm is in the file and reads back, and the file grows in proportion to
# the arms (800 arms at most 8.5 times the bytes of 100). No timing assertion: `make bench`
# (tests/bench/sweep.sh) is where times go; measured on a 2-core machine: 100 arms 0.66 s ->
# 0.23 s, 800 arms 6.7 s -> 1.5 s (HDF5 zeroed a 1 MiB conversion buffer at every string write).
. tests/lib/tap.sh
cp tests/sweep/growth.model "$TMP/"
for n in 100 800; do
  { printf 'scenario "many arms"\nmodel "growth.model"\nsimulate 0 d to 10 d every 1 d\n'
    i=1; while [ $i -le $n ]; do printf 'arm "a%d"\n  set s = 0.%d\n' $i $((i % 9 + 1)); i=$((i + 1)); done
    printf 'metric N_end = at(N, 10 d) "population at the end"\n'; } >"$TMP/arms$n.scenario"
  check "$n arms: the run writes its file" sh -c "'$SYNOVIA' run '$TMP/arms$n.scenario' -o '$TMP/arms$n.h5' >'$TMP/run$n.out' 2>&1"
  check "$n arms: summary reads every arm back" \
    sh -c "'$SYNOVIA' summary '$TMP/arms$n.h5' | grep -q 'the result of a run, $n arms'"
done
s100=$(wc -c <"$TMP/arms100.h5"); s800=$(wc -c <"$TMP/arms800.h5")
check "the file grows in proportion to the arms ($s100 -> $s800 bytes)" test $((s800 * 10)) -le $((s100 * 85))
finish
