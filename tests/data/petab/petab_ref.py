"""An independent reading of a PEtab problem, for checking synovia against it.

Nothing here uses synovia: the SBML model is read with libsbml (Debian's python3-sbml5), its
reactions turned into a right-hand side, simulated with scipy's solve_ivp at tight tolerances,
and the PEtab tables (parameters, observables, measurements) read with the standard library.
The negative log-likelihood counts the constant terms as PEtab does (0.5·log(2πσ²) for a normal
noise model), so it compares with published values.

What is covered is what the problems used in the tests need, and everything else is refused
with a clear error rather than silently misread: one simulation condition without
preequilibration, species in concentration units (hasOnlySubstanceUnits false), constant
compartments, assignment rules and initial assignments, no events, algebraic or rate rules.

    prob = load("tests/data/petab/Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml")
    sim = simulate(prob)                 # {"time", "states", "observables"} at the measurement times
    nllh(prob, sim["observables"])       # the sum over the measurement rows

The tables alone (load(..., sbml=False)) need neither libsbml nor scipy: nllh() of another
simulator's observables works without them.
"""
import csv
import math
import os
import re

import numpy as np

try:
    import libsbml
except ImportError:  # the caller decides whether to skip
    libsbml = None
try:
    from scipy.integrate import solve_ivp
except ImportError:
    solve_ivp = None


class PetabError(Exception):
    pass


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _yaml_files(path):
    """The file lists of a PEtab 1 problem file (a small subset of YAML: 'key: value' and
    '- item' lines), without a YAML library."""
    out, key = {}, None
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^-?\s*([A-Za-z_]+):\s*(.*)$", s)
        if m:
            key, value = m.group(1), m.group(2)
            if value:
                out[key] = value
            continue
        if s.startswith("- ") and key:
            out.setdefault(key, [])
            if isinstance(out[key], str):
                raise PetabError("%s: '%s' is both a value and a list" % (path, key))
            out[key].append(s[2:].strip())
    return out


# --- SBML -----------------------------------------------------------------------------------

_BINARY = {}
_FUNCS = {}


def _init_ops():
    if _BINARY or libsbml is None:
        return
    _BINARY.update({libsbml.AST_PLUS: "+", libsbml.AST_MINUS: "-", libsbml.AST_TIMES: "*",
                    libsbml.AST_DIVIDE: "/"})
    _FUNCS.update({libsbml.AST_FUNCTION_EXP: "math.exp", libsbml.AST_FUNCTION_LN: "math.log",
                   libsbml.AST_FUNCTION_ABS: "abs"})


def _py(node):
    """A MathML tree as a Python expression over a namespace of SBML ids (and t for time)."""
    ty = node.getType()
    if ty == libsbml.AST_INTEGER:
        return repr(float(node.getInteger()))
    if ty in (libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL):
        return repr(float(node.getReal()))
    if ty == libsbml.AST_NAME:
        return node.getName()
    if ty == libsbml.AST_NAME_TIME:
        return "t"
    args = [_py(node.getChild(i)) for i in range(node.getNumChildren())]
    if ty in _BINARY:
        if ty == libsbml.AST_MINUS and len(args) == 1:
            return "(-%s)" % args[0]
        if not args:
            raise PetabError("operator without operands")
        return "(" + (" %s " % _BINARY[ty]).join(args) + ")"
    if ty in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
        return "(%s ** %s)" % (args[0], args[1])
    if ty in _FUNCS:
        return "%s(%s)" % (_FUNCS[ty], ", ".join(args))
    raise PetabError("MathML node '%s' is not supported by this reader" % node.getName())


def _compile(node):
    return compile(_py(node), "<sbml>", "eval")


