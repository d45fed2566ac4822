/* test_deflate.c - igzip's raw deflate as ZIP entries need it, checked
 * with zlib (another project's inflate and CRC-32). */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "jsonout.h"
#include "package/deflate.h"

static int to_buf(void *ctx, const unsigned char *p, size_t n)
{
	return px_buf_add(ctx, p, n) ? ENOMEM : 0;
}

/* n bytes like a data file's: JSON lines, with a run of incompressible
 * bytes so that igzip makes stored and Huffman-only blocks too. */
static unsigned char *sample(size_t n)
{
	unsigned char *b = malloc(n);
	uint32_t x = 12345;

	assert_non_null(b);
	for (size_t i = 0; i < n;) {
		char line[96];
		int k =
		    snprintf(line, sizeof(line),
			     "{\"id\":%zu,\"score\":%u,\"title\":\"Q%u\"}\n", i,
			     (unsigned)(i % 97), (unsigned)(i % 13));
		for (int j = 0; j < k && i < n; j++)
			b[i++] = (unsigned char)line[j];
	}
	for (size_t i = n / 3; i < n / 3 + n / 10; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (unsigned char)(x >> 16);
	}
	return b;
}

static void inflate_all(const px_buf *z, unsigned char *out, size_t n)
{
	z_stream s = {0};

	assert_int_equal(inflateInit2(&s, -15), Z_OK);
	s.next_in = (unsigned char *)z->data;
	s.avail_in = (uInt)z->len;
	s.next_out = out;
	s.avail_out = (uInt)n + 1; /* room for one byte too many */
	assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
	assert_int_equal(s.total_out, n);
	assert_int_equal(s.avail_in, 0); /* nothing after the stream's end */
	inflateEnd(&s);
}

/* Deflates n bytes of in, in pieces of step bytes (the last one alone
 * with finish, when last_alone), into z. */
static void deflate_in_pieces(px_deflater *d, const unsigned char *in, size_t n,
			      size_t step, int last_alone, px_buf *z)
{
	for (size_t off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step;
		int last = !last_alone && off + k == n;
		assert_int_equal(
		    px_deflater_put(d, in + off, k, last, to_buf, z), 0);
	}
	if (last_alone || !n)
		assert_int_equal(px_deflater_put(d, NULL, 0, 1, to_buf, z), 0);
}

/* Whatever the sizes and pieces, the stream inflates back to the input,
 * and its CRC and size are zlib's count of the same bytes. */
static void test_streams_inflate_back_with_zlibs_crc(void **state)
{
	static const size_t sizes[] = {0, 1, 1000, 70000, 3000000};
	static const size_t steps[] = {1, 4096, 65536, 1 << 22};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		size_t n = sizes[i];
		unsigned char *in = sample(n ? n : 1), *back = malloc(n + 1);
		assert_non_null(back);
		for (size_t j = 0; j < sizeof(steps) / sizeof(*steps); j++) {
			if (n > 100000 && steps[j] == 1)
				continue; /* a byte at a time: small ones */
			for (int hint = 0; hint < 2; hint++) {
				px_buf z = {0};
				px_deflater *d = px_deflater_new(hint ? n : 0);
				assert_non_null(d);
				deflate_in_pieces(d, in, n, steps[j], j % 2,
						  &z);
				assert_int_equal(px_deflater_comp_size(d),
						 z.len);
				assert_int_equal(px_deflater_crc32(d),
						 crc32(0, in, (uInt)n));
				inflate_all(&z, back, n);
				assert_memory_equal(back, in, n);
				if (n > 1000) /* JSON lines do shrink */
					assert_true(z.len < n / 2);
				px_deflater_free(d);
				px_buf_free(&z);
			}
		}
		free(in);
		free(back);
	}
}

/* A reset stream deflates like a new one: the package's bytes do not
 * depend on which files a shared stream deflated before. */
static void test_a_reset_stream_makes_the_same_bytes(void **state)
{
	size_t n = 500000;
	unsigned char *in = sample(n);
	px_buf fresh = {0}, reused = {0}, other = {0};
	px_deflater *a = px_deflater_new(0), *b = px_deflater_new(0);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	deflate_in_pieces(a, in, n, 65536, 0, &fresh);
	deflate_in_pieces(b, in + 1000, 300000, 4096, 1, &other);
	px_deflater_reset(b);
	assert_int_equal(px_deflater_comp_size(b), 0);
	assert_int_equal(px_deflater_crc32(b), 0);
	deflate_in_pieces(b, in, n, 65536, 0, &reused);
	assert_int_equal(reused.len, fresh.len);
	assert_memory_equal(reused.data, fresh.data, fresh.len);
	px_deflater_free(a);
	px_deflater_free(b);
	px_buf_free(&fresh);
	px_buf_free(&reused);
	px_buf_free(&other);
	free(in);
}

static int full_disk(void *ctx, const unsigned char *p, size_t n)
{
	int *calls = ctx;

	(void)p;
	(void)n;
	return ++*calls == 2 ? ENOSPC : 0;
}

/* The sink's error stops the stream and comes back as it was. */
static void test_the_sinks_error_is_returned(void **state)
{
	size_t n = 3000000;
	unsigned char *in = sample(n);
	px_deflater *d = px_deflater_new(0);
	int calls = 0, rc = 0;

	(void)state;
	assert_non_null(d);
	for (size_t off = 0; off < n && !rc; off += 65536)
		rc = px_deflater_put(d, in + off,
				     n - off < 65536 ? n - off : 65536,
				     off + 65536 >= n, full_disk, &calls);
	assert_int_equal(rc, ENOSPC);
	assert_int_equal(calls, 2);
	px_deflater_free(d);
	free(in);
}

/* CRC-32 in pieces is the CRC of the whole, as zlib counts it. */
static void test_crc32_matches_zlib(void **state)
{
	unsigned char *in = sample(100000);
	uint32_t c = 0;

	(void)state;
	c = px_crc32(c, in, 33);
	c = px_crc32(c, in + 33, 0);
	c = px_crc32(c, in + 33, 100000 - 33);
	assert_int_equal(c, crc32(0, in, 100000));
	assert_int_equal(px_crc32(0, "", 0), 0);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_streams_inflate_back_with_zlibs_crc),
	    cmocka_unit_test(test_a_reset_stream_makes_the_same_bytes),
	    cmocka_unit_test(test_the_sinks_error_is_returned),
	    cmocka_unit_test(test_crc32_matches_zlib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
