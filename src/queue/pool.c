/*
 * pool.c - worker threads that export jobs (pool.h).
 */
#include "queue/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"
#include "ledger/checkpoint_sign.h"
#include "package/package.h"
#include "queue/outdir.h"
#include "timefmt.h"

#define MAX_DIRS 16
/* A ledger write of a job's run is tried this many times while the
 * ledger is busy, waiting 200 ms, 400 ms... between tries (each try
 * itself waits out SQLite's busy timeout). */
#define LEDGER_TRIES	8
#define LEDGER_RETRY_MS 200

struct worker {
	px_pool *p;
	int n;
	pthread_t th;
	px_exporter *x;
	px_ledger *l;
};

struct px_pool {
	px_pool_opts o;
	px_export_opts eo;
	struct worker *w;
	int n_workers, started, live;
	pthread_t heart;
	int heart_started, heart_stop;
	char owner[256];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	size_t next; /* list mode */
	px_pool_stats st;
	px_error first; /* first error that stopped a worker */
	px_checkpointer *cp; /* ledger mode: signs the trail's head */
	struct {
		char *path;
		px_outdir *d;
	} dirs[MAX_DIRS];
	int n_dirs;
};

static int ledger_mode(const px_pool *p)
{
	return p->o.ledger_uri != NULL;
}

static px_ledger *open_ledger(const px_pool *p, px_error *err)
{
	return px_ledger_open_config(
	    p->eo.config, *p->o.ledger_uri ? p->o.ledger_uri : NULL, err);
}

static void note_error(px_pool *p, const px_error *e)
{
	pthread_mutex_lock(&p->mu);
	if (!p->first.code)
		p->first = *e;
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static int stopping(px_pool *p)
{
	int s;

	pthread_mutex_lock(&p->mu);
	s = p->stop;
	pthread_mutex_unlock(&p->mu);
	return s || px_stop_requested();
}

/* Waits ms or until woken. */
static void idle(px_pool *p, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	if (!p->stop)
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	pthread_mutex_unlock(&p->mu);
}

/* 1 when j's outcome gets an index.ndjson line in its folder: every job
 * but serve's (see PX_QUEUE_BATCH_PORTAL). */
static int keeps_index(const px_job *j)
{
	return strcmp(j->batch, PX_QUEUE_BATCH_PORTAL) != 0;
}

/* The out-dir of a package, opened once per pool. A folder without an
 * index (serve's) only has the leftovers of killed runs swept, once:
 * returns 0 with *out NULL. Returns -1 with err. */
static int outdir_of(px_pool *p, const px_job *j, px_outdir **out,
		     px_error *err)
{
	const char *slash = strrchr(j->package, '/');
	size_t n = slash ? (size_t)(slash - j->package) : 0;
	char dir[4096];
	int i, rc = 0;

	*out = NULL;
	snprintf(dir, sizeof(dir), "%.*s", n ? (int)n : 1,
		 n ? j->package : ".");
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n_dirs; i++)
		if (!strcmp(p->dirs[i].path, dir))
			break;
	if (i < p->n_dirs) {
		if (keeps_index(j) && !(*out = p->dirs[i].d))
			rc = px_error_set(err, PX_EXIT_CANTCREAT,
					  "%s is serve's package folder: a job "
					  "of batch %s may not write there",
					  dir, j->batch);
	} else if (p->n_dirs == MAX_DIRS)
		rc = px_error_set(err, PX_EXIT_CANTCREAT,
				  "more than %d output folders in one pool",
				  MAX_DIRS);
	else if (keeps_index(j) ? !(*out = px_outdir_open(dir, err))
				: (px_sweep_temporaries(dir), 0))
		rc = -1;
	else if (!(p->dirs[p->n_dirs].path = strdup(dir))) {
		px_outdir_close(*out);
		*out = NULL;
		rc = px_error_oom(err);
	} else
		p->dirs[p->n_dirs++].d = *out;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* "/d/0123abcd.zip" -> "0123abcd". */
static void id_of(const char *package, char *out, size_t n)
{
	const char *b = strrchr(package, '/');
	size_t len;

	b = b ? b + 1 : package;
	len = strlen(b);
	if (len > 4 && !strcmp(b + len - 4, ".zip"))
		len -= 4;
	snprintf(out, n, "%.*s", (int)len, b);
}

json_t *px_pool_index_entry(const px_job *j, const char *status,
			    const px_job_outcome *out, int code,
			    const char *error)
{
	char id[256], now[48];
	const char *name = strrchr(j->package, '/');
	json_t *e;

	id_of(j->package, id, sizeof(id));
	px_rfc3339_from_epoch((int64_t)time(NULL), 0, now, sizeof(now));
	e = json_pack("{s:s, s:s, s:O, s:s}", "id", id, "package",
		      name ? name + 1 : j->package, "subject", j->subject,
		      "status", status);
	if (!e)
		return NULL;
	if (out && !code) {
		json_object_set_new(e, "sha256", json_string(out->sha256));
		json_object_set_new(e, "size",
				    json_integer((json_int_t)out->size));
		json_object_set_new(e, "records",
				    json_integer((json_int_t)out->records));
		if (out->entities)
			json_object_set(e, "entities", (json_t *)out->entities);
		/* Found there and verified, not exported by this run. */
		if (out->adopted)
			json_object_set_new(e, "adopted", json_true());
	}
	if (j->retrievable_until)
		json_object_set_new(e, "retrievable_until",
				    json_string(j->retrievable_until));
	json_object_set_new(e, "at", json_string(now));
	json_object_set_new(e, "attempts", json_integer(j->attempts));
	if (code) {
		json_object_set_new(e, "code", json_integer(code));
		json_object_set_new(e, "error",
				    json_string(error ? error : ""));
	}
	if (j->id)
		json_object_set_new(e, "job", json_integer(j->id));
	if (j->request_id)
		json_object_set_new(e, "request", json_integer(j->request_id));
	return e;
}

static void count(px_pool *p, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&p->mu);
	*field += n;
	pthread_mutex_unlock(&p->mu);
}

