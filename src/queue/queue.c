/*
 * queue.c - the job queue in the ledger (queue.h). Rows of px_jobs; every
 * change is one transaction. On PostgreSQL a claim locks the row it takes
 * (FOR UPDATE SKIP LOCKED) and nothing else, so many workers claim at
 * once; a finish takes the ledger's write lock because it appends to the
 * audit chain. On SQLite every write holds the file's write lock.
 */
#include "queue/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/ledger_backend.h"
#include "timefmt.h"

#define BACKOFF_CAP 300

static const char *const state_names[] = {"queued", "running", "done", "failed",
					  "dead"};

/* The columns a claim reads, in struct px_job order. */
#define JOB_COLS                                                               \
	"id, batch, subject, package, scope, retrievable_until, request_id, "  \
	"attempts, max_attempts, last_error, state"

const char *px_job_state_name(px_job_state s)
{
	return (unsigned)s < 5 ? state_names[s] : "?";
}

static px_job_state state_parse(const char *s)
{
	for (int i = 0; i < 5; i++)
		if (s && !strcmp(s, state_names[i]))
			return (px_job_state)i;
	return PX_JOB_FAILED;
}

int64_t px_queue_now(void)
{
	const char *fake = getenv("PORTEX_QUEUE_NOW");

	return fake && *fake ? strtoll(fake, NULL, 10) : (int64_t)time(NULL);
}

int px_queue_transient(int code)
{
	return code == PX_EXIT_UNAVAILABLE || code == PX_EXIT_IOERR ||
	       code == PX_EXIT_SOFTWARE || code == 75 /* EX_TEMPFAIL */;
}

int px_queue_backoff(int attempts)
{
	int s = 1;

	for (int i = 0; i < attempts && s < BACKOFF_CAP; i++)
		s *= 2;
	return s < BACKOFF_CAP ? s : BACKOFF_CAP;
}

static int is_pg(const px_ledger *l)
{
	return !strcmp(l->be->kind, "PostgreSQL");
}

static const char *cell(const json_t *row, size_t i)
{
	return json_string_value(json_array_get(row, i));
}

void px_job_free(px_job *j)
{
	if (!j)
		return;
	free(j->batch);
	json_decref(j->subject);
	free(j->package);
	free(j->scope);
	free(j->retrievable_until);
	free(j->last_error);
	free(j);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static px_job *job_from_row(px_ledger *l, const json_t *row, px_error *err)
{
	px_job *j = calloc(1, sizeof(*j));

	if (!j) {
		px_error_oom(err);
		return NULL;
	}
	j->id = atol(cell(row, 0));
	j->batch = strdup(cell(row, 1) ? cell(row, 1) : "");
	j->subject = json_loads(cell(row, 2) ? cell(row, 2) : "", 0, NULL);
	j->package = dup_or_null(cell(row, 3));
	j->scope = dup_or_null(cell(row, 4));
	j->retrievable_until = dup_or_null(cell(row, 5));
	j->request_id = cell(row, 6) ? atol(cell(row, 6)) : 0;
	j->attempts = atoi(cell(row, 7));
	j->max_attempts = atoi(cell(row, 8));
	j->last_error = dup_or_null(cell(row, 9));
	j->state = state_parse(cell(row, 10));
	if (!j->subject) {
		px_error_set(err, PX_EXIT_DATA,
			     "%s: job %ld: column subject is not JSON",
			     px_ledger_name(l), j->id);
		px_job_free(j);
		return NULL;
	}
	if (!j->batch || !j->package || !j->scope) {
		px_job_free(j);
		px_error_oom(err);
		return NULL;
	}
	return j;
}

static void rfc3339_now(char *buf, size_t n)
{
	px_rfc3339_from_epoch((int64_t)time(NULL), 0, buf, n);
}

/* The ledger request a job answers: made ready at once, since a bulk
 * export is the controller's own initiative about a known account. */
static int verified(void *ctx, json_t *req, json_t *details, px_error *err)
{
	(void)ctx;
	return px_request_apply(req, "identity-verified", NULL, px_today(),
				details, err);
}

static int add_request(px_ledger *l, const px_job_spec *s, long *id,
		       px_error *err)
{
	char today[11];
	json_t *req, *stored = NULL;
	const char *actor = s->actor ? s->actor : "portex";
	int rc;

	px_date_format(px_today(), today);
	req = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:s}", "type",
			s->scope ? s->scope : "portability", "subject",
			s->subject, "requester", actor, "relation", "self",
			"channel", "web", "received", today, "calendar",
			s->calendar ? s->calendar : "FR");
	if (!req)
		return px_error_oom(err);
	rc = px_request_check(req, px_today(), err) ||
	     px_ledger_add(l, req, actor, &stored, err);
	json_decref(req);
	if (rc)
		return -1;
	*id = (long)json_integer_value(json_object_get(stored, "id"));
	json_decref(stored);
	return px_ledger_change(l, *id, "request.identity", actor, verified,
				NULL, NULL, err);
}

