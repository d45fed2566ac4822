/* digest.c - SHA-256 of a file, and bytes as lowercase hex. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>

#include "digest.h"

int px_sha256_file(const char *path, unsigned char sha[32], uint64_t *size)
{
	unsigned char buf[65536];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	FILE *fp = fopen(path, "rb");
	uint64_t total = 0;
	size_t n;
	int bad;

	if (!fp || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		if (fp)
			fclose(fp);
		else if (!errno)
			errno = ENOMEM;
		EVP_MD_CTX_free(md);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		EVP_DigestUpdate(md, buf, n);
		total += n;
	}
	bad = ferror(fp);
	fclose(fp);
	EVP_DigestFinal_ex(md, sha, NULL);
	EVP_MD_CTX_free(md);
	if (size)
		*size = total;
	if (bad && !errno)
		errno = EIO;
	return bad ? -1 : 0;
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
