/*
 * kill_at_publish.c - LD_PRELOAD library for tests: plays a crash (power
 * cut, OOM kill, SIGKILL from an operator) at the worst moment of
 * publishing a file.
 *
 * With PX_KILL_PATH set, the first link(), linkat(), rename() or
 * renameat() whose new name is PX_KILL_PATH kills the process with
 * SIGKILL: before doing it when PX_KILL_WHEN is "before", after it
 * otherwise. The program never gets to run another line.
 *
 *   cc -shared -fPIC -o kill.so tests/tools/kill_at_publish.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static int is_target(const char *newpath)
{
	const char *want = getenv("PX_KILL_PATH");

	return want && !strcmp(want, newpath);
}

static int after(const char *newpath, int rc)
{
	const char *when = getenv("PX_KILL_WHEN");

	if (is_target(newpath) && (!when || strcmp(when, "before")))
		raise(SIGKILL);
	return rc;
}

static void before(const char *newpath)
{
	const char *when = getenv("PX_KILL_WHEN");

	if (is_target(newpath) && when && !strcmp(when, "before"))
		raise(SIGKILL);
}

int link(const char *oldpath, const char *newpath)
{
	int (*real)(const char *, const char *) = dlsym(RTLD_NEXT, "link");
	before(newpath);
	return after(newpath, real(oldpath, newpath));
}

int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	   int flags)
{
	int (*real)(int, const char *, int, const char *, int) =
	    dlsym(RTLD_NEXT, "linkat");
	before(newpath);
	return after(newpath,
		     real(olddirfd, oldpath, newdirfd, newpath, flags));
}

int rename(const char *oldpath, const char *newpath)
{
	int (*real)(const char *, const char *) = dlsym(RTLD_NEXT, "rename");
	before(newpath);
	return after(newpath, real(oldpath, newpath));
}

int renameat(int olddirfd, const char *oldpath, int newdirfd,
	     const char *newpath)
{
	int (*real)(int, const char *, int, const char *) =
	    dlsym(RTLD_NEXT, "renameat");
	before(newpath);
	return after(newpath, real(olddirfd, oldpath, newdirfd, newpath));
}
