/*
 * serve.c - the life of `portex serve`: open the ledger, start the pool of
 * export workers on the ledger's queue, queue the portal requests an
 * earlier run recorded but did not queue, listen; then, until SIGTERM,
 * purge expired packages; on SIGTERM stop accepting, drain the requests in
 * flight, stop the exports (an interrupted export writes nothing and its
 * job goes back to the queue for the next start or a `portex worker`).
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "interrupt.h"
#include "path.h"
#include "serve/accesslog.h"
#include "serve/http.h"
#include "serve/serve.h"

#define TICK_MS	       200
#define SWEEP_SECONDS  30
#define OUTBOX_SECONDS 1
#define DRAIN_SECONDS  30

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int is_portal(const json_t *req)
{
	const char *ch = str(req, "channel");

	return ch && !strcmp(ch, PX_SERVE_CHANNEL);
}

static int verified_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	(void)ctx;
	return px_request_apply(req, "identity-verified", NULL, px_today(),
				details, err);
}

/* Queues every portal request the ledger says is still to be exported
 * and that has no job: recorded by a process that stopped before queueing
 * it. At start, then now and then. */
static void sweep(px_serve *s)
{
	px_error err = PX_ERROR_INIT;
	json_t *all = NULL, *req;
	size_t i;
	long queued = 0;

	pthread_mutex_lock(&s->ledger_mu);
	if (px_ledger_list(s->ledger, &all, &err)) {
		pthread_mutex_unlock(&s->ledger_mu);
		px_serve_log_ledger_error(&err);
		return;
	}
	json_array_foreach (all, i, req) {
		const char *st = str(req, "status");
		long id = (long)json_integer_value(json_object_get(req, "id"));
		json_t *now = NULL;
		px_job *j = NULL;
		int has;

		if (!is_portal(req) ||
		    (strcmp(st, "received") && strcmp(st, "ready")))
			continue;
		if ((has = px_queue_get_by_request(s->ledger, id, &j, &err)) <
		    0)
			px_serve_log_ledger_error(&err);
		px_job_free(j);
		if (has)
			continue;
		/* Recorded, but the process stopped before the portal's
		 * confirmation was: the portal did confirm it. */
		if (!strcmp(st, "received")) {
			if (px_ledger_change(s->ledger, id,
					     "request.identity-verified",
					     PX_SERVE_ACTOR, verified_fn, NULL,
					     &now, &err)) {
				px_serve_log_ledger_error(&err);
				continue;
			}
			req = now;
			st = str(req, "status");
		}
		if (!strcmp(st, "ready")) {
			if (px_serve_enqueue(s, req, &err))
				px_serve_log_ledger_error(&err);
			else
				queued++;
		}
		json_decref(now);
	}
	pthread_mutex_unlock(&s->ledger_mu);
	json_decref(all);
	if (queued) {
		json_t *fl = json_pack("{s:I}", "queued", (json_int_t)queued);
		px_log_event("info", "resume", fl);
		json_decref(fl);
	}
}

struct purged {
	const char *path;
};

static int purged_fn(void *ctx, json_t *req, json_t *details, px_error *err)
{
	struct purged *p = ctx;

	(void)req;
	(void)err;
	json_object_set_new(details, "path", json_string(p->path));
	json_object_set_new(details, "reason",
			    json_string("download link expired"));
	return 0;
}

/* Deletes the packages serve wrote whose links have expired; each
 * deletion is an audit entry. A file is only ever deleted at the path
 * serve gives its own packages. */
