#!/bin/sh
# synovia — the README's main command: run the demonstration scenario (one IA
# injection of MSCs versus none, in the teaching knee model) and show it.
# Usage: scripts/demo.sh [path/to/synovia]
set -eu
bin=${1:-build/release/synovia}
top=$(cd "$(dirname "$0")/.." && pwd)
out=${SYNOVIA_DEMO_OUT:-synovia-demo.h5}
"$bin" run "$top/examples/joint_demo.scenario" -o "$out"
