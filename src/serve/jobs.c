/*
 * jobs.c - a FIFO of export jobs under one mutex, worked by a fixed pool
 * of threads, each exporting one request at a time with its own exporter.
 */
#include "serve/jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interrupt.h"

struct job {
	struct job *next;
	long id;
	json_t *subject;
	px_scope scope;
	char *out_path;
	char until[11]; /* retrievable until, YYYY-MM-DD, or "" */
};

struct px_jobs {
	const px_config *cfg;
	px_jobs_done_fn done;
	void *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	long queued, bound;
	long *running; /* request id per worker, 0 when idle */
	/* One per worker: schemas, signer and source connections are set
	 * up once and reused for every subject that worker exports. */
	px_exporter **exporters;
	long n_workers, n_started;
	int stopping;
	pthread_t *threads;
};

static void job_free(struct job *jb)
{
	if (!jb)
		return;
	json_decref(jb->subject);
	free(jb->out_path);
	free(jb);
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void run_one(px_jobs *j, long slot, struct job *jb)
{
	px_export_subject o = {0};
	px_export_result res;
	px_error err = PX_ERROR_INIT;
	px_jobs_outcome out = {0};
	char id[24];
	struct timespec t0;

	snprintf(id, sizeof(id), "%ld", jb->id);
	o.subject = jb->subject;
	o.scope = px_scope_name(jb->scope);
	o.out_path = jb->out_path;
	o.request_id = id;
	o.retrievable_until = jb->until[0] ? jb->until : NULL;
	/* A file there is an earlier run's, published but never recorded
	 * (the process died in between): this export replaces it. */
	o.force = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (px_exporter_run(j->exporters[slot], &o, &res, &err)) {
		out.code = err.code ? err.code : PX_EXIT_SOFTWARE;
		out.interrupted = err.code == PX_EXIT_INTERRUPTED;
		out.message = err.msg;
	} else {
		out.res = &res;
	}
	out.seconds = since(&t0);
	j->done(j->ctx, jb->id, jb->out_path, &out);
}

static void *worker(void *arg)
{
	px_jobs *j = ((void **)arg)[0];
	long slot = (long)(size_t)((void **)arg)[1];
	struct job *jb;

	free(arg);
	for (;;) {
		pthread_mutex_lock(&j->mu);
		while (!j->head && !j->stopping)
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->stopping) {
			pthread_mutex_unlock(&j->mu);
			return NULL;
		}
		jb = j->head;
		j->head = jb->next;
		if (!j->head)
			j->tail = NULL;
		j->queued--;
		j->running[slot] = jb->id;
		pthread_mutex_unlock(&j->mu);
		run_one(j, slot, jb);
		pthread_mutex_lock(&j->mu);
		j->running[slot] = 0;
		pthread_mutex_unlock(&j->mu);
		job_free(jb);
	}
}

px_jobs *px_jobs_start(const px_config *cfg, long workers, long bound,
		       px_jobs_done_fn done, void *ctx, px_error *err)
{
	px_jobs *j = calloc(1, sizeof(*j));
	px_export_opts eo = {.config = cfg, .scope = PX_SCOPE_PORTABILITY};

	if (!j || !(j->running = calloc((size_t)workers, sizeof(long))) ||
	    !(j->threads = calloc((size_t)workers, sizeof(pthread_t))) ||
	    !(j->exporters = calloc((size_t)workers, sizeof(px_exporter *)))) {
		if (j) {
			free(j->running);
			free(j->threads);
		}
		free(j);
		px_error_oom(err);
		return NULL;
	}
	j->cfg = cfg;
	j->done = done;
	j->ctx = ctx;
	j->bound = bound;
	j->n_workers = workers;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	/* Set up before any thread runs: a signing key that does not load
	 * fails the start, not every export. */
	for (long i = 0; i < workers; i++)
		if (!(j->exporters[i] = px_exporter_new(&eo, err))) {
			px_jobs_stop(j);
			return NULL;
		}
	for (long i = 0; i < workers; i++) {
		void **arg = malloc(2 * sizeof(void *));

		if (!arg ||
		    (arg[0] = j, arg[1] = (void *)(size_t)i,
		     pthread_create(&j->threads[i], NULL, worker, arg))) {
			free(arg);
			px_jobs_stop(j);
			px_error_set(err, PX_EXIT_OSERR,
				     "cannot start export thread %ld of %ld",
				     i + 1, workers);
			return NULL;
		}
		j->n_started++;
	}
	return j;
}