int px_queue_enqueue(px_ledger *l, const px_job_spec *s, long *job_id,
		     int *created, px_error *err)
{
	json_t *rows = NULL;
	char *subject = json_dumps(s->subject, JSON_COMPACT | JSON_SORT_KEYS);
	char id[24], req[24], att[16], now[48], after[24];
	long n, request_id = 0;

	if (created)
		*created = 0;
	if (!subject)
		return px_error_oom(err);
	if (px_ledger_begin(l, 1, err)) {
		free(subject);
		return -1;
	}
	{
		const char *p[] = {s->package};
		if (px_ledger_query(l,
				    "SELECT id FROM px_jobs WHERE package = $1",
				    1, p, &rows, err))
			goto fail;
	}
	if (json_array_size(rows)) {
		if (job_id)
			*job_id = atol(cell(json_array_get(rows, 0), 0));
		json_decref(rows);
		free(subject);
		px_ledger_rollback(l);
		return 0;
	}
	json_decref(rows);
	rows = NULL;
	if (px_ledger_query(l, "SELECT coalesce(max(id), 0) + 1 FROM px_jobs",
			    0, NULL, &rows, err))
		goto fail;
	n = atol(cell(json_array_get(rows, 0), 0));
	if (s->request_id)
		request_id = s->request_id;
	else if (s->with_request && add_request(l, s, &request_id, err))
		goto fail;
	snprintf(id, sizeof(id), "%ld", n);
	snprintf(req, sizeof(req), "%ld", request_id);
	snprintf(att, sizeof(att), "%d",
		 s->max_attempts > 0 ? s->max_attempts : PX_QUEUE_MAX_ATTEMPTS);
	snprintf(after, sizeof(after), "%lld", (long long)px_queue_now());
	rfc3339_now(now, sizeof(now));
	{
		const char *p[] = {id,
				   s->batch ? s->batch : "",
				   s->package,
				   subject,
				   s->scope ? s->scope : "portability",
				   s->retrievable_until,
				   request_id ? req : NULL,
				   att,
				   after,
				   now};
		if (px_ledger_query(
			l,
			"INSERT INTO px_jobs (id, batch, package, subject, "
			"scope, retrievable_until, request_id, state, "
			"attempts, max_attempts, run_after, created_at, "
			"updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
			"'queued', 0, $8, $9, $10, $10)",
			10, p, NULL, err))
			goto fail;
	}
	if (px_ledger_commit(l, err))
		goto fail_out;
	json_decref(rows);
	free(subject);
	if (job_id)
		*job_id = n;
	if (created)
		*created = 1;
	return 0;
fail:
	px_ledger_rollback(l);
fail_out:
	json_decref(rows);
	free(subject);
	return px_error_prefix(err, "enqueueing %s", s->package);
}

int px_queue_claim(px_ledger *l, const char *owner, int lease_s, int64_t now,
		   px_job **out, px_error *err)
{
	return px_queue_claim_in(l, owner, lease_s, now, NULL, 0, out, err);
}

