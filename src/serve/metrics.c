/*
 * metrics.c - counters behind one mutex. A scrape is rare next to the
 * requests it counts, so a lock taken per request is cheaper to reason
 * about than atomics spread over a dozen fields.
 */
#include "serve/metrics.h"
#include "portex/error.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Export durations run from a tiny subject to a decade of history. */
static const double bounds[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
#define NB	(sizeof(bounds) / sizeof(bounds[0]))
#define NSTATUS 600
static const char *const outcomes[] = {"ok", "failed", "interrupted", "retry"};
#define NOUT (sizeof(outcomes) / sizeof(outcomes[0]))

struct counts {
	unsigned long long status[NSTATUS];
	unsigned long long outcome[NOUT];
	unsigned long long bucket[NB]; /* not cumulative; summed on render */
	unsigned long long count;
	double sum;
};

struct px_metrics {
	pthread_mutex_t mu;
	struct counts c;
};

px_metrics *px_metrics_new(void)
{
	px_metrics *m = calloc(1, sizeof(*m));

	if (m)
		pthread_mutex_init(&m->mu, NULL);
	return m;
}

void px_metrics_free(px_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void px_metrics_request(px_metrics *m, unsigned status)
{
	pthread_mutex_lock(&m->mu);
	m->c.status[status < NSTATUS ? status : 0]++;
	pthread_mutex_unlock(&m->mu);
}

void px_metrics_export(px_metrics *m, const char *outcome, double seconds)
{
	size_t o = 0, b = 0;

	while (o < NOUT && strcmp(outcomes[o], outcome))
		o++;
	while (b < NB && seconds > bounds[b])
		b++;
	pthread_mutex_lock(&m->mu);
	if (o < NOUT)
		m->c.outcome[o]++;
	if (b < NB)
		m->c.bucket[b]++;
	m->c.count++;
	m->c.sum += seconds;
	pthread_mutex_unlock(&m->mu);
}

static int add(px_buf *out, const char *fmt, ...) PX_PRINTF(2, 3);
static int add(px_buf *out, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return px_buf_add(out, line, (size_t)n);
}

int px_metrics_render(px_metrics *m, long queue_depth, long running,
		      px_buf *out)
{
	struct counts s;
	unsigned long long cum = 0;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	s = m->c;
	pthread_mutex_unlock(&m->mu);
	rc |= add(out, "# HELP portex_http_requests_total HTTP answers by "
		       "status code.\n"
		       "# TYPE portex_http_requests_total counter\n");
	for (unsigned i = 100; i < NSTATUS; i++)
		if (s.status[i])
			rc |= add(out,
				  "portex_http_requests_total{code=\"%u\"} "
				  "%llu\n",
				  i, s.status[i]);
	rc |= add(out,
		  "# HELP portex_queue_depth Exports waiting for a "
		  "worker.\n# TYPE portex_queue_depth gauge\n"
		  "portex_queue_depth %ld\n",
		  queue_depth);
	rc |= add(out,
		  "# HELP portex_exports_running Exports in progress.\n"
		  "# TYPE portex_exports_running gauge\n"
		  "portex_exports_running %ld\n",
		  running);
	rc |= add(out, "# HELP portex_exports_total Finished exports by "
		       "outcome.\n# TYPE portex_exports_total counter\n");
	for (size_t o = 0; o < NOUT; o++)
		rc |= add(out, "portex_exports_total{outcome=\"%s\"} %llu\n",
			  outcomes[o], s.outcome[o]);
	rc |= add(out, "# HELP portex_export_duration_seconds Time from a "
		       "worker taking an export to its end.\n"
		       "# TYPE portex_export_duration_seconds histogram\n");
	for (size_t b = 0; b < NB; b++) {
		cum += s.bucket[b];
		rc |= add(out,
			  "portex_export_duration_seconds_bucket{le=\"%g\"} "
			  "%llu\n",
			  bounds[b], cum);
	}
	rc |= add(out,
		  "portex_export_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
		  "portex_export_duration_seconds_sum %.6f\n"
		  "portex_export_duration_seconds_count %llu\n",
		  s.count, s.sum, s.count);
	return rc ? -1 : 0;
}
