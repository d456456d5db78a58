/* defaults.c: kustomize's built-in field specs for every transformer but name references.
 * SCAFFOLDING until written. */
#include "internal.h"

const char rn_default_config_yaml[] = "";
