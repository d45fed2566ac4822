/* test_spool.c - records formatted and deflated on a worker thread. */
#include "unit.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "package/spool.h"
#include "package/workfile.h"

struct fmt_ctx {
	int fail_at; /* record number that fails, or 0 */
};

/* Writes each record as its "n" value and a newline; the tail is "end". */
static int fmt(void *ctx, const px_spool_item *it, px_buf *out, px_error *err)
{
	struct fmt_ctx *c = ctx;
	char line[32];

	if (!it)
		return px_buf_add(out, "end\n", 4);
	if (c->fail_at && it->n == (uint64_t)c->fail_at)
		return px_error_set(err, PX_EXIT_DATA, "%s: record %llu: bad",
				    (const char *)it->origin,
				    (unsigned long long)it->n);
	snprintf(line, sizeof(line), "%lld\n",
		 (long long)json_integer_value(json_object_get(it->rec, "n")));
	return px_buf_add(out, line, strlen(line));
}

static char *tmp_path(const char *name)
{
	static char path[256];
	snprintf(path, sizeof(path), "/tmp/px-test-spool-%d-%s", (int)getpid(),
		 name);
	return path;
}

/* A spool's nameless file, as the packager makes it. */
static int spool_fd(void)
{
	px_error err = PX_ERROR_INIT;
	int fd = px_workfile_anon("/tmp", "spool", &err);
	assert_true(fd >= 0);
	return fd;
}

static px_buf expected(int n)
{
	px_buf b = {0};
	char line[32];
	for (int i = 1; i <= n; i++) {
		snprintf(line, sizeof(line), "%d\n", i);
		px_buf_add(&b, line, strlen(line));
	}
	px_buf_add(&b, "end\n", 4);
	return b;
}

static int put_all(px_spool *s, int n, px_error *err)
{
	for (int i = 1; i <= n; i++) {
		px_spool_item it = {.rec = json_pack("{s:i}", "n", i),
				    .origin = "src",
				    .n = (uint64_t)i};
		if (px_spool_put(s, &it, err))
			return -1;
	}
	return 0;
}

static void test_records_come_back_in_order_with_their_digests(void **state)
{
	struct fmt_ctx c = {0};
	px_error err = PX_ERROR_INIT;
	px_spool_info info;
	int fd = spool_fd();
	px_buf want = expected(50000);
	unsigned char sha[32];
	char buf[4096];
	px_buf got = {0};
	size_t n;
	FILE *in;
	px_spool *s;

	(void)state;
	s = px_spool_open(fd, "spool of order", fmt, &c, &err);
	assert_non_null(s);
	assert_int_equal(put_all(s, 50000, &err), 0);
	assert_int_equal(px_spool_close(s, &info, &err), 0);
	assert_int_equal(info.size, want.len);
	assert_int_equal(info.crc32,
			 crc32(0, (const unsigned char *)want.data, want.len));
	EVP_Digest(want.data, want.len, sha, NULL, EVP_sha256(), NULL);
	assert_memory_equal(info.sha256, sha, 32);
	assert_true(info.comp_size < info.size / 2);
	in = px_spool_read(fd, 0);
	assert_non_null(in);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		px_buf_add(&got, buf, n);
	fclose(in);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	px_buf_free(&got);
	px_buf_free(&want);
	close(fd);
}

static void test_archive_takes_the_deflated_bytes_as_they_are(void **state)
{
	struct fmt_ctx c = {0};
	px_error err = PX_ERROR_INIT;
	px_spool_info info;
	char *zpath = tmp_path("a.zip");
	int fd = spool_fd();
	px_buf want = expected(3000), got = {0};
	char buf[4096];
	zip_int64_t n;
	zip_t *za;
	zip_file_t *zf;
	zip_stat_t st;
	px_spool *s;

	(void)state;
	s = px_spool_open(fd, "spool of zipped", fmt, &c, &err);
	assert_int_equal(put_all(s, 3000, &err), 0);
	assert_int_equal(px_spool_close(s, &info, &err), 0);
	za = zip_open(zpath, ZIP_CREATE | ZIP_TRUNCATE, NULL);
	assert_non_null(za);
	assert_true(zip_file_add(za, "data.txt",
				 px_spool_zip_source(za, fd, 0, 0, &info),
				 0) == 0);
	assert_int_equal(zip_close(za), 0);

	za = zip_open(zpath, ZIP_CHECKCONS, NULL);
	assert_non_null(za);
	assert_int_equal(zip_stat_index(za, 0, 0, &st), 0);
	assert_int_equal(st.comp_method, ZIP_CM_DEFLATE);
	assert_int_equal(st.comp_size, info.comp_size);
	assert_int_equal(st.crc, info.crc32);
	zf = zip_fopen_index(za, 0, 0);
	assert_non_null(zf);
	while ((n = zip_fread(zf, buf, sizeof(buf))) > 0)
		px_buf_add(&got, buf, (size_t)n);
	assert_int_equal(n, 0); /* libzip checked the CRC at the end */
	zip_fclose(zf);
	zip_discard(za);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	px_buf_free(&got);
	px_buf_free(&want);
	close(fd);
	unlink(zpath);
}

