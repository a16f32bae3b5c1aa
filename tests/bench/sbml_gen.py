"""Write an SBML Level 3 Version 2 model of N species and R reactions (mass
action, reversible pairs along a ring and cross-links, concentrations in two
compartments, local and global parameters), for the SBML import bench.

usage: sbml_gen.py SPECIES REACTIONS > model.xml"""
import sys


def main():
    n, r = int(sys.argv[1]), int(sys.argv[2])
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">',
           '<model id="generated_%d_%d">' % (n, r), '<listOfCompartments>',
           '<compartment id="cyt" size="1.5" spatialDimensions="3" constant="true"/>',
           '<compartment id="nuc" size="0.3" spatialDimensions="3" constant="true"/>',
           '</listOfCompartments>', '<listOfSpecies>']
    for i in range(n):
        out.append('<species id="S%d" compartment="%s" initialConcentration="%g" '
                   'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>'
                   % (i, "nuc" if i % 5 == 0 else "cyt", 1.0 + (i % 7) * 0.1))
    out += ['</listOfSpecies>', '<listOfParameters>']
    for j in range(r):
        out.append('<parameter id="k%d" value="%g" constant="true"/>' % (j, 0.1 + (j % 13) * 0.05))
    out += ['</listOfParameters>', '<listOfReactions>']
    for j in range(r):
        a, b = j % n, (j * 7 + 1) % n
        if a == b:
            b = (b + 1) % n
        comp = "nuc" if a % 5 == 0 else "cyt"
        out.append('<reaction id="R%d" reversible="false">' % j)
        out.append('<listOfReactants><speciesReference species="S%d" stoichiometry="1" '
                   'constant="true"/></listOfReactants>' % a)
        out.append('<listOfProducts><speciesReference species="S%d" stoichiometry="1" '
                   'constant="true"/></listOfProducts>' % b)
        out.append('<kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/>'
                   '<ci>%s</ci><ci>k%d</ci><ci>S%d</ci><apply><divide/><cn>1</cn><apply><plus/>'
                   '<cn>1</cn><apply><divide/><ci>S%d</ci><ci>Ki</ci></apply></apply></apply>'
                   '</apply></math><listOfLocalParameters><localParameter id="Ki" value="%g"/>'
                   '</listOfLocalParameters></kineticLaw></reaction>' % (comp, j, a, b, 2.0 + j % 3))
    out += ['</listOfReactions>', '</model>', '</sbml>']
    print("\n".join(out))


if __name__ == "__main__":
    main()
