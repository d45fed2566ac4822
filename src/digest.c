/* digest.c - SHA-256 of a file, and bytes as lowercase hex. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"

int px_sha256_fd(int fd, unsigned char sha[32], uint64_t *size)
{
	unsigned char buf[65536];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t total = 0;
	ssize_t n;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		errno = ENOMEM;
		return -1;
	}
	while ((n = pread(fd, buf, sizeof(buf), (off_t)total)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		total += (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, sha, NULL);
	EVP_MD_CTX_free(md);
	if (size)
		*size = total;
	return n < 0 ? -1 : 0;
}

int px_sha256_file(const char *path, unsigned char sha[32], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, e;

	if (fd < 0)
		return -1;
	rc = px_sha256_fd(fd, sha, size);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

void px_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

int px_is_hex(const char *s, size_t n)
{
	return s && strspn(s, "0123456789abcdef") >= n;
}