static void test_a_formatter_error_reaches_the_writer(void **state)
{
	struct fmt_ctx c = {.fail_at = 700};
	px_error err = PX_ERROR_INIT;
	px_spool_info info;
	int fd = spool_fd();
	px_spool *s;
	int rc;

	(void)state;
	s = px_spool_open(fd, "spool of fail", fmt, &c, &err);
	assert_non_null(s);
	/* The worker may be behind: the error comes from a later put or,
	 * at the latest, from close. */
	rc = put_all(s, 2000, &err);
	if (rc == 0)
		rc = px_spool_close(s, &info, &err);
	else
		px_spool_free(s);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_string_equal(err.msg, "src: record 700: bad");
	close(fd);
}

static void test_unwritable_spool_is_refused(void **state)
{
	struct fmt_ctx c = {0};
	px_error err = PX_ERROR_INIT;
	int fd = spool_fd();

	(void)state;
	close(fd); /* a descriptor that is no longer open */
	assert_null(px_spool_open(fd, "spool of x", fmt, &c, &err));
	assert_int_equal(err.code, PX_EXIT_CANTCREAT);
	assert_non_null(strstr(err.msg, "spool of x"));
}

/* What a formatter without a file sees (the HTML pages' worker): every
 * record once, in order, on the worker thread past the first batch, and
 * the end; nothing is written and a failure still reaches the writer. */
struct count_ctx {
	uint64_t seen, next;
	int ended, out_of_order;
};

static int count(void *ctx, const px_spool_item *it, px_buf *out, px_error *err)
{
	struct count_ctx *c = ctx;

	(void)out;
	if (!it) {
		c->ended++;
		return 0;
	}
	if (it->n != c->next + 1)
		c->out_of_order = 1;
	c->next = it->n;
	c->seen++;
	if (it->n == 90000)
		return px_error_set(err, PX_EXIT_DATA, "record 90000: bad");
	return 0;
}

