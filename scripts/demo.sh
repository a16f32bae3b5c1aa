#!/bin/sh
# synovia — the README's main command: run the default model and show it.
# Usage: scripts/demo.sh [path/to/synovia]
set -eu
bin=${1:-build/release/synovia}
top=$(cd "$(dirname "$0")/.." && pwd)
out=${SYNOVIA_DEMO_OUT:-synovia-demo.h5}
"$bin" run "$top/models/joint_demo.model" --t-end '28 d' --every '6 h' -o "$out"