int px_queue_claim_in(px_ledger *l, const char *owner, int lease_s, int64_t now,
		      const char *const *batches, size_t n, px_job **out,
		      px_error *err)
{
	char t[24], until[24], stamp[48], sql[1024];
	const char *p[1 + PX_QUEUE_MAX_BATCHES];
	size_t len;
	json_t *rows = NULL;
	px_job *j;
	int pg = is_pg(l);

	*out = NULL;
	if (n > PX_QUEUE_MAX_BATCHES)
		return px_error_set(err, PX_EXIT_USAGE,
				    "more than %d batches to claim from",
				    PX_QUEUE_MAX_BATCHES);
	len = (size_t)snprintf(sql, sizeof(sql),
			       "SELECT " JOB_COLS " FROM px_jobs WHERE "
			       "((state = 'queued' AND run_after <= $1) OR "
			       "(state = 'running' AND lease_until < $1))");
	p[0] = t;
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s$%zu",
					i ? ", " : " AND batch IN (", i + 2);
		p[i + 1] = batches[i];
	}
	snprintf(sql + len, sizeof(sql) - len, "%s ORDER BY id LIMIT 1%s",
		 n ? ")" : "", pg ? " FOR UPDATE SKIP LOCKED" : "");
	snprintf(t, sizeof(t), "%lld", (long long)now);
	snprintf(until, sizeof(until), "%lld", (long long)(now + lease_s));
	rfc3339_now(stamp, sizeof(stamp));
	/* PostgreSQL: a plain transaction, the row lock is enough. SQLite:
	 * the write lock first, so the read and the update are one step. */
	if (px_ledger_begin(l, !pg, err))
		return -1;
	if (px_ledger_query(l, sql, (int)n + 1, p, &rows, err))
		goto fail;
	if (!json_array_size(rows)) {
		json_decref(rows);
		px_ledger_rollback(l);
		return 0;
	}
	if (!(j = job_from_row(l, json_array_get(rows, 0), err)))
		goto fail;
	json_decref(rows);
	rows = NULL;
	{
		char id[24];
		const char *u[] = {id, owner, until, stamp};

		snprintf(id, sizeof(id), "%ld", j->id);
		if (px_ledger_query(
			l,
			"UPDATE px_jobs SET state = 'running', attempts = "
			"attempts + 1, lease_owner = $2, lease_until = $3, "
			"updated_at = $4 WHERE id = $1",
			4, u, NULL, err) ||
		    px_ledger_commit(l, err)) {
			px_job_free(j);
			goto fail;
		}
	}
	j->attempts++;
	j->state = PX_JOB_RUNNING;
	*out = j;
	return 1;
fail:
	json_decref(rows);
	px_ledger_rollback(l);
	return px_error_prefix(err, "claiming a job");
}

int px_queue_renew(px_ledger *l, const char *owner, int lease_s, int64_t now,
		   int *renewed, px_error *err)
{
	char until[24];
	const char *p[] = {owner, until};
	json_t *rows = NULL;

	snprintf(until, sizeof(until), "%lld", (long long)(now + lease_s));
	if (px_ledger_query(l,
			    "UPDATE px_jobs SET lease_until = $2 WHERE state = "
			    "'running' AND lease_owner = $1 RETURNING id",
			    2, p, &rows, err))
		return px_error_prefix(err, "renewing leases");
	if (renewed)
		*renewed = (int)json_array_size(rows);
	json_decref(rows);
	return 0;
}

/* Moves the job from running under owner to `state`. Returns 1 when the
 * lease is not owner's any more. Runs inside the caller's transaction. */
static int settle(px_ledger *l, const px_job *j, const char *owner,
		  const char *state, const char *run_after, int uncount,
		  int code, const char *message, const char *result,
		  px_error *err)
{
	char id[24], c[16], stamp[48];
	json_t *rows = NULL;
	int rc;

	snprintf(id, sizeof(id), "%ld", j->id);
	snprintf(c, sizeof(c), "%d", code);
	rfc3339_now(stamp, sizeof(stamp));
	{
		const char *p[] = {
		    id,	     owner,  state, run_after, code ? c : NULL,
		    message, result, stamp};
		rc = px_ledger_query(
		    l,
		    uncount
			? "UPDATE px_jobs SET state = $3, run_after = "
			  "coalesce($4, run_after), attempts = attempts - 1, "
			  "lease_owner = NULL, lease_until = NULL, "
			  "last_code = coalesce($5, last_code), last_error = "
			  "coalesce($6, last_error), result = coalesce($7, "
			  "result), updated_at = $8 WHERE id = $1 AND "
			  "lease_owner = $2 AND state = 'running' RETURNING id"
			: "UPDATE px_jobs SET state = $3, run_after = "
			  "coalesce($4, run_after), lease_owner = NULL, "
			  "lease_until = NULL, last_code = coalesce($5, "
			  "last_code), last_error = coalesce($6, last_error), "
			  "result = coalesce($7, result), updated_at = $8 "
			  "WHERE id = $1 AND lease_owner = $2 AND state = "
			  "'running' RETURNING id",
		    8, p, &rows, err);
	}
	if (rc)
		return -1;
	rc = json_array_size(rows) ? 0 : 1;
	json_decref(rows);
	return rc;
}