static void purge(px_serve *s, int64_t now)
{
	px_error err = PX_ERROR_INIT;
	json_t *all = NULL, *req;
	size_t i;

	pthread_mutex_lock(&s->ledger_mu);
	if (px_ledger_list(s->ledger, &all, &err)) {
		pthread_mutex_unlock(&s->ledger_mu);
		px_serve_log_ledger_error(&err);
		return;
	}
	json_array_foreach (all, i, req) {
		long id = (long)json_integer_value(json_object_get(req, "id"));
		const char *path = str(req, "package_path");
		int64_t until = px_serve_package_expiry(s, req);
		char *ours;
		struct purged p;

		if (!is_portal(req) || !path || until < 0 || now <= until)
			continue;
		ours = px_serve_package_path(s, id);
		if (ours && !strcmp(ours, path)) {
			p.path = path;
			/* Audited first: a deletion the trail does not show
			 * must not happen. */
			if (px_ledger_change(s->ledger, id, "package.purged",
					     PX_SERVE_ACTOR, purged_fn, &p,
					     NULL, &err))
				px_serve_log_ledger_error(&err);
			else if (unlink(path) && errno != ENOENT)
				px_log_event("error", "purge", NULL);
			else {
				json_t *f =
				    json_pack("{s:I}", "id", (json_int_t)id);
				px_log_event("info", "package.purged", f);
				json_decref(f);
			}
		}
		free(ours);
	}
	pthread_mutex_unlock(&s->ledger_mu);
	json_decref(all);
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&t, &t) && errno == EINTR)
		if (px_interrupted())
			break;
}

static void wait_for_signal(px_serve *s)
{
	int64_t next_purge = (int64_t)time(NULL);
	int64_t next_sweep = next_purge + SWEEP_SECONDS;
	int64_t next_outbox = next_purge;

	while (!px_interrupted()) {
		int64_t now = (int64_t)time(NULL);

		if (now >= next_purge) {
			purge(s, now);
			next_purge = now + s->sc.purge_seconds;
		}
		if (now >= next_sweep) {
			sweep(s);
			next_sweep = now + SWEEP_SECONDS;
		}
		if (now >= next_outbox) {
			px_serve_outbox_scan(s);
			next_outbox = now + OUTBOX_SECONDS;
		}
		sleep_ms(TICK_MS);
	}
}

static void drain(px_serve *s, struct MHD_Daemon *d)
{
	long waited = 0, limit = s->sc.timeout_seconds < DRAIN_SECONDS
				     ? s->sc.timeout_seconds
				     : DRAIN_SECONDS;
	json_t *f;

	s->draining = 1;
	px_http_quiesce(d);
	f = json_pack("{s:i}", "connections", (int)px_http_connections(d));
	px_log_event("info", "stopping", f);
	json_decref(f);
	while (px_http_connections(d) && waited < limit * 1000) {
		/* The flag stays raised: sleep without its help. */
		struct timespec t = {0, TICK_MS * 1000000L};
		nanosleep(&t, NULL);
		waited += TICK_MS;
	}
	MHD_stop_daemon(d);
}

/* Before this process exports anything: packages left pending by a
 * killed export (a worker's or serve's, on this host) are settled from
 * what is on disk, and said. */
static int reconcile(px_serve *s, px_error *err)
{
	json_t *done = NULL, *d;
	size_t i;

	if (px_ledger_reconcile(s->ledger, PX_SERVE_ACTOR, &done, err))
		return -1;
	json_array_foreach (done, i, d) {
		json_t *f =
		    json_pack("{s:O, s:O}", "id", json_object_get(d, "id"),
			      "outcome", json_object_get(d, "action"));
		px_log_event("warning", "export.settled", f);
		json_decref(f);
	}
	json_decref(done);
	return 0;
}

static void ledger_retry(void *ctx, const px_job *j, int n, long ms,
			 const px_error *e)
{
	json_t *f =
	    json_pack("{s:I, s:I, s:s}", "id", (json_int_t)j->request_id, "job",
		      (json_int_t)j->id, "error", e->msg);

	(void)ctx;
	if (n) {
		json_object_set_new(f, "try", json_integer(n + 1));
		json_object_set_new(f, "in_ms", json_integer(ms));
	}
	px_log_event(n ? "warning" : "error",
		     n ? "ledger.retry" : "ledger.unrecorded", f);
	json_decref(f);
}

/* Serve's jobs write no index.ndjson (its lines hold identity keys); one
 * an earlier portex left in the package folder is pointed out. No route
 * serves it either way. */
static void old_index(const px_serve *s)
{
	char *path = px_path_join(s->sc.out_dir, "index.ndjson");
	struct stat st;

	if (path && !stat(path, &st)) {
		json_t *f = json_pack("{s:s, s:s}", "path", path, "advice",
				      "written by an earlier portex; it holds "
				      "identity keys and is not used: delete "
				      "it");
		px_log_event("warning", "out_dir.index", f);
		json_decref(f);
	}
	free(path);
}