def read_sbml(path):
    """The SBML model as plain data: ids, values, compiled expressions, stoichiometry."""
    if libsbml is None:
        raise PetabError("libsbml is not installed (Debian: python3-sbml5)")
    _init_ops()
    doc = libsbml.readSBMLFromFile(path)
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) + doc.getNumErrors(libsbml.LIBSBML_SEV_FATAL):
        raise PetabError("%s: %s" % (path, doc.getErrorLog().toString()))
    m = doc.getModel()
    if m.getNumEvents() or m.getNumFunctionDefinitions() or m.getNumConstraints():
        raise PetabError("%s: events, function definitions and constraints are not supported" % path)
    model = {"compartments": {}, "parameters": {}, "species": [], "species_compartment": {},
             "initial": {}, "initial_assignments": {}, "rules": [], "reactions": []}
    for c in m.getListOfCompartments():
        if not c.getConstant():
            raise PetabError("%s: compartment '%s' is not constant" % (path, c.getId()))
        model["compartments"][c.getId()] = c.getSize()
    for p in m.getListOfParameters():
        model["parameters"][p.getId()] = p.getValue()
    for s in m.getListOfSpecies():
        if s.getHasOnlySubstanceUnits() or s.getBoundaryCondition() or s.getConstant():
            raise PetabError("%s: species '%s' is not a plain concentration" % (path, s.getId()))
        model["species"].append(s.getId())
        model["species_compartment"][s.getId()] = s.getCompartment()
        model["initial"][s.getId()] = s.getInitialConcentration()
    for a in m.getListOfInitialAssignments():
        model["initial_assignments"][a.getSymbol()] = _compile(a.getMath())
    for r in m.getListOfRules():
        if not r.isAssignment():
            raise PetabError("%s: only assignment rules are supported ('%s')" % (path, r.getVariable()))
        model["rules"].append((r.getVariable(), _compile(r.getMath())))
    for r in m.getListOfReactions():
        stoich = {}
        for ref in r.getListOfReactants():
            stoich[ref.getSpecies()] = stoich.get(ref.getSpecies(), 0.0) - ref.getStoichiometry()
        for ref in r.getListOfProducts():
            stoich[ref.getSpecies()] = stoich.get(ref.getSpecies(), 0.0) + ref.getStoichiometry()
        model["reactions"].append((r.getId(), _compile(r.getKineticLaw().getMath()), stoich))
    return model


# --- the PEtab problem ----------------------------------------------------------------------

def load(yaml_path, sbml=True):
    """The problem: the SBML model (None when sbml is false: the tables alone need no libsbml),
    the parameter, observable and measurement tables."""
    top = os.path.dirname(os.path.abspath(yaml_path))
    files = _yaml_files(yaml_path)
    if str(files.get("format_version")) != "1":
        raise PetabError("%s: only PEtab format_version 1 is supported" % yaml_path)

    def one(key):
        v = files.get(key)
        if not isinstance(v, list) or len(v) != 1:
            raise PetabError("%s: exactly one %s is supported" % (yaml_path, key))
        return os.path.join(top, v[0])

    prob = {
        "sbml": read_sbml(one("sbml_files")) if sbml else None,
        "parameters": _rows(os.path.join(top, files["parameter_file"])),
        "observables": {r["observableId"]: r for r in _rows(one("observable_files"))},
        "measurements": _rows(one("measurement_files")),
        "conditions": _rows(one("condition_files")),
    }
    conds = {r["simulationConditionId"] for r in prob["measurements"]}
    pre = {r.get("preequilibrationConditionId", "") for r in prob["measurements"]}
    if len(conds) != 1 or pre != {""}:
        raise PetabError("%s: one simulation condition without preequilibration is supported" % yaml_path)
    extra = [k for k in prob["conditions"][0] if k not in ("conditionId", "conditionName")]
    if extra:
        raise PetabError("%s: condition columns %s are not supported" % (yaml_path, extra))
    return prob


def nominal(prob):
    """{parameterId: nominalValue}: PEtab gives nominal values on the linear scale, whatever the
    parameterScale (the scale is for the estimator only)."""
    return {r["parameterId"]: float(r["nominalValue"]) for r in prob["parameters"]}


def _namespace(sbml, values):
    ns = {"math": math}
    ns.update(sbml["compartments"])
    ns.update(sbml["parameters"])
    ns.update(values)
    return ns


def initial_state(prob, values):
    sbml = prob["sbml"]
    ns = _namespace(sbml, values)
    ns["t"] = 0.0
    for var, code in sbml["rules"]:
        ns[var] = eval(code, ns)
    x0 = []
    for s in sbml["species"]:
        code = sbml["initial_assignments"].get(s)
        x0.append(eval(code, ns) if code is not None else sbml["initial"][s])
    return np.array(x0)


