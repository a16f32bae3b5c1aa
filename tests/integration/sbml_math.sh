#!/bin/sh
# synovia — SBML import's MathML (docs/sbml.md): an SBML model whose
# assignment rules apply every translated MathML function to constants, run,
# each output compared with Python's math library (an independent
# implementation) to 1e-13 relative.
. tests/lib/tap.sh

"$PYTHON" - "$TMP/math.xml" "$TMP/want.txt" <<'PY'
import math, sys
x, y = 0.7, 1.3
def ci(n): return "<ci>%s</ci>" % n
def cn(v): return "<cn>%r</cn>" % v
def ap(op, *a): return "<apply><%s/>%s</apply>" % (op, "".join(a))
T, F = "<true/>", "<false/>"
cases = {
  "sec": (ap("sec", ci("x")), 1 / math.cos(x)),
  "csc": (ap("csc", ci("x")), 1 / math.sin(x)),
  "cot": (ap("cot", ci("x")), 1 / math.tan(x)),
  "sech": (ap("sech", ci("x")), 1 / math.cosh(x)),
  "csch": (ap("csch", ci("x")), 1 / math.sinh(x)),
  "coth": (ap("coth", ci("x")), 1 / math.tanh(x)),
  "arcsec": (ap("arcsec", ci("y")), math.acos(1 / y)),
  "arccsc": (ap("arccsc", ci("y")), math.asin(1 / y)),
  "arccot": (ap("arccot", ci("x")), math.atan(1 / x)),
  "arcsinh": (ap("arcsinh", ci("x")), math.asinh(x)),
  "arccosh": (ap("arccosh", ci("y")), math.acosh(y)),
  "arctanh": (ap("arctanh", ci("x")), math.atanh(x)),
  "arcsech": (ap("arcsech", ci("x")), math.acosh(1 / x)),
  "arccsch": (ap("arccsch", ci("x")), math.asinh(1 / x)),
  "arccoth": (ap("arccoth", ci("y")), math.atanh(1 / y)),
  "log2": ("<apply><log/><logbase>%s</logbase>%s</apply>" % (cn(2), ci("y")), math.log2(y)),
  "lg10": (ap("log", ci("y")), math.log10(y)),
  "root3": ("<apply><root/><degree>%s</degree>%s</apply>" % (cn(3), ci("y")), y ** (1 / 3)),
  "sqroot": (ap("root", ci("y")), math.sqrt(y)),
  "pw": ("<piecewise><piece>%s%s</piece><piece>%s%s</piece><otherwise>%s</otherwise></piecewise>"
         % (cn(1), ap("lt", ci("x"), cn(0.5)), cn(2), ap("lt", ci("x"), cn(1)), cn(3)), 2.0),
  "xor3": (ap("xor", T, F, T), 0.0),
  "xor1": (ap("xor", T, F, F), 1.0),
  "implies": (ap("implies", F, ap("gt", ci("x"), cn(5))), 1.0),
  "rem": (ap("rem", cn(7), cn(-3)), math.fmod(7, -3)),
  "quotient": (ap("quotient", cn(-7), cn(2)), -3.0),
  "fact": (ap("factorial", cn(5)), 120.0),
  "maxn": (ap("max", ci("x"), ci("y"), cn(0.2)), y),
  "minn": (ap("min", ci("x"), ci("y"), cn(0.2)), 0.2),
  "lt3": (ap("lt", cn(1), cn(2), cn(3)), 1.0),
  "lt3f": (ap("lt", cn(1), cn(3), cn(2)), 0.0),
  "eq3": (ap("eq", ci("x"), ci("x"), ci("x")), 1.0),
  "e_pi": (ap("times", "<exponentiale/>", "<pi/>"), math.e * math.pi),
  "ratio": (ap("divide", cn(2), ci("d")), 2 / 4.0),
  "fn": ("<apply><ci>hyp</ci>%s%s</apply>" % (ci("x"), ci("y")), math.hypot(x, y)),
}
rules = "".join('<assignmentRule variable="%s"><math xmlns="http://www.w3.org/1998/Math/MathML">%s</math></assignmentRule>' % (k, m) for k, (m, _) in cases.items())
params = "".join('<parameter id="%s" constant="false"/>' % k for k in cases)
open(sys.argv[1], "w").write('''<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2"><model id="m">
<listOfFunctionDefinitions><functionDefinition id="hyp"><math xmlns="http://www.w3.org/1998/Math/MathML">
<lambda><bvar><ci>a</ci></bvar><bvar><ci>b</ci></bvar><apply><root/><apply><plus/><apply><power/><ci>a</ci><cn>2</cn></apply>
<apply><power/><ci>b</ci><cn>2</cn></apply></apply></apply></lambda></math></functionDefinition></listOfFunctionDefinitions>
<listOfParameters><parameter id="x" value="0.7" constant="true"/><parameter id="y" value="1.3" constant="true"/>
<parameter id="d" value="4" constant="true"/>%s</listOfParameters><listOfRules>%s</listOfRules></model></sbml>''' % (params, rules))
open(sys.argv[2], "w").write("".join("%s %r\n" % (k, v) for k, (_, v) in cases.items()))
PY
check "an SBML model using every translated MathML function runs" \
  "$SYNOVIA" run "$TMP/math.xml" -q -o "$TMP/math.h5" --t-end 1 --every 1
while read -r name want; do
  check "MathML '$name' agrees with Python's math" "$PYTHON" -c '
import sys, h5py
v = h5py.File(sys.argv[1], "r")["arms/run/" + sys.argv[2]][0]
w = float(sys.argv[3])
sys.exit(0 if abs(v - w) <= 1e-13 * max(1.0, abs(w)) else 1)' "$TMP/math.h5" "$name" "$want"
done <"$TMP/want.txt"
finish