static int start(px_serve *s, const px_config *cfg, const char *listen,
		 px_error *err)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	pthread_mutex_init(&s->ledger_mu, NULL);
	pthread_mutex_init(&s->resolve_mu, NULL);
	if (px_serve_config_load(cfg, listen, &s->sc, err))
		return -1;
	if (mkdir(s->sc.out_dir, 0700) && errno != EEXIST)
		return px_error_set(err, PX_EXIT_CANTCREAT,
				    "cannot create %s: %s", s->sc.out_dir,
				    strerror(errno));
	if (!(s->ledger = px_ledger_open_config(cfg, NULL, err)) ||
	    reconcile(s, err))
		return -1;
	old_index(s);
	if (!(s->metrics = px_metrics_new()))
		return px_error_oom(err);
	if (s->sc.webhook_url &&
	    !(s->webhook = px_webhook_start(
		  s->sc.webhook_url, s->sc.webhook_secret,
		  s->sc.webhook_attempts, px_serve_webhook_done, s)))
		return px_error_set(err, PX_EXIT_OSERR,
				    "cannot start the webhook thread");
	{
		px_export_opts eo = {.config = cfg,
				     .scope = PX_SCOPE_PORTABILITY};
		/* Each worker opens its own connection to the config's
		 * ledger; a signing key that does not load fails here. */
		static const char *const own[] = {PX_SERVE_BATCH};
		/* Only serve's own jobs: a bulk batch in the same ledger is
		 * for `portex worker` processes. */
		px_pool_opts po = {.export = &eo,
				   .jobs = (int)s->sc.workers,
				   .ledger_uri = "",
				   .batches = own,
				   .n_batches = 1,
				   .on_done = px_serve_job_done,
				   .on_ledger_retry = ledger_retry,
				   .on_done_ctx = s};

		if (!(s->resolver = px_exporter_new(&eo, err)))
			return -1;
		/* workers 0: `portex worker` processes export, serve only
		 * queues. */
		if (!s->sc.workers)
			return 0;
		s->pool = px_pool_start(&po, err);
	}
	return s->pool ? 0 : -1;
}

/* Waits for the workers: an export that SIGTERM stopped released its job
 * (nothing written); the next start, or a `portex worker`, takes it. */
static void stop_pool(px_serve *s)
{
	px_error err = PX_ERROR_INIT;

	if (!s->pool)
		return;
	px_pool_stop(s->pool);
	if (px_pool_wait(s->pool, NULL, &err))
		px_serve_log_ledger_error(&err);
	s->pool = NULL;
}

static void finish(px_serve *s)
{
	stop_pool(s);
	px_exporter_free(s->resolver);
	px_webhook_stop(s->webhook);
	px_metrics_free(s->metrics);
	px_ledger_close(s->ledger);
	if (s->tls_key_pem)
		OPENSSL_cleanse(s->tls_key_pem, strlen(s->tls_key_pem));
	free(s->tls_key_pem);
	free(s->tls_cert_pem);
	px_serve_config_clear(&s->sc);
	pthread_mutex_destroy(&s->ledger_mu);
	pthread_mutex_destroy(&s->resolve_mu);
}

static void log_listening(const px_serve *s)
{
	char url[200];
	json_t *f;

	snprintf(url, sizeof(url), "%s://%s", s->sc.tls_cert ? "https" : "http",
		 s->sc.listen);
	f = json_pack("{s:s, s:s, s:I, s:I}", "url", url, "public_url",
		      s->sc.public_url, "workers", (json_int_t)s->sc.workers,
		      "queue", (json_int_t)s->sc.queue);
	px_log_event("info", "listening", f);
	json_decref(f);
}

int px_serve_run(const px_config *cfg, const char *listen, px_error *err)
{
	px_serve s;
	struct MHD_Daemon *d = NULL;
	int rc = -1;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	px_interrupt_install();
	if (start(&s, cfg, listen, err))
		goto out;
	sweep(&s);
	if (!(d = px_http_start(&s, err)))
		goto out;
	log_listening(&s);
	wait_for_signal(&s);
	drain(&s, d);
	rc = 0;
out:
	finish(&s);
	curl_global_cleanup();
	if (!rc)
		px_log_event("info", "stopped", NULL);
	return rc;
}
