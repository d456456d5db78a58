/* lib_k8s.c: placeholder for the k8s library. */
#include "internal.h"

const kv_cel_fn kv_cel_lib_k8s[] = {
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
