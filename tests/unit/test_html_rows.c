/*
 * test_html_rows.c - the records a page's table is rendered from. views.c
 * renders one page while the next one fills, handing the rendered rows'
 * blocks to the filling page as it goes: the table written that way must
 * be the table written at once, byte for byte, although the blocks under
 * it are reused and overwritten while it is written.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html/index_html.h"

/* Record i's text; its keys change every 1,000 records, the way a source's
 * columns can differ between rows, and the first of those is longer
 * than a block. */
static char *record(size_t i, const char *tag)
{
	static const char *key[] = {"score", "title", "grade"};
	size_t pad = i % 1000 == 0 ? 70000 : i % 37;
	char *s = malloc(pad + 128);

	assert_non_null(s);
	int n =
	    sprintf(s, "\"id\":%zu,\"%s\":\"%s-", i, key[(i / 1000) % 3], tag);
	memset(s + n, 'a' + (int)(i % 26), pad);
	strcpy(s + n + pad, "\"");
	return s;
}

static void add(px_html_rows *r, size_t i, const char *tag)
{
	char *s = record(i, tag);

	assert_int_equal(px_html_rows_add(r, s, strlen(s)), 0);
	free(s);
}

static char *table_at_once(const px_html_rows *r, size_t *len)
{
	char *text = NULL;
	FILE *o = open_memstream(&text, len);
	px_error err = {0};

	assert_non_null(o);
	assert_int_equal(px_html_rows_table(o, PX_LANG_EN, NULL, "score", r,
					    NULL, "../", &err),
			 0);
	fclose(o);
	return text;
}

static void test_rows_keep_their_text_across_blocks(void **state)
{
	px_html_rows r = {0};

	(void)state;
	for (size_t i = 0; i < 3000; i++)
		add(&r, i, "x");
	assert_int_equal(r.n, 3000);
	for (size_t i = 0; i < 3000; i++) {
		char *s = record(i, "x");
		assert_int_equal(r.row[i].len, strlen(s));
		assert_string_equal(r.row[i].text, s);
		free(s);
	}
	px_html_rows_clear(&r);
	assert_int_equal(r.n, 0);
	add(&r, 7, "again");
	assert_int_equal(r.n, 1);
	char *s = record(7, "again");
	assert_string_equal(r.row[0].text, s);
	free(s);
	px_html_rows_free(&r);
}

static void test_a_table_written_while_its_blocks_are_reused(void **state)
{
	enum { N = 5000 };
	px_html_rows ready = {0}, filling = {0};
	px_error err = {0};
	char *want, *got = NULL;
	size_t want_len, got_len;

	(void)state;
	for (size_t i = 0; i < N; i++)
		add(&ready, i, "ready");
	want = table_at_once(&ready, &want_len);

	FILE *o = open_memstream(&got, &got_len);
	assert_non_null(o);
	px_html_table *t = px_html_table_begin(o, PX_LANG_EN, NULL, "score",
					       &ready, NULL, "../", &err);
	assert_non_null(t);
	/* what views.c does: a row of the page written for each record of
	 * the next page, which takes over the blocks written */
	for (size_t i = 0; i < N; i++) {
		add(&filling, N + i, "filling");
		assert_int_equal(px_html_table_rows(t, filling.n, &err), 0);
		px_html_rows_pass(&ready, px_html_table_spent(t), &filling);
	}
	assert_int_equal(px_html_table_end(t, &err), 0);
	fclose(o);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
	assert_non_null(strstr(got, "ready-"));
	assert_null(strstr(got, "filling-"));

	/* the blocks passed on hold the next page, intact */
	for (size_t i = 0; i < N; i++) {
		char *s = record(N + i, "filling");
		assert_string_equal(filling.row[i].text, s);
		free(s);
	}
	free(want);
	free(got);
	px_html_rows_free(&ready);
	px_html_rows_free(&filling);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows_keep_their_text_across_blocks),
	    cmocka_unit_test(test_a_table_written_while_its_blocks_are_reused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