static int mark_exported(void *ctx, json_t *req, json_t *details, px_error *err)
{
	const json_t *args = ctx;

	return px_request_apply(req, "exported", args, px_today(), details,
				err);
}

/* 1 when j's request is exported with this very package (recorded by
 * px_ledger_reconcile() for a run killed after publishing it), 0 when
 * not, -1. */
static int recorded_already(px_ledger *l, const px_job *j, const char *sha,
			    px_error *err)
{
	json_t *req = NULL;
	const char *st, *path, *digest;
	int rc;

	if (px_ledger_get(l, j->request_id, &req, err))
		return -1;
	st = json_string_value(json_object_get(req, "status"));
	path = json_string_value(json_object_get(req, "package_path"));
	digest = json_string_value(json_object_get(req, "package_sha256"));
	rc = st && !strcmp(st, "exported") && path &&
	     !strcmp(path, j->package) && digest && !strcmp(digest, sha) &&
	     !json_object_get(req, "package_pending");
	json_decref(req);
	return rc;
}

int px_queue_finish(px_ledger *l, const px_job *j, const char *owner,
		    const px_job_outcome *o, px_error *err)
{
	json_t *result =
	    json_pack("{s:s, s:I, s:I, s:O?, s:b}", "sha256", o->sha256, "size",
		      (json_int_t)o->size, "records", (json_int_t)o->records,
		      "entities", o->entities, "adopted", o->adopted);
	char *text =
	    result ? json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc;

	json_decref(result);
	if (!text)
		return px_error_oom(err);
	if (px_ledger_begin(l, 1, err)) {
		free(text);
		return -1;
	}
	rc = settle(l, j, owner, "done", NULL, 0, 0, NULL, text, err);
	free(text);
	if (rc == 0 && j->request_id &&
	    (rc = recorded_already(l, j, o->sha256, err)) == 1)
		rc = 0; /* px_ledger_reconcile() recorded it after a kill */
	else if (rc == 0 && j->request_id) {
		json_t *args = json_pack("{s:s, s:s}", "path", j->package,
					 "sha256", o->sha256);
		rc = args ? px_ledger_change(l, j->request_id,
					     "request.exported", owner,
					     mark_exported, args, NULL, err)
			  : px_error_oom(err);
		json_decref(args);
	}
	if (rc) {
		px_ledger_rollback(l);
		return rc < 0 ? px_error_prefix(err, "finishing job %ld", j->id)
			      : 1;
	}
	return px_ledger_commit(l, err);
}

int px_queue_fail(px_ledger *l, const px_job *j, const char *owner, int code,
		  const char *message, int64_t now, px_job_state *final,
		  px_error *err)
{
	px_job_state st;
	char after[24];
	int rc;

	if (!px_queue_transient(code))
		st = PX_JOB_FAILED;
	else if (j->attempts >= j->max_attempts)
		st = PX_JOB_DEAD;
	else
		st = PX_JOB_QUEUED;
	snprintf(after, sizeof(after), "%lld",
		 (long long)(now + px_queue_backoff(j->attempts)));
	if (px_ledger_begin(l, !is_pg(l), err))
		return -1;
	rc = settle(l, j, owner, px_job_state_name(st),
		    st == PX_JOB_QUEUED ? after : NULL, 0, code ? code : 70,
		    message ? message : "", NULL, err);
	if (rc) {
		px_ledger_rollback(l);
		return rc < 0 ? px_error_prefix(err, "job %ld", j->id) : 1;
	}
	if (px_ledger_commit(l, err))
		return -1;
	if (final)
		*final = st;
	return 0;
}

