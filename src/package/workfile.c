/*
 * workfile.c - files that have no name until they are complete
 * (workfile.h says why).
 */
#define _GNU_SOURCE /* O_TMPFILE, mkostemps */
#include "package/workfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A leftover a lock cannot vouch for (an older portex took none) is
 * left alone while anything in it changed this recently: it may belong
 * to an older portex still at work. */
#define STALE_S 600

static int cantcreat(px_error *err, const char *what, const char *where)
{
	return px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s in %s: %s",
			    what, where, strerror(errno));
}

/* O_TMPFILE, or -1 with errno; ENOTSUP-like errnos mean "not here". */
static int tmpfile_in(const char *dir)
{
	return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

static int no_tmpfile(int e)
{
	return e == EOPNOTSUPP || e == EISDIR || e == EINVAL;
}

const char *px_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

FILE *px_workfile_stream(const char *what, px_error *err)
{
	int fd = px_workfile_anon(px_tmpdir(), what, err);
	FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;

	if (fd >= 0 && !f) {
		close(fd);
		px_error_oom(err);
	}
	return f;
}

int px_workfile_anon(const char *dir, const char *what, px_error *err)
{
	char tmpl[4096];
	int fd = tmpfile_in(dir);

	if (fd >= 0 || !no_tmpfile(errno)) {
		if (fd < 0)
			cantcreat(err, what, dir);
		return fd;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/" PX_SPOOL_PREFIX "XXXXXX", dir);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return cantcreat(err, what, dir);
	unlink(tmpl); /* nameless from here on, like O_TMPFILE */
	return fd;
}

int px_workfile_new(px_workfile *w, const char *dir, const char *what,
		    px_error *err)
{
	char tmpl[4096];

	w->tmp_name = NULL;
	if (!(w->dir = strdup(dir)))
		return px_error_oom(err);
	w->fd = tmpfile_in(dir);
	if (w->fd < 0 && no_tmpfile(errno)) {
		snprintf(tmpl, sizeof(tmpl),
			 "%s/" PX_WORKFILE_PREFIX "XXXXXX.tmp", dir);
		w->fd = mkostemps(tmpl, 4, O_CLOEXEC);
		if (w->fd >= 0 && !(w->tmp_name = strdup(tmpl))) {
			unlink(tmpl);
			return px_error_oom(err);
		}
	}
	if (w->fd < 0)
		return cantcreat(err, what, dir);
	/* Held until the descriptor closes: a sweep passes over it. */
	flock(w->fd, LOCK_EX | LOCK_NB);
	return 0;
}

/* Gives fd's nameless file the name path (linkat never replaces).
 * Through /proc, which any user may do; AT_EMPTY_PATH needs
 * CAP_DAC_READ_SEARCH but works without /proc. */
static int link_fd(int fd, const char *path)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW))
		return 0;
	if (errno == ENOENT && access("/proc/self/fd", F_OK))
		return linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH);
	return -1;
}

/* A name beside target that no one else has: for the --force path,
 * which must rename() onto the target. */
static int link_aside(px_workfile *w, char *name, size_t size)
{
	static unsigned counter;

	for (int tries = 0; tries < 100; tries++) {
		unsigned n = (unsigned)getpid() * 2654435761u ^
			     (unsigned)time(NULL) ^ (counter++ * 40503u);
		snprintf(name, size, "%s/" PX_WORKFILE_PREFIX "%06x.tmp",
			 w->dir, n & 0xffffff);
		if (!link_fd(w->fd, name))
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* Some file systems cannot sync a folder (EINVAL); the name is in
	 * place either way, and reporting failure now would disown it. */
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int px_workfile_publish(px_workfile *w, const char *target, int replace,
			int *eexist, px_error *err)
{
	char aside[4096];
	int rc;

	if (eexist)
		*eexist = 0;
	if (fsync(w->fd))
		return px_error_set(err, PX_EXIT_CANTCREAT,
				    "cannot write %s: %s", target,
				    strerror(errno));
	if (w->tmp_name) {
		rc = replace ? rename(w->tmp_name, target)
			     : link(w->tmp_name, target);
		int e = errno;
		if (!rc && !replace)
			unlink(w->tmp_name);
		if (!rc) {
			free(w->tmp_name);
			w->tmp_name = NULL;
		}
		errno = e;
	} else if (replace) {
		rc = link_aside(w, aside, sizeof(aside));
		if (!rc && (rc = rename(aside, target))) {
			int e = errno;
			unlink(aside);
			errno = e;
		}
	} else {
		rc = link_fd(w->fd, target);
	}
	if (rc) {
		if (eexist)
			*eexist = errno == EEXIST;
		return px_error_set(err, PX_EXIT_CANTCREAT,
				    "cannot write %s: %s", target,
				    strerror(errno));
	}
	sync_dir(w->dir);
	return 0;
}

void px_workfile_drop(px_workfile *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp_name)
		unlink(w->tmp_name);
	free(w->tmp_name);
	free(w->dir);
	w->tmp_name = w->dir = NULL;
}

/* The names portex gives its working files: prefix, maybe an older
 * version's "<pid>.<8 hex>-" tag, six letters or digits (mkstemp's),
 * then for a package ".tmp" and maybe libzip's own ".XXXXXX". Nothing
 * else is touched, however it starts. */
static int ours(const char *name, const char *prefix)
{
	size_t n = strlen(prefix), i;

	if (strncmp(name, prefix, n))
		return 0;
	name += n;
	i = strspn(name, "0123456789");
	if (i && name[i] == '.' &&
	    strspn(name + i + 1, "0123456789abcdef") == 8 && name[i + 9] == '-')
		name += i + 10;
	for (i = 0; i < 6; i++)
		if (!name[i] || !strchr("abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
					name[i]))
			return 0;
	name += 6;
	if (strcmp(prefix, PX_WORKFILE_PREFIX))
		return !*name;
	if (strncmp(name, ".tmp", 4))
		return 0;
	name += 4;
	return !*name || (name[0] == '.' && strlen(name) == 7);
}

static int recent(const struct stat *st, time_t now)
{
	return st->st_mtime > now - STALE_S && st->st_mtime <= now + STALE_S;
}

/* A leftover file: ours, not locked by a living portex, not in use. */
static int sweep_file(int dfd, const char *name, time_t now)
{
	struct stat st;
	int fd =
	    openat(dfd, name,
		   O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	int gone = 0;

	if (fd < 0)
		return 0;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    !recent(&st, now) && !flock(fd, LOCK_EX | LOCK_NB))
		gone = !unlinkat(dfd, name, 0);
	close(fd);
	return gone;
}

/* An older portex's spool folder: its files, then itself. */
static int sweep_folder(int dfd, const char *name, time_t now)
{
	int fd =
	    openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	DIR *d;
	int busy = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || st.st_uid != geteuid() || recent(&st, now) ||
	    !(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while (!busy && (de = readdir(d)))
		if (!fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode) && recent(&st, now))
			busy = 1;
	rewinddir(d);
	while (!busy && (de = readdir(d)))
		if (!fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlinkat(fd, de->d_name, 0);
	closedir(d);
	return !busy && !unlinkat(dfd, name, AT_REMOVEDIR);
}

int px_workfile_sweep(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!ours(de->d_name, prefix) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISREG(st.st_mode))
			n += sweep_file(dirfd(d), de->d_name, now);
		else if (S_ISDIR(st.st_mode) &&
			 !strcmp(prefix, PX_SPOOL_PREFIX))
			n += sweep_folder(dirfd(d), de->d_name, now);
	}
	closedir(d);
	return n;
}
