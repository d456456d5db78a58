/* lib_encoders.c: placeholder for the encoders library. */
#include "internal.h"

const kv_cel_fn kv_cel_lib_encoders[] = {
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