static void test_a_spool_without_a_file_runs_its_formatter(void **state)
{
	px_error err = PX_ERROR_INIT;
	px_spool_info info;
	char text[16];
	int rc = 0;

	(void)state;
	for (int fails = 0; fails < 2; fails++) {
		struct count_ctx c = {0};
		uint64_t total = fails ? 100000 : 50000;
		px_spool *s = px_spool_open(-1, "pages of x", count, &c, &err);

		assert_non_null(s);
		for (uint64_t i = 1; i <= total && !rc; i++) {
			snprintf(text, sizeof(text), "%llu",
				 (unsigned long long)i);
			rc = px_spool_put_text(s, "src", i, text, strlen(text),
					       &err);
		}
		if (!rc)
			rc = px_spool_close(s, &info, &err);
		else
			px_spool_free(s);
		if (!fails) {
			assert_int_equal(rc, 0);
			assert_int_equal(c.seen, total);
			assert_int_equal(c.ended, 1);
			assert_int_equal(info.size, 0);
			assert_int_equal(info.comp_size, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(err.msg, "record 90000: bad");
		}
		assert_false(c.out_of_order);
		rc = 0;
		px_error_clear(&err);
	}
}

/* A closed spool's raw deflate bytes, and their inflated text, read
 * where its info says. */
static void raw_and_text(const px_spool_info *info, px_buf *raw, px_buf *text)
{
	char buf[4096];
	size_t n;
	FILE *in;

	char *bytes = malloc(info->comp_size);

	assert_non_null(bytes);
	assert_int_equal(
	    pread(info->fd, bytes, info->comp_size, (off_t)info->off),
	    (ssize_t)info->comp_size);
	px_buf_add(raw, bytes, info->comp_size);
	free(bytes);
	in = px_spool_read(info->fd, info->off);
	assert_non_null(in);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		px_buf_add(text, buf, n);
	fclose(in);
}

/* Writes n records through a spool closed on this thread (n < a batch),
 * with k's streams; returns its raw bytes and text. */
static void small_spool(px_zkeep *k, int n, px_buf *raw, px_buf *text)
{
	struct fmt_ctx c = {0};
	px_error err = PX_ERROR_INIT;
	px_spool_info info;
	px_spool *s = px_spool_open_later("/tmp", "small", fmt, &c, k, &err);

	assert_non_null(s);
	assert_int_equal(put_all(s, n, &err), 0);
	assert_int_equal(px_spool_close(s, &info, &err), 0);
	assert_false(info.fd_owned); /* in k's file */
	raw_and_text(&info, raw, text);
}

/* The spools of a small export share a stream: each file must
 * still hold all its records (more than the first batch's slots too), and
 * deflate to the same bytes whatever the shared stream deflated before. */
static void test_small_spools_share_streams_and_keep_their_bytes(void **state)
{
	px_zkeep *k = px_zkeep_new(), *fresh = px_zkeep_new();
	static const int sizes[] = {5, 40, 200, 1};
	px_buf raw[4] = {{0}}, text[4] = {{0}};

	(void)state;
	assert_non_null(k);
	assert_non_null(fresh);
	for (int i = 0; i < 4; i++) {
		px_buf want = expected(sizes[i]);
		small_spool(k, sizes[i], &raw[i], &text[i]);
		assert_int_equal(text[i].len, want.len);
		assert_memory_equal(text[i].data, want.data, want.len);
		px_buf_free(&want);
	}
	/* The 200 records again (k's stream had deflated the 5 and the 40
	 * first), through a stream that did nothing before. */
	px_buf raw200 = {0}, text200 = {0};
	small_spool(fresh, 200, &raw200, &text200);
	assert_int_equal(raw200.len, raw[2].len);
	assert_memory_equal(raw200.data, raw[2].data, raw200.len);
	px_buf_free(&raw200);
	px_buf_free(&text200);
	for (int i = 0; i < 4; i++) {
		px_buf_free(&raw[i]);
		px_buf_free(&text[i]);
	}
	px_zkeep_free(fresh);
	px_zkeep_free(k);
}

/* The text of a later spool's bytes, read where its info says. */
static px_buf text_at(const px_spool_info *info)
{
	px_buf text = {0};
	char buf[4096];
	size_t n;
	FILE *in = px_spool_read(info->fd, info->off);

	assert_non_null(in);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		px_buf_add(&text, buf, n);
	fclose(in);
	return text;
}

/* Spools with no file of their own: the small ones end up one after the
 * other in their px_zkeep's file, the big one (a worker) gets its own,
 * handed to the caller; each reads back whole where its info says. */
static void test_later_spools_share_a_file_until_one_is_big(void **state)
{
	static const int sizes[] = {3, 200, 70000, 1};
	px_zkeep *k = px_zkeep_new();
	px_spool_info info[4];
	struct fmt_ctx c = {0};
	px_error err = PX_ERROR_INIT;

	(void)state;
	assert_non_null(k);
	for (int i = 0; i < 4; i++) {
		px_spool *s =
		    px_spool_open_later("/tmp", "data of x", fmt, &c, k, &err);
		assert_non_null(s);
		assert_int_equal(put_all(s, sizes[i], &err), 0);
		assert_int_equal(px_spool_close(s, &info[i], &err), 0);
	}
	assert_true(info[0].fd >= 0);
	assert_false(info[0].fd_owned);
	assert_int_equal(info[0].off, 0);
	assert_int_equal(info[1].fd, info[0].fd);
	assert_int_equal(info[1].off, info[0].comp_size);
	assert_true(info[2].fd_owned); /* a worker's: a file of its own */
	assert_true(info[2].fd != info[0].fd);
	assert_int_equal(info[3].fd, info[0].fd);
	assert_int_equal(info[3].off, info[1].off + info[1].comp_size);
	for (int i = 0; i < 4; i++) {
		px_buf want = expected(sizes[i]), got = text_at(&info[i]);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);
		assert_int_equal(info[i].size, want.len);
		px_buf_free(&want);
		px_buf_free(&got);
	}
	close(info[2].fd);
	px_zkeep_free(k);
}