static int append(px_outdir *d, const px_job *j, const char *status,
		  const px_job_outcome *out, int code, const char *msg,
		  px_error *err)
{
	json_t *e = px_pool_index_entry(j, status, out, code, msg);
	int rc = e ? px_outdir_append(d, e, err) : px_error_oom(err);

	json_decref(e);
	return rc;
}

/* Sleeps ms, waking early on a signal or px_pool_stop(). */
static void backoff(px_pool *p, int ms)
{
	for (int slept = 0; slept < ms && !stopping(p); slept += 50) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static int backoff_ms(int attempts)
{
	const char *base = getenv("PORTEX_BACKOFF_MS");
	long b = base && *base ? atol(base) : 1000;

	return (int)(b * px_queue_backoff(attempts - 1) > 300000
			 ? 300000
			 : b * px_queue_backoff(attempts - 1));
}

struct publish_hook;
static int before_publish(void *ctx, const char *sha256_hex, px_error *err);

/* Exports j, or adopts the package already there. Returns 0 with out
 * filled, or -1 with err (its code says what failed). */
static int produce(struct worker *w, px_job *j, struct publish_hook *hook,
		   px_job_outcome *out, char *sha, json_t **entities,
		   px_error *err)
{
	px_pool *p = w->p;
	unsigned long long size = 0, records = 0;
	const char *why = "";
	px_export_subject s = {
	    .subject = j->subject,
	    .out_path = j->package,
	    .retrievable_until = j->retrievable_until,
	    .scope = j->scope,
	};
	px_export_result res;
	json_t *audit = NULL;
	char req[24];
	int rc;

	memset(out, 0, sizeof(*out));
	out->sha256 = sha;
	if (hook) {
		s.before_publish = before_publish;
		s.before_publish_ctx = hook;
	}
	if (j->request_id) {
		snprintf(req, sizeof(req), "%ld", j->request_id);
		s.request_id = req;
	}
	for (;;) {
		rc = px_package_check(j->package, sha, &size, &records,
				      entities, &why, err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			out->size = size;
			out->records = records;
			out->entities = *entities;
			out->adopted = 1;
			return 0;
		}
		if (strcmp(why, "absent"))
			return px_error_set(err, PX_EXIT_CANTCREAT,
					    "%s is there and %s: portex never "
					    "replaces it; move it away to "
					    "export this subject again",
					    j->package, why);
		px_error_clear(err);
		/* The package witnesses the trail before its own entries. */
		if (ledger_mode(p) &&
		    !(s.audit = audit = px_audit_witness_new(w->l, err)))
			return -1;
		rc = px_exporter_run(w->x, &s, &res, err);
		json_decref(audit);
		if (!rc)
			break;
		/* Another worker published it meanwhile: look again. */
		if (err->code == PX_EXIT_CANTCREAT && !access(j->package, F_OK))
			continue;
		if (ledger_mode(p) || !px_queue_transient(err->code) ||
		    j->attempts >= (p->o.max_attempts
					? p->o.max_attempts
					: PX_QUEUE_MAX_ATTEMPTS) ||
		    stopping(p))
			return -1;
		count(p, &p->st.retried, 1);
		backoff(p, backoff_ms(j->attempts));
		/* Not failed, only not tried again: a rerun will. */
		if (stopping(p))
			return px_error_set(err, PX_EXIT_INTERRUPTED,
					    "stopped before attempt %d: %s",
					    j->attempts + 1, err->msg);
		j->attempts++;
	}
	memcpy(sha, res.sha256, 65);
	out->size = res.size;
	out->records = res.records;
	out->entities = *entities = json_deep_copy(px_exporter_entities(w->x));
	return 0;
}

/* 1 when the index already says this package is there. */
static int indexed(const json_t *line, const char *sha)
{
	return line &&
	       !strcmp(json_string_value(json_object_get(line, "status"))
			   ? json_string_value(json_object_get(line, "status"))
			   : "",
		       "ok") &&
	       json_string_value(json_object_get(line, "sha256")) &&
	       !strcmp(json_string_value(json_object_get(line, "sha256")), sha);
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void report(px_pool *p, const px_job *j, px_job_end *e,
		   const struct timespec *t0)
{
	if (!p->o.on_done)
		return;
	e->seconds = since(t0);
	p->o.on_done(p->o.on_done_ctx, j, e);
}

/* Whether a ledger write that failed with err is worth another try
 * (attempt counts from 0): the ledger was busy (SQLite: another process
 * held the write lock past the busy timeout) or unreachable (69). Waits
 * the backoff first, telling on_ledger_retry. A stop request does not cut
 * it short: the job in flight still needs recording; a second signal
 * (px_interrupted()) does. */
static int retry_ledger(px_pool *p, const px_job *j, int attempt, px_error *err)
{
	const char *base = getenv("PORTEX_LEDGER_RETRY_MS");
	long ms = base && *base ? atol(base) : LEDGER_RETRY_MS;

	if (err->code != PX_EXIT_UNAVAILABLE || attempt + 1 >= LEDGER_TRIES ||
	    px_interrupted())
		return 0;
	for (int i = 0; i < attempt && ms < 30000; i++)
		ms *= 2;
	if (p->o.on_ledger_retry)
		p->o.on_ledger_retry(p->o.on_done_ctx, j, attempt + 1, ms, err);
	for (long slept = 0; slept < ms && !px_interrupted(); slept += 50) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	px_error_clear(err);
	return 1;
}

struct publish_hook {
	struct worker *w;
	const px_job *j;
};

/* Before the package appears at its path: the ledger request records it
 * as pending (ledger.h, "Package publishing"), so that a kill between
 * publishing and px_queue_finish() is settled by px_ledger_reconcile(). */
static int before_publish(void *ctx, const char *sha256_hex, px_error *err)
{
	struct publish_hook *h = ctx;
	px_pool *p = h->w->p;
	int rc;

	for (int a = 0;
	     (rc = px_ledger_export_pending(h->w->l, h->j->request_id, p->owner,
					    h->j->package, sha256_hex, err)) &&
	     retry_ledger(p, h->j, a, err);
	     a++)
		;
	return rc;
}

static int finish(struct worker *w, const px_job *j, const px_job_outcome *o,
		  px_error *err)
{
	int rc;

	for (int a = 0;
	     (rc = px_queue_finish(w->l, j, w->p->owner, o, err)) < 0 &&
	     err->code != PX_EXIT_DATA && retry_ledger(w->p, j, a, err);
	     a++)
		;
	return rc;
}

static int fail(struct worker *w, const px_job *j, int code, const char *msg,
		px_job_state *st, px_error *err)
{
	int rc;

	for (int a = 0; (rc = px_queue_fail(w->l, j, w->p->owner, code, msg,
					    px_queue_now(), st, err)) < 0 &&
			retry_ledger(w->p, j, a, err);
	     a++)
		;
	return rc;
}

static void release(struct worker *w, const px_job *j)
{
	px_error err = PX_ERROR_INIT;

	for (int a = 0; px_queue_release(w->l, j, w->p->owner, &err) < 0 &&
			retry_ledger(w->p, j, a, &err);
	     a++)
		;
}

/* The request of a finished job was closed (withdrawn, rejected) while it
 * ran: nobody will deliver or purge that package, so it goes, and the job
 * ends failed. Returns what px_queue_fail() returns. */
static int closed_meanwhile(struct worker *w, px_job *j, px_error *why,
			    px_job_state *st, px_error *err)
{
	unlink(j->package);
	return fail(w, j, PX_EXIT_DATA, why->msg, st, err);
}

/* A ledger write about j failed for good: the job is not recorded, the
 * pool goes on. Its lease runs out and a later claim takes it over (a
 * package published meanwhile is adopted then; a pending record is
 * settled by the next start's px_ledger_reconcile()). */
static void unrecorded(px_pool *p, const px_job *j, const px_error *e)
{
	if (p->o.on_ledger_retry)
		p->o.on_ledger_retry(p->o.on_done_ctx, j, 0, 0, e);
}

static void run_job(struct worker *w, px_job *j)
{
	px_pool *p = w->p;
	px_error err = PX_ERROR_INIT, e2 = PX_ERROR_INIT;
	px_job_outcome out;
	px_job_end end = {0};
	json_t *entities = NULL;
	char id[256], sha[65] = "";
	px_outdir *d = NULL;
	struct publish_hook hook = {w, j};
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (outdir_of(p, j, &d, &err)) {
		note_error(p, &err);
		if (ledger_mode(p))
			release(w, j);
		return;
	}
	id_of(j->package, id, sizeof(id));
	/* Without an index (serve's folder) nothing is locked: the job's
	 * lease and its unique package path keep two exports of it apart,
	 * and a package is published without replacing one. */
	if (d && px_outdir_lock(d, id, &err)) {
		if (ledger_mode(p))
			release(w, j);
		return;
	}
	rc = produce(w, j, ledger_mode(p) && j->request_id ? &hook : NULL, &out,
		     sha, &entities, &err);
	if (rc && (err.code == PX_EXIT_INTERRUPTED || px_interrupted())) {
		/* Stopped, not failed: the job goes back as it was. */
		if (ledger_mode(p))
			release(w, j);
		end.state = PX_JOB_QUEUED;
		end.released = 1;
		end.code = PX_EXIT_INTERRUPTED;
		end.message = err.msg;
		report(p, j, &end, &t0);
	} else if (!rc) {
		int lost = 0;

		if (ledger_mode(p)) {
			lost = finish(w, j, &out, &e2);
			if (lost < 0 && e2.code == PX_EXIT_DATA) {
				px_error why = e2;

				px_error_clear(&e2);
				end.state = PX_JOB_FAILED;
				lost = closed_meanwhile(w, j, &why, &end.state,
							&e2);
				end.code = PX_EXIT_DATA;
				end.message = why.msg;
				if (!lost)
					report(p, j, &end, &t0);
				if (lost < 0)
					unrecorded(p, j, &e2);
				count(p, &p->st.failed, 1);
				goto out;
			}
			if (lost < 0) {
				/* Recording failed for good: the job says so
				 * (a transient failure, retried later; the
				 * package is adopted then). */
				px_error why = e2;
				px_job_state st = PX_JOB_QUEUED;

				px_error_clear(&e2);
				if (fail(w, j, why.code, why.msg, &st, &e2))
					unrecorded(p, j, &why);
				end.state = st;
				end.code = why.code;
				end.message = why.msg;
				count(p, &p->st.retried, 1);
				report(p, j, &end, &t0);
				goto out;
			}
		}
		if (lost > 0)
			count(p, &p->st.lost, 1);
		else {
			json_t *had = json_object_get(p->o.index, id);

			count(p, out.adopted ? &p->st.skipped : &p->st.ok, 1);
			if (!out.adopted)
				count(p, &p->st.records, out.records);
			if (d && !(out.adopted && indexed(had, sha)) &&
			    append(d, j, "ok", &out, 0, NULL, &e2))
				note_error(p, &e2);
			end.state = PX_JOB_DONE;
			end.out = &out;
			report(p, j, &end, &t0);
		}
	} else {
		px_job_state st = PX_JOB_FAILED;
		int lost = 0;

		if (ledger_mode(p)) {
			lost = fail(w, j, err.code, err.msg, &st, &e2);
			if (lost < 0)
				unrecorded(p, j, &e2);
		} else if (px_queue_transient(err.code))
			st = PX_JOB_DEAD;
		if (!lost && st != PX_JOB_QUEUED) {
			count(p, &p->st.failed, 1);
			if (d && append(d, j, px_job_state_name(st), NULL,
					err.code, err.msg, &e2))
				note_error(p, &e2);
		} else if (!lost)
			count(p, &p->st.retried, 1);
		if (!lost) {
			end.state = st;
			end.code = err.code;
			end.message = err.msg;
			report(p, j, &end, &t0);
		}
	}
out:
	if (d)
		px_outdir_unlock(d, id);
	json_decref(entities);
}

/* Ledger mode, --once: 1 while some job of the pool's batches may still
 * run (queued, or running under some lease). */
static int pending(struct worker *w, px_error *err)
{
	const px_pool_opts *o = &w->p->o;
	size_t i = 0;
	json_int_t n = 0;

	do {
		json_t *c = NULL;

		if (px_queue_counts(w->l, o->n_batches ? o->batches[i] : NULL,
				    &c, err))
			return -1;
		n += json_integer_value(json_object_get(c, "queued")) +
		     json_integer_value(json_object_get(c, "running"));
		json_decref(c);
	} while (++i < o->n_batches);
	return n > 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	px_pool *p = w->p;
	px_error err = PX_ERROR_INIT;

	while (!stopping(p)) {
		px_job *j = NULL;

		if (!ledger_mode(p)) {
			pthread_mutex_lock(&p->mu);
			if (p->next < p->o.n_list) {
				j = p->o.list[p->next];
				p->o.list[p->next++] = NULL;
			}
			pthread_mutex_unlock(&p->mu);
			if (!j)
				break;
			if (!j->attempts)
				j->attempts = 1;
			run_job(w, j);
			px_job_free(j);
			continue;
		}
		int rc = px_queue_claim_in(
		    w->l, p->owner,
		    p->o.lease_s ? p->o.lease_s : PX_QUEUE_LEASE,
		    px_queue_now(), p->o.batches, p->o.n_batches, &j, &err);
		if (rc < 0) {
			/* A busy SQLite ledger is worth another try. */
			if (err.code == PX_EXIT_UNAVAILABLE) {
				px_error_clear(&err);
				idle(p, p->o.poll_ms ? p->o.poll_ms : 1000);
				continue;
			}
			note_error(p, &err);
			break;
		}
		if (rc == 0) {
			px_checkpointer_flush(p->cp, w->l, 0, &err);
			if (p->o.once) {
				int more = pending(w, &err);
				if (more < 0) {
					note_error(p, &err);
					break;
				}
				if (!more)
					break;
			}
			idle(p, p->o.poll_ms ? p->o.poll_ms : 1000);
			continue;
		}
		run_job(w, j);
		px_job_free(j);
		px_checkpointer_recorded(p->cp, w->l, &err);
	}
	px_error_clear(&err);
	if (px_checkpointer_flush(p->cp, w->l, 1, &err))
		note_error(p, &err);
	pthread_mutex_lock(&p->mu);
	p->live--;
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Renews the leases of the jobs in flight until every worker has
 * returned: a stop request lets them finish, so they still need it. */
static void *heartbeat(void *arg)
{
	px_pool *p = arg;
	px_error err = PX_ERROR_INIT;
	int lease = p->o.lease_s ? p->o.lease_s : PX_QUEUE_LEASE;
	px_ledger *l = open_ledger(p, &err);

	pthread_mutex_lock(&p->mu);
	while (l && !p->heart_stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += lease / 3 ? lease / 3 : 1;
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (p->heart_stop)
			break;
		pthread_mutex_unlock(&p->mu);
		px_error_clear(&err);
		/* A renewal that fails is tried again at the next beat; a
		 * lease lost meanwhile shows when the job finishes. */
		px_queue_renew(l, p->owner, lease, px_queue_now(), NULL, &err);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	px_ledger_close(l);
	return NULL;
}

static void pool_free(px_pool *p)
{
	for (int i = 0; i < p->n_workers; i++) {
		px_exporter_free(p->w[i].x);
		px_ledger_close(p->w[i].l);
	}
	for (size_t i = p->next; i < p->o.n_list; i++)
		px_job_free(p->o.list[i]);
	for (int i = 0; i < p->n_dirs; i++) {
		px_outdir_close(p->dirs[i].d);
		free(p->dirs[i].path);
	}
	px_checkpointer_free(p->cp);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->w);
	free(p);
}

px_pool *px_pool_start(const px_pool_opts *o, px_error *err)
{
	px_pool *p = calloc(1, sizeof(*p));
	char host[128] = "";

	if (!p) {
		px_error_oom(err);
		return NULL;
	}
	p->o = *o;
	p->eo = *o->export;
	p->eo.progress = 0;
	p->n_workers = o->jobs > 0 ? o->jobs : 1;
	p->st.total = o->list ? o->n_list : 0;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	gethostname(host, sizeof(host) - 1);
	snprintf(p->owner, sizeof(p->owner), "%s:%ld:%lx", host, (long)getpid(),
		 (unsigned long)time(NULL));
	p->w = calloc((size_t)p->n_workers, sizeof(*p->w));
	if (!p->w) {
		pool_free(p);
		px_error_oom(err);
		return NULL;
	}
	if (ledger_mode(p) && px_checkpointer_new(&p->eo, &p->cp, err)) {
		pool_free(p);
		return NULL;
	}
	for (int i = 0; i < p->n_workers; i++) {
		struct worker *w = &p->w[i];

		w->p = p;
		w->n = i;
		if (!(w->x = px_exporter_new(&p->eo, err)) ||
		    (ledger_mode(p) && !(w->l = open_ledger(p, err)))) {
			pool_free(p);
			return NULL;
		}
	}
	if (ledger_mode(p)) {
		if (pthread_create(&p->heart, NULL, heartbeat, p)) {
			pool_free(p);
			px_error_set(err, PX_EXIT_OSERR,
				     "cannot start a thread");
			return NULL;
		}
		p->heart_started = 1;
	}
	for (int i = 0; i < p->n_workers; i++) {
		pthread_mutex_lock(&p->mu);
		p->live++; /* before it can return */
		pthread_mutex_unlock(&p->mu);
		if (pthread_create(&p->w[i].th, NULL, work, &p->w[i])) {
			pthread_mutex_lock(&p->mu);
			p->live--;
			pthread_mutex_unlock(&p->mu);
			px_error_set(err, PX_EXIT_OSERR,
				     "cannot start a thread");
			note_error(p, err);
			break;
		}
		p->started++;
	}
	return p;
}

void px_pool_stats_get(px_pool *p, px_pool_stats *out)
{
	pthread_mutex_lock(&p->mu);
	*out = p->st;
	pthread_mutex_unlock(&p->mu);
}

int px_pool_live(px_pool *p)
{
	int n;

	pthread_mutex_lock(&p->mu);
	n = p->live;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void px_pool_wake(px_pool *p)
{
	pthread_mutex_lock(&p->mu);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void px_pool_stop(px_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

int px_pool_wait(px_pool *p, px_pool_stats *out, px_error *err)
{
	int rc;

	for (int i = 0; i < p->started; i++)
		pthread_join(p->w[i].th, NULL);
	pthread_mutex_lock(&p->mu);
	p->stop = p->heart_stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (p->heart_started)
		pthread_join(p->heart, NULL);
	if (out)
		*out = p->st;
	rc = p->first.code ? -1 : 0;
	if (rc)
		*err = p->first;
	pool_free(p);
	return rc;
}
