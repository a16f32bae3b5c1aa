# synovia — each reference model, compiled to bytecode, integrated by CVODE and
# by GSL's msbdf (independent BDF code) at tight tolerances: they must agree
# to 1e-6 relative (on the scale of each state's largest value).
. tests/lib/tap.sh
X=$BUILD/asan/tools/crosscheck
cc() { # model t_end rtol atol
  if "$X" "$@" >"$TMP/out" 2>&1; then ok "$(cat "$TMP/out")"
  else not_ok "crosscheck $1"; sed 's/^/# /' "$TMP/out"; fi
}
cc models/exponential_decay.model 24 1e-10 1e-14 1e-6
cc models/logistic.model 10 1e-10 1e-14 1e-6
cc models/two_compartment.model 48 1e-10 1e-14 1e-6
cc models/stiff_linear.model 500 1e-10 1e-14 1e-6
cc models/robertson.model 4e4 1e-10 1e-20 1e-6
cc models/joint_demo.model 672 1e-10 1e-14 1e-6
cc tests/bench/stiff20.model 100 1e-10 1e-14 1e-6
finish
