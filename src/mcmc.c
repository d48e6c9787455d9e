/*
 * mcmc.c — the table of step methods and lookup by name.
 *
 * The methods themselves live one per file in src/mcmc/ (metropolis.c,
 * slice.c, hmc.c, nuts.c); HMC and NUTS share src/mcmc/hamiltonian.c and
 * the warm-up adaptation of adapt.c. doc/samplers.md describes them.
 */
#include <config.h>
#include "mcmc.h"

#include <strings.h>

static const StepMethod *const methods[] = {&mcmc_nuts, &mcmc_hmc, &mcmc_slice,
                                            &mcmc_metropolis};

/* Matches a method's name ignoring case ("nuts" finds NUTS); NULL for an
 * unknown name or NULL. */
const StepMethod *mcmc_lookup(const char *name) {
  if (!name)
    return NULL;
  for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++)
    if (strcasecmp(methods[k]->name, name) == 0)
      return methods[k];
  return NULL;
}
