/* secret.h - reading passwords and passphrases from files, never argv. */
#ifndef PX_SECRET_H
#define PX_SECRET_H

#include <stddef.h>

#include "portex/error.h"

/* Reads the first line of path, without its line end, into buf (n bytes).
 * Returns its length, or -1 with err set to `code` and "cannot read PATH:
 * reason". The caller wipes buf (OPENSSL_cleanse) when done. */
int px_secret_read_file(const char *path, char *buf, size_t n, int code,
			px_error *err);

#endif
