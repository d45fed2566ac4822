/*
 * lazy.c - loading a library at its first use. See lazy.h.
 */
#include "lazy/lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "portex/error.h"

/* One lock for all libraries: loading is rare, and two threads asking
 * for the same one at once must not both load it. */
static pthread_mutex_t loading = PTHREAD_MUTEX_INITIALIZER;

static void fail(const px_lazy_lib *lib, const char *why)
{
	/* What the dynamic loader would have said at start, and its exit. */
	fprintf(stderr, "portex: cannot load %s: %s\n", lib->soname,
		why ? why : "unknown error");
	_exit(PX_EXIT_OSERR);
}

void px_lazy_load(px_lazy_lib *lib)
{
	void *h;

	pthread_mutex_lock(&loading);
	if (atomic_load_explicit(&lib->ready, memory_order_acquire)) {
		pthread_mutex_unlock(&loading);
		return;
	}
	/* RTLD_LOCAL: its symbols stay out of plugins' way; RTLD_NOW: a
	 * library that lacks a function fails here, not mid-export. The
	 * handle is never closed: the library stays for the process's life,
	 * as a linked one would. */
	if (!(h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)))
		fail(lib, dlerror());
	for (size_t i = 0; i < lib->n; i++)
		if (!(lib->fns[i] = dlsym(h, lib->names[i])))
			fail(lib, dlerror());
	atomic_store_explicit(&lib->ready, 1, memory_order_release);
	pthread_mutex_unlock(&loading);
}
