/* lib_time.c: placeholder for the time library. */
#include "internal.h"

const kv_cel_fn kv_cel_lib_time[] = {
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
