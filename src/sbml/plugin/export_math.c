/* synovia — MathML from formula text for the SBML exporter (sbml layer;
 * see export_impl.h): libSBML's Level 3 formula parser, its message when the
 * text does not parse (which would be a bug of the printer, model/exprtext.c). */
#include <stdlib.h>

#include "export_impl.h"

ASTNode_t *sbml_math(sbml_exporter *x, const char *formula, const char *what) {
  ASTNode_t *ast = SBML_parseL3Formula(formula);
  if (ast == NULL) {
    char *why = SBML_getLastParseL3Error();
    syn_error_set(x->err, SYN_EINTERNAL, "the formula of %s does not parse: %s", what,
                  why ? why : "?");
    syn_error_hint(x->err, "formula: %.300s", formula);
    free(why);
  }
  return ast;
}