int px_queue_release(px_ledger *l, const px_job *j, const char *owner,
		     px_error *err)
{
	char now[24];
	int rc;

	snprintf(now, sizeof(now), "%lld", (long long)px_queue_now());
	if (px_ledger_begin(l, !is_pg(l), err))
		return -1;
	rc = settle(l, j, owner, "queued", now, 1, 0, NULL, NULL, err);
	if (rc) {
		px_ledger_rollback(l);
		return rc < 0 ? -1 : 1;
	}
	return px_ledger_commit(l, err);
}

int px_queue_get_by_request(px_ledger *l, long request_id, px_job **out,
			    px_error *err)
{
	char id[24];
	const char *p[] = {id};
	json_t *rows = NULL, *row;

	*out = NULL;
	snprintf(id, sizeof(id), "%ld", request_id);
	if (px_ledger_query(l,
			    "SELECT " JOB_COLS ", last_code FROM px_jobs WHERE "
			    "request_id = $1 ORDER BY id DESC LIMIT 1",
			    1, p, &rows, err))
		return px_error_prefix(err, "the job of request %ld",
				       request_id);
	row = json_array_get(rows, 0);
	if (row && (*out = job_from_row(l, row, err)))
		(*out)->last_code = cell(row, 11) ? atoi(cell(row, 11)) : 0;
	json_decref(rows);
	return !row ? 0 : *out ? 1 : -1;
}

int px_queue_counts(px_ledger *l, const char *batch, json_t **out,
		    px_error *err)
{
	json_t *rows = NULL, *row, *c = json_object();
	const char *p[] = {batch};
	size_t i;

	if (!c)
		return px_error_oom(err);
	for (int s = 0; s < 5; s++)
		json_object_set_new(c, state_names[s], json_integer(0));
	if (px_ledger_query(l,
			    batch ? "SELECT state, count(*) FROM px_jobs WHERE "
				    "batch = $1 GROUP BY state"
				  : "SELECT state, count(*) FROM px_jobs GROUP "
				    "BY state",
			    batch ? 1 : 0, p, &rows, err)) {
		json_decref(c);
		return -1;
	}
	json_array_foreach (rows, i, row)
		json_object_set_new(c, cell(row, 0),
				    json_integer(atol(cell(row, 1))));
	json_decref(rows);
	*out = c;
	return 0;
}

int px_queue_list(px_ledger *l, const char *batch, json_t **out, px_error *err)
{
	json_t *rows = NULL, *row, *list = json_array();
	const char *p[] = {batch};
	size_t i;

	if (!list)
		return px_error_oom(err);
	if (px_ledger_query(
		l,
		batch ? "SELECT " JOB_COLS ", result FROM px_jobs WHERE "
			"batch = $1 ORDER BY id"
		      : "SELECT " JOB_COLS ", result FROM px_jobs ORDER BY id",
		batch ? 1 : 0, p, &rows, err)) {
		json_decref(list);
		return -1;
	}
	json_array_foreach (rows, i, row) {
		json_t *subject =
		    json_loads(cell(row, 2) ? cell(row, 2) : "", 0, NULL);
		json_t *result =
		    cell(row, 11) ? json_loads(cell(row, 11), 0, NULL) : NULL;
		json_t *o = json_pack(
		    "{s:I, s:s, s:o?, s:s, s:s, s:s?, s:I, s:i, s:i, s:s?, "
		    "s:s, s:o?}",
		    "id", (json_int_t)atol(cell(row, 0)), "batch", cell(row, 1),
		    "subject", subject, "package", cell(row, 3), "scope",
		    cell(row, 4), "retrievable_until", cell(row, 5), "request",
		    (json_int_t)(cell(row, 6) ? atol(cell(row, 6)) : 0),
		    "attempts", atoi(cell(row, 7)), "max_attempts",
		    atoi(cell(row, 8)), "last_error", cell(row, 9), "state",
		    cell(row, 10), "result", result);

		if (!o || json_array_append_new(list, o)) {
			json_decref(rows);
			json_decref(list);
			return px_error_oom(err);
		}
	}
	json_decref(rows);
	*out = list;
	return 0;
}
