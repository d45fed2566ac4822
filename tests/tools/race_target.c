/*
 * race_target.c - LD_PRELOAD library for tests: plays the other process
 * that creates a file at a path at the worst moment, just before the
 * program under test gives its finished file that name.
 *
 * With PX_RACE_PATH set, the first link(), linkat(), rename() or
 * renameat() whose new name is PX_RACE_PATH first creates that file
 * holding "theirs\n", then does what was asked. A program that publishes
 * with a no-clobber link fails with EEXIST and leaves "theirs" in place;
 * one that renames replaces it, which the test then sees.
 *
 *   cc -shared -fPIC -o race.so tests/tools/race_target.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void plant(const char *newpath)
{
	static int done;
	const char *want = getenv("PX_RACE_PATH");
	int fd;

	if (done || !want || strcmp(want, newpath))
		return;
	done = 1;
	fd = open(newpath, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd >= 0) {
		if (write(fd, "theirs\n", 7) != 7)
			perror("race_target");
		close(fd);
	}
}

int link(const char *oldpath, const char *newpath)
{
	int (*real)(const char *, const char *) = dlsym(RTLD_NEXT, "link");
	plant(newpath);
	return real(oldpath, newpath);
}

int linkat(int olddirfd, const char *oldpath, int newdirfd,
	   const char *newpath, int flags)
{
	int (*real)(int, const char *, int, const char *, int) =
	    dlsym(RTLD_NEXT, "linkat");
	plant(newpath);
	return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

int rename(const char *oldpath, const char *newpath)
{
	int (*real)(const char *, const char *) = dlsym(RTLD_NEXT, "rename");
	plant(newpath);
	return real(oldpath, newpath);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd,
	     const char *newpath)
{
	int (*real)(int, const char *, int, const char *) =
	    dlsym(RTLD_NEXT, "renameat");
	plant(newpath);
	return real(olddirfd, oldpath, newdirfd, newpath);
}
