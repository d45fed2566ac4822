/*
 * index_html_rows.c - records' texts for a table, kept in fixed blocks.
 * A page's rows are ~2 MB of text; views.c renders one page while the
 * next fills, and hands each block of the rendered page to the filling
 * one as soon as its rows are written, so the two together hold about
 * one page, not two (a growing buffer could give nothing back until the
 * whole page was done).
 */
#include "html/index_html.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

/* Large enough that a block's header and the last record that did not
 * fit are noise; small enough that a page's tail wastes little. */
#define BLOCK_BYTES (64 * 1024)

struct px_html_block {
	px_html_block *next;
	size_t used, size;
	size_t rows_end; /* the index after the last record it holds */
	char data[];
};

static px_html_block *new_block(px_html_rows *r, size_t need)
{
	px_html_block *b;

	if (need <= BLOCK_BYTES && r->spare) {
		b = r->spare;
		r->spare = b->next;
	} else {
		size_t size = need > BLOCK_BYTES ? need : BLOCK_BYTES;
		if (!(b = malloc(sizeof(*b) + size)))
			return NULL;
		b->size = size;
	}
	b->next = NULL;
	b->used = 0;
	if (r->last)
		r->last->next = b;
	else
		r->first = b;
	r->last = b;
	return b;
}

int px_html_rows_add(px_html_rows *r, const char *text, size_t len)
{
	px_html_block *b = r->last;

	px_html_row *row = px_grow(r->row, &r->cap, r->n, sizeof(*row), 64);

	if (!row)
		return -1;
	r->row = row;
	/* +1: a NUL after each text, as a string the table may print */
	if (!b || b->size - b->used < len + 1)
		if (!(b = new_block(r, len + 1)))
			return -1;
	memcpy(b->data + b->used, text, len);
	b->data[b->used + len] = '\0';
	r->row[r->n].text = b->data + b->used;
	r->row[r->n].len = len;
	b->used += len + 1;
	b->rows_end = ++r->n;
	return 0;
}

/* b to to's spare blocks, or freed when it is not of the usual size. */
static void spare(px_html_rows *to, px_html_block *b)
{
	if (b->size != BLOCK_BYTES) {
		free(b);
		return;
	}
	b->next = to->spare;
	to->spare = b;
}

void px_html_rows_pass(px_html_rows *from, size_t upto, px_html_rows *to)
{
	while (from != to && from->spare) {
		px_html_block *b = from->spare;
		from->spare = b->next;
		spare(to, b);
	}
	while (from->first && from->first->rows_end <= upto) {
		px_html_block *b = from->first;
		from->first = b->next;
		if (!from->first)
			from->last = NULL;
		spare(to, b);
	}
}

void px_html_rows_clear(px_html_rows *r)
{
	px_html_rows_pass(r, r->n, r);
	r->n = 0;
}

static void free_chain(px_html_block *b)
{
	while (b) {
		px_html_block *next = b->next;
		free(b);
		b = next;
	}
}

void px_html_rows_free(px_html_rows *r)
{
	free_chain(r->first);
	free_chain(r->spare);
	free(r->row);
	memset(r, 0, sizeof(*r));
}
