/* lib_strings.c: placeholder for the strings library. */
#include "internal.h"

const kv_cel_fn kv_cel_lib_strings[] = {
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
