/*
 * lazy.h - libcurl, libpq and libmicrohttpd, loaded when first used.
 *
 * Linked directly they cost every run of portex ~20 ms of the dynamic
 * loader (with their dependencies, 32 of its 40 shared libraries, among
 * them GnuTLS, whose constructor parses its ASN.1 tables), while most runs
 * use none of them: an export from SQLite, a verify, a bulk run of
 * thousands of small subjects. lazy_curl.c, lazy_pq.c and lazy_mhd.c
 * define the functions portex calls; the first call of one loads its
 * library with dlopen() and resolves all of them. The program keeps the
 * libraries' own headers, types and documentation.
 *
 * A library that cannot be loaded is what the dynamic loader would have
 * refused at start: the process says which and why on stderr and exits
 * with PX_EXIT_OSERR (71) at that first call.
 */
#ifndef PX_LAZY_H
#define PX_LAZY_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct px_lazy_lib {
	const char *soname;	  /* "libpq.so.5" */
	const char *const *names; /* the functions, n of them */
	void **fns;		  /* filled by px_lazy_load() */
	size_t n;
	atomic_int ready; /* fns are all there */
} px_lazy_lib;

/* Loads lib and resolves all its functions, once (thread-safe); exits
 * the process as described above when it cannot. */
void px_lazy_load(px_lazy_lib *lib);

/* The check every call makes: one atomic load once the library is in
 * (libpq's PQgetvalue() is called for every value of every row). */
static inline void px_lazy_need(px_lazy_lib *lib)
{
	if (!atomic_load_explicit(&lib->ready, memory_order_acquire))
		px_lazy_load(lib);
}

/* Defines lib_NAME, a px_lazy_lib over the functions of FUNCS, a list of
 * X(name) entries, with an index LAZY_<name> for each. */
#define PX_LAZY_INDEX(name) LAZY_##name,
#define PX_LAZY_NAME(name)  #name,
#define PX_LAZY_DEFINE(var, soname, FUNCS)                                     \
	enum { FUNCS(PX_LAZY_INDEX) LAZY__COUNT };                             \
	static const char *const var##_names[] = {FUNCS(PX_LAZY_NAME)};        \
	static void *var##_fns[LAZY__COUNT];                                   \
	static px_lazy_lib var = {soname, var##_names, var##_fns, LAZY__COUNT, \
				  0}

/* The resolved function `name` of lib, as a pointer of type `type`. */
#define PX_LAZY_FN(lib, type, name)                                            \
	(px_lazy_need(&(lib)), (type)(lib).fns[LAZY_##name])

#endif
