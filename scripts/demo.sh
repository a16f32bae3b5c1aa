#!/bin/sh
# synovia — the README's main command: the built-in demonstration (knee OA,
# IA versus IV UC-MSCs versus no treatment; `synovia run` with no arguments),
# then its figure. Writes synovia-demo.h5 and synovia-demo.png in the current
# directory. Usage: scripts/demo.sh [path/to/synovia]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/build/release/synovia}
"$bin" run
"$top/scripts/synovia-plot" synovia-demo.h5 -o synovia-demo.png
