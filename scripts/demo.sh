#!/bin/sh
# synovia — the README's main command: the built-in demonstration (knee OA,
# IA versus IV UC-MSCs versus no treatment; `synovia run` with no arguments),
# then its figure. Writes synovia-demo.h5 and synovia-demo.png in the current
# directory. Usage: scripts/demo.sh [path/to/synovia]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/build/release/synovia}
"$bin" run
# the key biomarkers only: a figure a class can read at a glance
"$top/scripts/synovia-plot" synovia-demo.h5 -o synovia-demo.png \
  --vars knee.IL6,knee.TNF,knee.MMP_TIMP_ratio,knee.PGE2,knee.pain_VAS,knee.cartilage_volume,knee.synovial_thickness,knee.MSC_joint,MSC_lung_viable,IL6_s,CRP