/* A later spool in a folder it cannot write: the same error as a spool
 * given a file, whether it is small (keep's file, made at its close) or
 * big (its own, made when its worker starts). */
static void test_later_spool_in_a_missing_folder_names_it(void **state)
{
	static const int sizes[] = {3, 70000};
	struct fmt_ctx c = {0};

	(void)state;
	for (int i = 0; i < 2; i++) {
		px_zkeep *k = px_zkeep_new();
		px_error err = PX_ERROR_INIT;
		px_spool_info info;
		px_spool *s = px_spool_open_later(
		    "/nonexistent/px", "data of x", fmt, &c, k, &err);
		assert_non_null(s);
		int rc = put_all(s, sizes[i], &err);
		if (!rc)
			rc = px_spool_close(s, &info, &err);
		else
			px_spool_free(s);
		assert_int_equal(rc, -1);
		assert_int_equal(err.code, PX_EXIT_CANTCREAT);
		assert_non_null(strstr(err.msg, "data of x"));
		assert_non_null(strstr(err.msg, "/nonexistent/px"));
		assert_non_null(strstr(err.msg, "No such file or directory"));
		px_zkeep_free(k);
	}
}

/* A finished file deflated into keep's file, from a descriptor or from
 * memory, bigger than the pieces it is written in: it reads back whole
 * with its digests; one shorter than said is an error naming it. */
static void test_a_finished_file_is_deflated_after_the_others(void **state)
{
	px_buf want = expected(200000); /* ~1.3 MB */
	px_zkeep *k = px_zkeep_new();
	px_error err = PX_ERROR_INIT;
	px_spool_info a, b;
	unsigned char sha[32];
	int fd = spool_fd();

	(void)state;
	assert_int_equal(pwrite(fd, want.data, want.len, 7), (ssize_t)want.len);
	assert_int_equal(px_zkeep_deflate(k, "/tmp", "index.html", fd, 7, NULL,
					  want.len, &a, &err),
			 0);
	assert_int_equal(px_zkeep_deflate(k, "/tmp", "manifest.json", -1, 0,
					  want.data, want.len, &b, &err),
			 0);
	EVP_Digest(want.data, want.len, sha, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 2; i++) {
		const px_spool_info *in = i ? &b : &a;
		px_buf got = text_at(in);
		assert_int_equal(in->size, want.len);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);
		assert_int_equal(
		    in->crc32,
		    crc32(0, (const unsigned char *)want.data, want.len));
		assert_memory_equal(in->sha256, sha, 32);
		assert_false(in->fd_owned);
		px_buf_free(&got);
	}
	assert_int_equal(b.fd, a.fd);
	assert_int_equal(b.off, a.off + a.comp_size);
	assert_int_equal(px_zkeep_deflate(k, "/tmp", "index.html", fd, 7, NULL,
					  want.len + 10, &a, &err),
			 -1);
	assert_int_equal(err.code, PX_EXIT_IOERR);
	assert_string_equal(err.msg,
			    "cannot read back index.html: shorter than it was");
	close(fd);
	px_buf_free(&want);
	px_zkeep_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_records_come_back_in_order_with_their_digests),
	    cmocka_unit_test(test_archive_takes_the_deflated_bytes_as_they_are),
	    cmocka_unit_test(test_a_formatter_error_reaches_the_writer),
	    cmocka_unit_test(test_unwritable_spool_is_refused),
	    cmocka_unit_test(test_a_spool_without_a_file_runs_its_formatter),
	    cmocka_unit_test(
		test_small_spools_share_streams_and_keep_their_bytes),
	    cmocka_unit_test(test_later_spools_share_a_file_until_one_is_big),
	    cmocka_unit_test(test_later_spool_in_a_missing_folder_names_it),
	    cmocka_unit_test(test_a_finished_file_is_deflated_after_the_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
