/*
 * audit.c - the tamper-evident audit trail. Entry n stores
 *   hash_n = SHA-256(canonical(seq, prev_hash = hash_{n-1}, at, actor,
 *                              action, request, details))
 * so editing, removing or reordering any entry breaks every hash after it.
 * The newest (seq, hash) is also kept in px_audit_head: removing the last
 * entries is seen too. Each entry's details carry the request's state
 * after the change, so a request row edited by hand is seen as well.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/ledger_backend.h"
#include "timefmt.h"

#define GENESIS PX_AUDIT_GENESIS

enum { A_SEQ, A_AT, A_ACTOR, A_ACTION, A_REQUEST, A_DETAILS, A_PREV, A_HASH };
/* The entries' columns, in the order of the A_ indexes above. */
#define SELECT_ENTRIES                                                         \
	"SELECT seq, at, actor, action, request_id, details, prev_hash, "      \
	"hash FROM px_audit "

/* The canonical serialisation: a fixed tag, then each field as
 * "name=<byte length>:<bytes>\n", so no choice of values can make two
 * different entries serialise alike. */
static int entry_hash(long seq, const char *prev, const char *at,
		      const char *actor, const char *action,
		      const char *request, const char *details, char *hex)
{
	const char *names[] = {"prev",	 "at",	    "actor",
			       "action", "request", "details"};
	const char *vals[] = {prev,   at, actor, action, request ? request : "",
			      details};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char head[64];
	int ok;

	if (!ctx)
		return -1;
	snprintf(head, sizeof(head), "portex-audit-1\nseq=%ld\n", seq);
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, head, strlen(head));
	for (int i = 0; ok && i < 6; i++) {
		char len[64];

		snprintf(len, sizeof(len), "%s=%zu:", names[i],
			 strlen(vals[i]));
		ok = EVP_DigestUpdate(ctx, len, strlen(len)) &&
		     EVP_DigestUpdate(ctx, vals[i], strlen(vals[i])) &&
		     EVP_DigestUpdate(ctx, "\n", 1);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; ok && i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return ok ? 0 : -1;
}

static const char *cell(const json_t *row, int i)
{
	return json_string_value(json_array_get(row, (size_t)i));
}

int px_audit_append(px_ledger *l, const char *actor, const char *action,
		    long request_id, const json_t *details, px_error *err)
{
	json_t *rows = NULL;
	const char *prev = GENESIS;
	char seq[24], req[24], at[48], hash[65];
	char *text = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
	long n = 0;
	int rc = -1;

	if (!text)
		return px_error_oom(err);
	if (px_ledger_query(l, "SELECT seq, hash FROM px_audit_head", 0, NULL,
			    &rows, err))
		goto out;
	if (json_array_size(rows)) {
		n = atol(cell(json_array_get(rows, 0), 0));
		prev = cell(json_array_get(rows, 0), 1);
	}
	snprintf(seq, sizeof(seq), "%ld", n + 1);
	snprintf(req, sizeof(req), "%ld", request_id);
	px_rfc3339_from_epoch((int64_t)time(NULL), 0, at, sizeof(at));
	if (entry_hash(n + 1, prev, at, actor, action, request_id ? req : NULL,
		       text, hash)) {
		px_error_set(err, PX_EXIT_SOFTWARE, "SHA-256 failed");
		goto out;
	}
	{
		const char *p[] = {
		    seq,  at,	actor, action, request_id ? req : NULL,
		    text, prev, hash};
		const char *h[] = {seq, hash};

		if (px_ledger_query(l,
				    "INSERT INTO px_audit (seq, at, actor, "
				    "action, request_id, details, prev_hash, "
				    "hash) VALUES ($1, $2, $3, $4, $5, $6, $7, "
				    "$8)",
				    8, p, NULL, err) ||
		    px_ledger_query(l, "DELETE FROM px_audit_head", 0, NULL,
				    NULL, err) ||
		    px_ledger_query(l,
				    "INSERT INTO px_audit_head (seq, hash) "
				    "VALUES ($1, $2)",
				    2, h, NULL, err))
			goto out;
	}
	rc = 0;
out:
	json_decref(rows);
	free(text);
	return rc;
}

int px_audit_verdict(px_audit_result *res, long seq, const char *problem,
		     const char *fmt, ...)
{
	va_list ap;

	res->valid = 0;
	res->bad_seq = seq;
	res->problem = problem;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return 0;
}

static int row_hash(const json_t *row, long seq, char *hex)
{
	return entry_hash(seq, cell(row, A_PREV), cell(row, A_AT),
			  cell(row, A_ACTOR), cell(row, A_ACTION),
			  cell(row, A_REQUEST), cell(row, A_DETAILS), hex);
}

