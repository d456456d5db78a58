/* lib_math.c: placeholder for the math library. */
#include "internal.h"

const kv_cel_fn kv_cel_lib_math[] = {
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
