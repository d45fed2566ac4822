/* digest.h - SHA-256 of a file, and bytes as lowercase hex. */
#ifndef PX_DIGEST_H
#define PX_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/* Hashes the file at path, streaming it; *size (may be NULL) gets its
 * length. Returns 0, or -1 (errno set) when it cannot be read. */
int px_sha256_file(const char *path, unsigned char sha[32], uint64_t *size);

/* The same for an open file, read from its start with pread (its offset
 * is left alone). */
int px_sha256_fd(int fd, unsigned char sha[32], uint64_t *size);

/* n bytes as 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
void px_hex(const unsigned char *p, size_t n, char *out);

/* 1 when the first n characters of s (may be NULL) are lowercase hex
 * digits. */
int px_is_hex(const char *s, size_t n);

#endif