/* Checks the chain itself; fills res on the first fault. */
static void check_chain(const json_t *rows, const json_t *head,
			px_audit_result *res)
{
	const char *prev = GENESIS;
	long expect = 1, n = (long)json_array_size(rows);
	size_t i;
	json_t *row;
	char hex[65];

	json_array_foreach (rows, i, row) {
		long seq = atol(cell(row, A_SEQ) ? cell(row, A_SEQ) : "0");

		for (int c = A_SEQ; c <= A_HASH; c++)
			if (c != A_REQUEST && !cell(row, c)) {
				px_audit_verdict(
				    res, seq, "edited",
				    "entry %ld was edited: a field was "
				    "emptied",
				    seq);
				return;
			}
		if (row_hash(row, seq, hex) || strcmp(hex, cell(row, A_HASH))) {
			/* Its hash holds where it was: find that place. */
			for (long k = 1; k <= n + expect + 1; k++)
				if (k != seq && !row_hash(row, k, hex) &&
				    !strcmp(hex, cell(row, A_HASH))) {
					px_audit_verdict(
					    res, seq, "reordered",
					    "entry %ld was moved to position "
					    "%ld: the audit trail was "
					    "reordered",
					    k, seq);
					return;
				}
			px_audit_verdict(
			    res, seq, "edited",
			    "entry %ld (%s, request %s) was edited: its "
			    "content no longer matches its hash",
			    seq, cell(row, A_ACTION),
			    cell(row, A_REQUEST) ? cell(row, A_REQUEST) : "-");
			return;
		}
		if (seq != expect) {
			if (seq == expect + 1)
				px_audit_verdict(
				    res, expect, "removed",
				    "entry %ld was removed (the trail "
				    "goes from %ld to %ld)",
				    expect, expect - 1, seq);
			else
				px_audit_verdict(
				    res, expect, "removed",
				    "entries %ld to %ld were removed "
				    "(the trail goes from %ld to %ld)",
				    expect, seq - 1, expect - 1, seq);
			return;
		}
		if (strcmp(cell(row, A_PREV), prev)) {
			px_audit_verdict(
			    res, seq, "inserted",
			    "entry %ld does not follow entry %ld: its "
			    "previous hash does not match (an entry was "
			    "inserted or replaced)",
			    seq, seq - 1);
			return;
		}
		prev = cell(row, A_HASH);
		expect++;
	}
	if (!json_array_size(head)) {
		if (n)
			px_audit_verdict(
			    res, n, "edited",
			    "the audit trail's head record was deleted");
		return;
	}
	row = json_array_get(head, 0);
	if (atol(cell(row, 0)) > n)
		px_audit_verdict(
		    res, n + 1, "removed",
		    atol(cell(row, 0)) == n + 1
			? "entry %ld, the last one, was removed"
			: "entries from %ld on, the last ones, were "
			  "removed",
		    n + 1);
	else if (atol(cell(row, 0)) != n || strcmp(cell(row, 1), prev))
		px_audit_verdict(
		    res, n, "edited",
		    "the audit trail's head record does not match entry "
		    "%ld",
		    n);
}

/* Compares each request with the state its last audit entry recorded. */
static int check_requests(px_ledger *l, const json_t *rows,
			  px_audit_result *res, px_error *err)
{
	json_t *reqs = NULL, *last = json_object(), *row, *req;
	const char *key;
	size_t i;

	if (!last)
		return px_error_oom(err);
	json_array_foreach (rows, i, row) {
		if (cell(row, A_REQUEST))
			json_object_set(last, cell(row, A_REQUEST), row);
	}
	if (px_ledger_list(l, &reqs, err)) {
		json_decref(last);
		return -1;
	}
	json_array_foreach (reqs, i, req) {
		char id[24];
		json_t *entry, *details, *state;

		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(req, "id")));
		entry = json_object_get(last, id);
		if (!entry) {
			px_audit_verdict(
			    res, 0, "request-edited",
			    "request %s has no audit entry: it was added "
			    "by hand",
			    id);
			break;
		}
		details = json_loads(cell(entry, A_DETAILS), 0, NULL);
		state = json_object_get(details, "state");
		if (!state || !json_equal(state, req)) {
			const char *k;
			json_t *v, *was = NULL;

			json_object_foreach (req, k, v)
				if (!json_equal(v, json_object_get(state, k))) {
					was = v;
					break;
				}
			px_audit_verdict(
			    res, atol(cell(entry, A_SEQ)), "request-edited",
			    "request %s differs from its last audit entry "
			    "%s (field %s): it was edited by hand",
			    id, cell(entry, A_SEQ), was ? k : "?");
			json_decref(details);
			break;
		}
		json_decref(details);
		json_object_del(last, id);
	}
	/* Requests the trail knows but the table lost. */
	json_object_foreach (last, key, row) {
		json_t *details;

		if (!res->valid)
			break;
		details = json_loads(cell(row, A_DETAILS), 0, NULL);
		if (details && json_object_get(details, "state"))
			px_audit_verdict(
			    res, atol(cell(row, A_SEQ)), "request-edited",
			    "request %s was deleted by hand (last audit "
			    "entry %s)",
			    key, cell(row, A_SEQ));
		json_decref(details);
	}
	json_decref(reqs);
	json_decref(last);
	return 0;
}

