/* pool.h: data-parallel loops over pthreads. Work items are claimed from an atomic counter, so
 * the order of completion varies; callers store results by index to keep output stable. */
#ifndef KVET_POOL_H
#define KVET_POOL_H

#include <stddef.h>

/* Calls fn(ud, worker, i) for every i in [0, n) on up to jobs threads (worker is the thread's
 * number, 0 <= worker < jobs) and returns when all calls have returned. */
void kv_parallel_for(size_t n, int jobs, void (*fn)(void *ud, int worker, size_t i), void *ud);

/* Processors available to this process. */
int kv_cpu_count(void);

#endif
