/*
 * verify_zip.c - what can be refused about an archive before libzip
 * reads it: its size as the end of central directory declares it, and
 * entry names that would escape or confuse a folder they are extracted to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portex/verify.h"

#define EOCD_SIZE   22
#define EOCD64_SIZE 56
#define LOC64_SIZE  20
#define CDH_SIZE    46 /* smallest central directory header */

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t r;
	size_t got = 0;

	while (got < n) {
		r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* The zip64 entry count, directory size and offset, when the classic
 * record says "see zip64". */
static int zip64_entries(int fd, uint64_t eocd_off, uint64_t *entries,
			 uint64_t *cd_size, uint64_t *cd_off)
{
	unsigned char loc[LOC64_SIZE], rec[EOCD64_SIZE];
	uint64_t off;

	if (eocd_off < LOC64_SIZE ||
	    read_at(fd, loc, sizeof(loc), eocd_off - LOC64_SIZE) ||
	    le(loc, 4) != 0x07064b50)
		return -1;
	off = le(loc + 8, 8);
	if (off > eocd_off || read_at(fd, rec, sizeof(rec), off) ||
	    le(rec, 4) != 0x06064b50)
		return -1;
	*entries = le(rec + 32, 8);
	*cd_size = le(rec + 40, 8);
	*cd_off = le(rec + 48, 8);
	return 0;
}

/* Walks the n headers the end record counts: they must fill the
 * directory exactly. A directory holding more entries than counted (a
 * million behind a count of ten) would otherwise cost libzip seconds and
 * hundreds of megabytes before it says "inconsistent". Reads n headers,
 * at most the declared count, buffered: the cost is bounded before the
 * count is trusted. */
static int walk_directory(int fd, uint64_t n, uint64_t cd_off, uint64_t cd_size,
			  char *why, size_t why_len)
{
	unsigned char buf[65536];
	uint64_t pos = 0, have = 0, base = 0; /* buf holds [base, base+have) */
	uint64_t i;

	for (i = 0; i < n && pos + CDH_SIZE <= cd_size; i++) {
		if (pos < base || pos + CDH_SIZE > base + have) {
			size_t want = cd_size - pos < sizeof(buf)
					  ? (size_t)(cd_size - pos)
					  : sizeof(buf);
			if (read_at(fd, buf, want, cd_off + pos))
				break;
			base = pos;
			have = want;
		}
		if (le(buf + (pos - base), 4) != 0x02014b50)
			break;
		pos += CDH_SIZE + le(buf + (pos - base) + 28, 2) +
		       le(buf + (pos - base) + 30, 2) +
		       le(buf + (pos - base) + 32, 2);
	}
	if (i == n && pos == cd_size)
		return 0;
	snprintf(why, why_len,
		 "damaged ZIP directory (its end record counts %llu entries "
		 "in %llu bytes; they do not fill them)",
		 (unsigned long long)n, (unsigned long long)cd_size);
	return -1;
}

int px_verify_zip_directory(int fd, uint64_t size, uint64_t max_entries,
			    uint64_t *entries, char *why, size_t why_len)
{
	size_t tail =
	    size < 65535 + EOCD_SIZE ? (size_t)size : 65535 + EOCD_SIZE;
	unsigned char *buf;
	uint64_t cd_size, cd_off, n;
	size_t i;

	if (size < EOCD_SIZE) {
		snprintf(why, why_len, "not a ZIP archive (%llu bytes)",
			 (unsigned long long)size);
		return -1;
	}
	buf = malloc(tail);
	if (!buf || read_at(fd, buf, tail, size - tail)) {
		free(buf);
		snprintf(why, why_len, "cannot read the archive");
		return -1;
	}
	/* The record is last but for a comment of its declared length. */
	for (i = tail - EOCD_SIZE + 1; i-- > 0;)
		if (le(buf + i, 4) == 0x06054b50 &&
		    i + EOCD_SIZE + le(buf + i + 20, 2) == tail)
			break;
	if (i == (size_t)-1) {
		free(buf);
		snprintf(why, why_len,
			 "not a ZIP archive (no end of central directory)");
		return -1;
	}
	n = le(buf + i + 10, 2);
	cd_size = le(buf + i + 12, 4);
	cd_off = le(buf + i + 16, 4);
	free(buf);
	if (n == 0xffff || cd_size == 0xffffffff || cd_off == 0xffffffff) {
		if (zip64_entries(fd, size - tail + i, &n, &cd_size, &cd_off)) {
			snprintf(why, why_len, "damaged ZIP64 directory");
			return -1;
		}
	}
	if (cd_size < n * CDH_SIZE || cd_size > size ||
	    cd_off > size - cd_size) {
		snprintf(why, why_len,
			 "damaged ZIP directory (%llu entries in %llu bytes)",
			 (unsigned long long)n, (unsigned long long)cd_size);
		return -1;
	}
	*entries = n;
	if (n > max_entries)
		return 0; /* refused by the caller on the count alone */
	return walk_directory(fd, n, cd_off, cd_size, why, why_len);
}

size_t px_verify_utf8_len(const unsigned char *p)
{
	unsigned long cp;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

const char *px_verify_bad_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	const char *seg = name;
	size_t n;

	if (!*name)
		return "empty entry name";
	if (*name == '/')
		return "absolute path";
	if (((name[0] >= 'A' && name[0] <= 'Z') ||
	     (name[0] >= 'a' && name[0] <= 'z')) &&
	    name[1] == ':')
		return "drive letter";
	for (; *p; p += n) {
		if (*p < 0x20 || *p == 0x7f)
			return "control character in name";
		if (*p == '\\')
			return "backslash in name";
		n = px_verify_utf8_len(p);
		if (!n)
			return "name is not UTF-8";
	}
	/* Segments: none may be "", "." or ".."; a trailing '/' marks a
	 * directory entry and is the one empty segment allowed. */
	for (const char *s = name;; s++) {
		if (*s != '/' && *s)
			continue;
		n = (size_t)(s - seg);
		if ((n == 0 && *s) || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return n == 2 ? "\"..\" in path" : "bad path segment";
		if (!*s)
			break;
		seg = s + 1;
	}
	return NULL;
}