int px_audit_rows(px_ledger *l, json_t **rows, px_error *err)
{
	return px_ledger_query(l, SELECT_ENTRIES "ORDER BY seq", 0, NULL, rows,
			       err);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

char *px_audit_rehash(const json_t *rows)
{
	size_t n = json_array_size(rows), i;
	char *hex = malloc(n ? n * 65 : 1);
	const char *prev = GENESIS;
	json_t *row;

	if (!hex)
		return NULL;
	json_array_foreach (rows, i, row) {
		if (entry_hash((long)i + 1, prev, or_empty(cell(row, A_AT)),
			       or_empty(cell(row, A_ACTOR)),
			       or_empty(cell(row, A_ACTION)),
			       cell(row, A_REQUEST),
			       or_empty(cell(row, A_DETAILS)), hex + 65 * i)) {
			free(hex);
			return NULL;
		}
		prev = hex + 65 * i;
	}
	return hex;
}

int px_audit_head(px_ledger *l, long *entries, char *head, px_error *err)
{
	json_t *rows = NULL;
	int rc;

	if (px_ledger_begin(l, 0, err))
		return -1;
	rc = px_ledger_query(l, "SELECT seq, hash FROM px_audit_head", 0, NULL,
			     &rows, err);
	px_ledger_rollback(l);
	if (rc)
		return -1;
	*entries = 0;
	snprintf(head, 65, "%s", GENESIS);
	if (json_array_size(rows)) {
		*entries = atol(cell(json_array_get(rows, 0), 0));
		snprintf(head, 65, "%s", cell(json_array_get(rows, 0), 1));
	}
	json_decref(rows);
	return 0;
}

json_t *px_audit_witness_new(px_ledger *l, px_error *err)
{
	char head[65];
	long entries;
	json_t *w;

	if (px_audit_head(l, &entries, head, err))
		return NULL;
	if (!(w = json_pack("{s:I, s:s}", "entries", (json_int_t)entries,
			    "head", head)))
		px_error_oom(err);
	return w;
}

int px_audit_verify(px_ledger *l, px_audit_result *res, px_error *err)
{
	return px_audit_verify_with(l, NULL, res, err);
}

int px_audit_verify_with(px_ledger *l, const px_audit_verify_opts *o,
			 px_audit_result *res, px_error *err)
{
	static const px_audit_verify_opts none = {0};
	json_t *rows = NULL, *head = NULL;
	px_audit_result cp;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->valid = 1;
	if (px_ledger_begin(l, 0, err))
		return -1;
	if (px_audit_rows(l, &rows, err) ||
	    px_ledger_query(l, "SELECT seq, hash FROM px_audit_head", 0, NULL,
			    &head, err))
		goto out;
	res->entries = (long)json_array_size(rows);
	check_chain(rows, head, res);
	/* What the checkpoints and witnesses say, the earlier entry wins. */
	if (px_checkpoints_check(l, rows, o ? o : &none, &cp, err))
		goto out;
	res->checkpoints = cp.checkpoints;
	res->authenticated = cp.authenticated;
	res->witnesses = cp.witnesses;
	if (!cp.valid && (res->valid || cp.bad_seq < res->bad_seq)) {
		res->valid = 0;
		res->bad_seq = cp.bad_seq;
		res->problem = cp.problem;
		memcpy(res->message, cp.message, sizeof(res->message));
	}
	if (res->valid && check_requests(l, rows, res, err))
		goto out;
	rc = 0;
out:
	px_ledger_rollback(l);
	json_decref(rows);
	json_decref(head);
	return rc;
}

int px_audit_list(px_ledger *l, long request_id, json_t **out, px_error *err)
{
	char id[24];
	const char *p = id;
	json_t *rows = NULL, *list, *row;
	size_t i;
	int rc;

	snprintf(id, sizeof(id), "%ld", request_id);
	if (px_ledger_begin(l, 0, err))
		return -1;
	rc = px_ledger_query(l,
			     request_id ? SELECT_ENTRIES
				 "WHERE request_id = $1 ORDER BY seq"
					: SELECT_ENTRIES "ORDER BY seq",
			     request_id ? 1 : 0, &p, &rows, err);
	px_ledger_rollback(l);
	if (rc)
		return -1;
	list = json_array();
	if (!list) {
		json_decref(rows);
		return px_error_oom(err);
	}
	json_array_foreach (rows, i, row) {
		const char *text = cell(row, A_DETAILS);
		json_t *details = text ? json_loads(text, 0, NULL) : NULL;
		json_t *e;

		/* Details edited into non-JSON still show, as a string. */
		if (!details)
			details = text ? json_string(text) : NULL;
		if (!details)
			details = json_null();
		e = json_pack("{s:I, s:s?, s:s?, s:s?, s:o, s:o, s:s?}", "seq",
			      (json_int_t)atol(cell(row, A_SEQ)), "at",
			      cell(row, A_AT), "actor", cell(row, A_ACTOR),
			      "action", cell(row, A_ACTION), "request",
			      cell(row, A_REQUEST)
				  ? json_integer(atol(cell(row, A_REQUEST)))
				  : json_null(),
			      "details", details, "hash", cell(row, A_HASH));

		if (!e || json_array_append_new(list, e)) {
			json_decref(rows);
			json_decref(list);
			return px_error_oom(err);
		}
	}
	json_decref(rows);
	*out = list;
	return 0;
}