def rhs_function(prob, values):
    """f(t, x) for the species concentrations: each reaction's rate (an amount per time, as
    SBML kinetic laws are) divided by the size of the species' compartment."""
    sbml = prob["sbml"]
    base = _namespace(sbml, values)
    index = {s: i for i, s in enumerate(sbml["species"])}
    size = np.array([sbml["compartments"][sbml["species_compartment"][s]] for s in sbml["species"]])
    rules, reactions = sbml["rules"], sbml["reactions"]

    def f(t, x):
        ns = dict(base)
        ns["t"] = t
        ns.update(zip(sbml["species"], x))
        for var, code in rules:
            ns[var] = eval(code, ns)
        dx = np.zeros(len(x))
        for _, code, stoich in reactions:
            v = eval(code, ns)
            for s, n in stoich.items():
                dx[index[s]] += n * v
        return dx / size

    return f


def observable_values(prob, values, t, x):
    """{observableId: array over t} from the observables table's formulas."""
    sbml = prob["sbml"]
    out = {}
    for oid, row in prob["observables"].items():
        code = compile(row["observableFormula"].replace("^", "**"), "<observable>", "eval")
        col = []
        for k, tk in enumerate(t):
            ns = _namespace(sbml, values)
            ns["t"] = tk
            ns.update(zip(sbml["species"], x[:, k]))
            for var, rule in sbml["rules"]:
                ns[var] = eval(rule, ns)
            col.append(eval(code, ns))
        out[oid] = np.array(col)
    return out


def simulate(prob, values=None, rtol=1e-12, atol=1e-14, method="LSODA"):
    """States and observables at the measurement times of the problem."""
    if solve_ivp is None:
        raise PetabError("scipy is not installed (Debian: python3-scipy)")
    values = nominal(prob) if values is None else values
    times = measurement_times(prob)
    f = rhs_function(prob, values)
    sol = solve_ivp(f, (0.0, times[-1]), initial_state(prob, values), method=method,
                    t_eval=times, rtol=rtol, atol=atol)
    if not sol.success:
        raise PetabError("solve_ivp failed: " + sol.message)
    states = dict(zip(prob["sbml"]["species"], sol.y))
    return {"time": times, "states": states,
            "observables": observable_values(prob, values, times, sol.y)}


def _noise_value(row, measurement, values):
    """The noiseFormula with its noiseParameter<k>_<observableId> placeholders replaced by the
    measurement's noiseParameters (numbers or parameter ids, ';'-separated)."""
    given = [s.strip() for s in measurement.get("noiseParameters", "").split(";") if s.strip()]
    ns = dict(values)
    for k, g in enumerate(given, 1):
        name = "noiseParameter%d_%s" % (k, row["observableId"])
        try:
            ns[name] = float(g)
        except ValueError:
            ns[name] = values[g]
    return float(eval(row["noiseFormula"].replace("^", "**"), {"math": math}, ns))


def measurement_times(prob):
    """The distinct measurement times, sorted: the grid of simulate()'s arrays."""
    return np.array(sorted({float(r["time"]) for r in prob["measurements"]}))


def nllh_terms(prob, observables, values=None):
    """One negative log-likelihood term per measurement row, PEtab's convention. observables:
    {observableId: values at measurement_times(prob)}, from simulate() or from any simulator."""
    values = nominal(prob) if values is None else values
    times = measurement_times(prob)
    terms = []
    for r in prob["measurements"]:
        row = prob["observables"][r["observableId"]]
        if r.get("observableParameters", "").strip():
            raise PetabError("observableParameters are not supported by this reader")
        series = observables[r["observableId"]]
        y = float(series[int(np.searchsorted(times, float(r["time"])))])
        m = float(r["measurement"])
        sigma = _noise_value(row, r, values)
        scale = row.get("observableTransformation", "lin") or "lin"
        dist = row.get("noiseDistribution", "normal") or "normal"
        if scale == "lin":
            res, jac = m - y, 0.0
        elif scale == "log":
            res, jac = math.log(m) - math.log(y), math.log(m)
        elif scale == "log10":
            res, jac = math.log10(m) - math.log10(y), math.log(m * math.log(10))
        else:
            raise PetabError("observableTransformation '%s'" % scale)
        if dist == "normal":
            terms.append(0.5 * math.log(2 * math.pi * sigma ** 2) + jac + 0.5 * (res / sigma) ** 2)
        elif dist == "laplace":
            terms.append(math.log(2 * sigma) + jac + abs(res) / sigma)
        else:
            raise PetabError("noiseDistribution '%s'" % dist)
    return np.array(terms)


def nllh(prob, observables, values=None):
    return float(np.sum(nllh_terms(prob, observables, values)))
