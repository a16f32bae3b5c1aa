#!/bin/sh
# synovia — a model of N states for the compiler's scaling figures and test
# (issue 12 §11). Usage: tests/bench/scale_model.sh KIND N > FILE.model
#   chain  N systemic states, each d/dt reads its neighbour (sparse, no joints;
#          short base-62 names keep 10^5 states under the 4 MiB file limit)
#   star   N joints of one state and a systemic state S: d/dt S reads
#          sum(joint, X), every joint's d/dt reads S (sparse: 3N entries)
#   share  star, plus a per-joint output X / sum(joint, X) (the aggregate
#          used in every joint's copy of a line)
#   dense  N joints of one state, d/dt X = -k X + c sum(joint, X) / N:
#          every d/dt depends on every state (a dense N x N Jacobian)
#   wide   chain, plus a route into every state, a preset that sets every
#          state's initial value and N/10 presets of one value each
set -eu
[ $# -eq 2 ] || { echo "usage: $0 chain|star|share|dense|wide N" >&2; exit 2; }
awk -v kind="$1" -v n="$2" 'BEGIN {
  printf "model \"%s, %d\"\ntime unit h\nparam k = 0.1 /h\nparam c = 0.001 /h\n", kind, n
  if (kind == "chain" || kind == "wide") {
    A = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for (i = 0; i < n; i++) name[i] = b62(i, A)
    for (i = 0; i < n; i++) printf "state %s=1\n", name[i]
    printf "d/dt %s=-k*%s\n", name[0], name[0]
    for (i = 1; i < n; i++) printf "d/dt %s=c*%s-k*%s\n", name[i], name[i - 1], name[i]
    if (kind == "chain") exit
    for (i = 0; i < n; i++) printf "route R%s -> %s\n", name[i], name[i]
    printf "preset all {"
    for (i = 0; i < n; i++) printf " %s = 2;", name[i]
    printf " }\n"
    for (i = 0; i < n / 10; i++) printf "preset p%d { k = %d }\n", i, i + 1
    exit
  }
  if (kind != "star" && kind != "share" && kind != "dense") { print "unknown kind " kind > "/dev/stderr"; exit 2 }
  printf "joints"
  for (i = 0; i < n; i++) printf " j%d", i
  printf "\n"
  if (kind != "dense") printf "state S = 0\nd/dt S = c * sum(joint, X) - k * S\n"
  printf "per joint {\n  state X = 1\n"
  if (kind == "dense") printf "  d/dt X = -k * X + c * sum(joint, X) / %d\n", n
  else printf "  d/dt X = -k * X + c * S\n"
  if (kind == "share") printf "  output share = X / sum(joint, X)\n"
  printf "}\n"
}
function b62(i, A,   s) {
  s = ""
  do { s = substr(A, i % 62 + 1, 1) s; i = int(i / 62) } while (i > 0)
  return "X" s
}'
