/* pool.c: a parallel for-loop. Threads get a large stack because validation recursion follows
 * the data, up to limits.depth levels. */
#include "kvet/pool.h"

#include "kvet/alloc.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define STACK_SIZE (16u << 20)

typedef struct {
	atomic_size_t next;
	size_t n;
	void (*fn)(void *, int, size_t);
	void *ud;
} shared;

typedef struct {
	shared *sh;
	int worker;
} thread_arg;

static void *run(void *p)
{
	thread_arg *a = p;
	for (;;) {
		size_t i = atomic_fetch_add(&a->sh->next, 1);
		if (i >= a->sh->n)
			break;
		a->sh->fn(a->sh->ud, a->worker, i);
	}
	return NULL;
}

void kv_parallel_for(size_t n, int jobs, void (*fn)(void *ud, int worker, size_t i), void *ud)
{
	if (jobs < 1)
		jobs = 1;
	if ((size_t)jobs > n)
		jobs = n ? (int)n : 1;
	shared sh = {0, n, fn, ud};
	pthread_t *threads = kv_xcalloc((size_t)jobs, sizeof *threads);
	thread_arg *args = kv_xcalloc((size_t)jobs, sizeof *args);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	int started = 0;
	for (int t = 1; t < jobs; t++) {
		args[t] = (thread_arg){&sh, t};
		if (pthread_create(&threads[t], &attr, run, &args[t]) != 0)
			break;
		started = t;
	}
	pthread_attr_destroy(&attr);
	args[0] = (thread_arg){&sh, 0};
	run(&args[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	free(args);
}

int kv_cpu_count(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0) {
		int n = CPU_COUNT(&set);
		if (n > 0)
			return n;
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}
