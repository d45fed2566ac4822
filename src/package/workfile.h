/*
 * workfile.h - files that have no name until they are complete.
 *
 * Everything an export writes on its way (the spool of records in
 * $TMPDIR, the archive beside its target) is created without a name:
 * O_TMPFILE where the file system offers it, otherwise a name removed as
 * soon as the file is open. A crash, SIGKILL or power cut cannot leave
 * one behind: the kernel frees it with the last descriptor. Only the
 * finished, fsync'ed archive gets a name, with linkat(), which never
 * replaces a file that is there (--force replaces through a name of its
 * own, then rename()).
 *
 * Where a file system has no O_TMPFILE, the archive has to carry a name
 * while it is written: ".portex-XXXXXX.tmp", locked with flock() for as
 * long as its writer lives, so px_workfile_sweep() can tell a crash's
 * leftover from a file in use.
 */
#ifndef PX_WORKFILE_H
#define PX_WORKFILE_H

#include <stdio.h>

#include "portex/error.h"

/* Names a crash of an older portex (or the fallback above) left. */
#define PX_WORKFILE_PREFIX ".portex-"	   /* beside a package */
#define PX_SPOOL_PREFIX	   "portex-spool-" /* in $TMPDIR */

/* $TMPDIR, or /tmp when it is unset or empty: where work files go. */
const char *px_tmpdir(void);

/* A nameless work file in px_tmpdir() as a stdio stream ("w+"), for
 * writers that want one. NULL with err set (PX_EXIT_CANTCREAT). */
FILE *px_workfile_stream(const char *what, px_error *err);

/* A file in dir with no name, open for reading and writing, mode 0600,
 * close-on-exec. Returns its descriptor (the caller close()s it), or -1
 * with err set (PX_EXIT_CANTCREAT, naming `what` and dir). */
int px_workfile_anon(const char *dir, const char *what, px_error *err);

/* A file being written that will be published. */
typedef struct px_workfile {
	int fd;		/* -1 when there is none */
	char *tmp_name; /* the fallback's name, NULL with O_TMPFILE */
	char *dir;
} px_workfile;

/* Creates w's file in dir (what names it in errors). Returns 0 or -1
 * with err set. Release w with px_workfile_drop() in any case. */
int px_workfile_new(px_workfile *w, const char *dir, const char *what,
		    px_error *err);

/* fsyncs w's file, gives it the name target and fsyncs the folder: after
 * a power cut the target is the whole file or nothing. Without replace,
 * a file at target (even one created a moment ago) stays as it is: the
 * error is PX_EXIT_CANTCREAT with errno EEXIST kept in *eexist when
 * eexist is not NULL. w's descriptor stays open (the caller may read on),
 * w no longer has a temporary name. Returns 0 or -1 with err set. */
int px_workfile_publish(px_workfile *w, const char *target, int replace,
			int *eexist, px_error *err);

/* Closes w's file and removes its temporary name, if it has one. */
void px_workfile_drop(px_workfile *w);

/* Removes from dir what crashes left under names starting with prefix:
 * files (and an older portex's spool folders) owned by this user that no
 * living portex holds locked. Errors are ignored: a sweep is a courtesy,
 * nothing depends on it. Returns how many it removed. */
int px_workfile_sweep(const char *dir, const char *prefix);

#endif
