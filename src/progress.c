/* progress.c - an export's progress on a terminal (progress.h). */
#include "progress.h"

#include <stdlib.h>
#include <time.h>

struct px_progress {
	FILE *out;
	double start;	/* the export's */
	double coll;	/* the collection's */
	double drawn;	/* last redraw */
	uint64_t total; /* records, collections done */
	int line;	/* a line is drawn, without its newline */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

px_progress *px_progress_new(FILE *out)
{
	px_progress *p = calloc(1, sizeof(*p));

	if (p) {
		p->out = out;
		p->start = p->drawn = now_s();
	}
	return p;
}

void px_progress_free(px_progress *p)
{
	if (p && p->line)
		fputc('\n', p->out);
	free(p);
}

/* "1:05" or "12.3 s" */
static void elapsed(double s, char *out, size_t n)
{
	if (s < 60)
		snprintf(out, n, "%.1f s", s);
	else
		snprintf(out, n, "%d:%02d", (int)s / 60, (int)s % 60);
}

void px_progress_step(void *ctx, const px_export_step *st)
{
	px_progress *p = ctx;
	double t = now_s(), el;
	char coll_el[32], all_el[32];

	if (st->kind == PX_STEP_RESOLVE) {
		fprintf(p->out, "%s  %s: %s %s\n", p->line ? "\n" : "",
			st->source, st->key, st->found ? "found" : "not found");
		p->line = 0;
		fflush(p->out);
		return;
	}
	if (st->kind == PX_STEP_RECORDS && !st->records)
		p->coll = t;
	/* a redraw at most every 0.1 s: a terminal is slow */
	if (st->kind == PX_STEP_RECORDS && st->records && t - p->drawn < 0.1)
		return;
	p->drawn = t;
	el = t - p->coll;
	elapsed(el, coll_el, sizeof(coll_el));
	elapsed(t - p->start, all_el, sizeof(all_el));
	/* \r and erase to the end of line: the line is redrawn in place */
	fprintf(p->out,
		"\r\033[K  %s/%s: %llu record%s, %.0f/s, %s (total %llu, %s)",
		st->source, st->entity, (unsigned long long)st->records,
		st->records == 1 ? "" : "s",
		el > 0 ? (double)st->records / el : 0.0, coll_el,
		(unsigned long long)(p->total + st->records), all_el);
	p->line = 1;
	if (st->kind == PX_STEP_FETCHED) {
		p->total += st->records;
		fputc('\n', p->out);
		p->line = 0;
	}
	fflush(p->out);
}
