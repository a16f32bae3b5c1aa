/* synovia — syn_fit_load: a fit file, or a PEtab v1 problem file (fit layer;
 * include/synovia/fit.h, docs/petab.md). The one place that tells them apart,
 * above both loaders (fit.c, petab.c), so that neither calls the other back. */
#include "fit_impl.h"
#include "petab.h"

syn_status syn_fit_load(const char *path, syn_fit **out, syn_error *err) {
  if (path != NULL && out != NULL && petab_is_problem(path)) {
    *out = NULL;
    return petab_fit_load(path, out, err);
  }
  return fit_file_load(path, out, err);
}