static int present(px_jobs *j, long id)
{
	for (struct job *jb = j->head; jb; jb = jb->next)
		if (jb->id == id)
			return PX_JOBS_QUEUED;
	for (long i = 0; i < j->n_workers; i++)
		if (j->running[i] == id)
			return PX_JOBS_RUNNING;
	return PX_JOBS_NONE;
}

enum px_submit px_jobs_submit(px_jobs *j, long id, const json_t *subject,
			      px_scope scope, const char *out_path,
			      const char *until)
{
	struct job *jb;
	enum px_submit rc = PX_SUBMIT_QUEUED;

	pthread_mutex_lock(&j->mu);
	if (j->stopping || px_interrupted())
		rc = PX_SUBMIT_STOPPING;
	else if (present(j, id))
		rc = PX_SUBMIT_PRESENT;
	else if (j->queued >= j->bound)
		rc = PX_SUBMIT_FULL;
	pthread_mutex_unlock(&j->mu);
	if (rc != PX_SUBMIT_QUEUED)
		return rc;
	jb = calloc(1, sizeof(*jb));
	if (!jb || !(jb->subject = json_deep_copy(subject)) ||
	    !(jb->out_path = strdup(out_path))) {
		job_free(jb);
		return PX_SUBMIT_NOMEM;
	}
	jb->id = id;
	jb->scope = scope;
	snprintf(jb->until, sizeof(jb->until), "%s", until ? until : "");
	pthread_mutex_lock(&j->mu);
	/* Checked again: the lock was let go while copying. */
	if (j->stopping)
		rc = PX_SUBMIT_STOPPING;
	else if (present(j, id))
		rc = PX_SUBMIT_PRESENT;
	else if (j->queued >= j->bound)
		rc = PX_SUBMIT_FULL;
	if (rc == PX_SUBMIT_QUEUED) {
		if (j->tail)
			j->tail->next = jb;
		else
			j->head = jb;
		j->tail = jb;
		j->queued++;
		pthread_cond_signal(&j->cv);
		jb = NULL;
	}
	pthread_mutex_unlock(&j->mu);
	job_free(jb);
	return rc;
}

enum px_jobs_state px_jobs_state(px_jobs *j, long id)
{
	enum px_jobs_state s;

	pthread_mutex_lock(&j->mu);
	s = (enum px_jobs_state)present(j, id);
	pthread_mutex_unlock(&j->mu);
	return s;
}

void px_jobs_counts(px_jobs *j, long *queued, long *running)
{
	long r = 0;

	pthread_mutex_lock(&j->mu);
	for (long i = 0; i < j->n_workers; i++)
		r += j->running[i] != 0;
	if (queued)
		*queued = j->queued;
	if (running)
		*running = r;
	pthread_mutex_unlock(&j->mu);
}

int px_jobs_has_room(px_jobs *j)
{
	int room;

	pthread_mutex_lock(&j->mu);
	room = !j->stopping && j->queued < j->bound;
	pthread_mutex_unlock(&j->mu);
	return room;
}

void px_jobs_stop(px_jobs *j)
{
	struct job *jb;

	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	j->stopping = 1;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	for (long i = 0; i < j->n_started; i++)
		pthread_join(j->threads[i], NULL);
	while ((jb = j->head)) {
		j->head = jb->next;
		job_free(jb);
	}
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	for (long i = 0; i < j->n_workers; i++)
		px_exporter_free(j->exporters[i]);
	free(j->exporters);
	free(j->running);
	free(j->threads);
	free(j);
}
