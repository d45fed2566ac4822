/* io.h - whole writes at an offset, for the work files. */
#ifndef PX_IO_H
#define PX_IO_H

#include <stddef.h>
#include <stdint.h>

/* Writes all len bytes of data at off of fd, again after a short write
 * or EINTR. Returns 0, or -1 with errno set (ENOSPC when the disk took
 * nothing without saying why). */
int px_pwrite_all(int fd, const void *data, size_t len, uint64_t off);

#endif
