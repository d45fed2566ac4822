/*
 * error.h - errors as values.
 *
 * A function that can fail returns -1 (or NULL) and fills a caller-owned
 * px_error with an exit code from sysexits.h and a message. Each layer adds
 * its context on the way up with px_error_prefix(); only main() prints.
 */
#ifndef PORTEX_ERROR_H
#define PORTEX_ERROR_H

#include <stdarg.h>

/* Exit codes, as DESIGN.md fixes them (values from sysexits.h). */
enum px_exit {
	PX_OK = 0,
	PX_EXIT_INVALID = 1,	  /* a package does not verify */
	PX_EXIT_USAGE = 64,	  /* EX_USAGE */
	PX_EXIT_DATA = 65,	  /* EX_DATAERR: bad data, wrong state */
	PX_EXIT_NOUSER = 67,	  /* EX_NOUSER: subject found in no source */
	PX_EXIT_UNAVAILABLE = 69, /* EX_UNAVAILABLE: source unreachable */
	PX_EXIT_SOFTWARE = 70,	/* EX_SOFTWARE: internal error, out of memory */
	PX_EXIT_OSERR = 71,	/* EX_OSERR */
	PX_EXIT_CANTCREAT = 73, /* EX_CANTCREAT: cannot write output */
	PX_EXIT_IOERR = 74,	/* EX_IOERR */
	PX_EXIT_CONFIG = 78,	/* EX_CONFIG */
};

#define PX_ERROR_MAX 1024

typedef struct px_error {
	int code; /* enum px_exit; 0 while no error was set */
	char msg[PX_ERROR_MAX];
} px_error;

#define PX_ERROR_INIT                                                          \
	{                                                                      \
		0,                                                             \
		{                                                              \
			0                                                      \
		}                                                              \
	}

#if defined(__GNUC__)
#define PX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PX_PRINTF(f, a)
#endif

/* Sets code and message (printf-style). Returns -1 so callers can write
 * `return px_error_set(err, ...)`. err may be NULL. */
int px_error_set(px_error *err, int code, const char *fmt, ...) PX_PRINTF(3, 4);
int px_error_setv(px_error *err, int code, const char *fmt, va_list ap);

/* Prepends "<context>: " to the message, keeping the code. Returns -1. */
int px_error_prefix(px_error *err, const char *fmt, ...) PX_PRINTF(2, 3);

/* Out of memory: code PX_EXIT_SOFTWARE. Returns -1. */
int px_error_oom(px_error *err);

/* Resets err to "no error". */
void px_error_clear(px_error *err);

#endif
