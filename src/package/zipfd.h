/*
 * zipfd.h - libzip writing an archive into a descriptor.
 *
 * zip_open() on a path writes the archive to a temporary file of its own
 * beside that path and renames it over the path in zip_close(): a second
 * named copy, which a crash leaves behind. Through this source libzip
 * writes straight into a file portex holds (an unlinked one, see
 * workfile.h), and publishing it stays portex's business.
 */
#ifndef PX_ZIPFD_H
#define PX_ZIPFD_H

#include <zip.h>

/* A new, empty archive written into fd (read and write, truncated when
 * libzip begins to write). fd stays the caller's: it must stay open
 * until zip_close()/zip_discard(), which do not close it. Returns NULL
 * with ze filled (the caller zip_error_fini()s it). */
zip_t *px_zip_open_fd(int fd, zip_error_t *ze);

#endif
