/*
 * stall_at_publish.c - LD_PRELOAD library for tests: holds a process at
 * the moment it publishes a file, so that a test can change the world
 * (lock the ledger, stop a service) between the package being complete
 * and it being recorded.
 *
 * With PX_STALL_PATH and PX_STALL_FLAG set, the first link(), linkat(),
 * rename() or renameat() whose new name is PX_STALL_PATH first creates
 * the file PX_STALL_FLAG, waits until the test removes it, then does the
 * call.
 *
 *   cc -shared -fPIC -o stall.so tests/tools/stall_at_publish.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void stall(const char *newpath)
{
	const char *want = getenv("PX_STALL_PATH");
	const char *flag = getenv("PX_STALL_FLAG");
	static int done;
	int fd;

	if (done || !want || !flag || strcmp(want, newpath))
		return;
	done = 1;
	if ((fd = open(flag, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return;
	close(fd);
	while (!access(flag, F_OK)) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

int link(const char *oldpath, const char *newpath)
{
	int (*real)(const char *, const char *) = dlsym(RTLD_NEXT, "link");
	stall(newpath);
	return real(oldpath, newpath);
}

int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	   int flags)
{
	int (*real)(int, const char *, int, const char *, int) =
	    dlsym(RTLD_NEXT, "linkat");
	stall(newpath);
	return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

int rename(const char *oldpath, const char *newpath)
{
	int (*real)(const char *, const char *) = dlsym(RTLD_NEXT, "rename");
	stall(newpath);
	return real(oldpath, newpath);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd,
	     const char *newpath)
{
	int (*real)(int, const char *, int, const char *) =
	    dlsym(RTLD_NEXT, "renameat");
	stall(newpath);
	return real(olddirfd, oldpath, newdirfd, newpath);
}
