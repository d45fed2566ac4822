/*
 * checkpoint.c - signed checkpoints of the audit trail's head, and the
 * comparison of the trail with them and with witnesses (the heads
 * recorded in packages). The hash chain alone is unkeyed: whoever can
 * write the ledger can edit an entry and recompute every hash after it.
 * A checkpoint is signed by the export key, like a Certificate
 * Transparency signed tree head, and lists the hash of every entry since
 * the previous checkpoint, so a rewritten trail is named by its first
 * entry that differs. The signed text (px_checkpoints.statement):
 *
 *   portex-checkpoint/1
 *   entries N
 *   head <hash of entry N>
 *   from M
 *   <hash of entry M>
 *   ...
 *   <hash of entry N>
 *
 * signature is its detached CMS SignedData (DER, base64): `openssl cms
 * -verify -binary -inform DER -content statement.txt` checks it.
 */
#include <limits.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "ledger/ledger_backend.h"
#include "timefmt.h"

#define TAG "portex-checkpoint/1\n"

/* One head the trail must agree with. */
struct claim {
	long entries, from; /* from: first entry listed; 0: none */
	char head[65];
	const char *hashes; /* entries from..entries, "hex\n" each */
	char what[160];	    /* "checkpoint 2 (2026-...)" */
	int signed_by_us;   /* a checkpoint (else a witness) */
};

/* Reads a statement; 0 when it is exactly of the form above. */
static int parse_statement(const char *s, struct claim *c)
{
	int used = -1;
	size_t rest, count;

	if (strncmp(s, TAG, strlen(TAG)))
		return -1;
	s += strlen(TAG);
	if (sscanf(s, "entries %ld\nhead %64[0-9a-f]\nfrom %ld\n%n",
		   &c->entries, c->head, &c->from, &used) != 3 ||
	    used < 0 || strlen(c->head) != 64 || c->from < 1 ||
	    c->entries < c->from)
		return -1;
	s += used;
	rest = strlen(s);
	count = (size_t)(c->entries - c->from + 1);
	if (rest / 65 != count || rest % 65)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (!px_is_hex(s + 65 * i, 64) || s[65 * i + 64] != '\n')
			return -1;
	/* The head is the last hash listed. */
	if (strncmp(s + 65 * (count - 1), c->head, 64))
		return -1;
	c->hashes = s;
	return 0;
}

static void ossl_reason(char *why, size_t n)
{
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, why, n);
	else
		snprintf(why, n, "unknown reason");
	ERR_clear_error();
}

/* 0 when b64 is a valid detached signature of stmt (by pin when given);
 * else -1 with why. */
static int signature_ok(const char *stmt, const char *b64, X509 *pin, char *why,
			size_t n)
{
	size_t len = strlen(b64);
	unsigned char *der = malloc(len / 4 * 3 + 3);
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *signers = NULL;
	BIO *content = NULL;
	int dlen, ok = 0;

	if (!der) {
		snprintf(why, n, "out of memory");
		return -1;
	}
	dlen = len % 4
		   ? -1
		   : EVP_DecodeBlock(der, (const unsigned char *)b64, (int)len);
	if (dlen > 0)
		cms = d2i_CMS_ContentInfo(NULL, &p, dlen);
	content = BIO_new_mem_buf(stmt, (int)strlen(stmt));
	if (!cms || !content)
		snprintf(why, n, "the signature is not base64 DER CMS");
	else if (CMS_verify(cms, NULL, NULL, content, NULL,
			    CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1)
		ossl_reason(why, n);
	else if (!(signers = CMS_get0_signers(cms)) ||
		 sk_X509_num(signers) != 1)
		snprintf(why, n, "expected one signer");
	else if (pin && X509_cmp(sk_X509_value(signers, 0), pin))
		snprintf(why, n,
			 "signed by another certificate than the one "
			 "given");
	else
		ok = 1;
	sk_X509_free(signers);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	free(der);
	return ok ? 0 : -1;
}

static X509 *load_cert(const char *path, px_error *err)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	if (!x)
		px_error_set(err, PX_EXIT_CONFIG,
			     "%s: cannot read a PEM certificate to check the "
			     "audit checkpoints with",
			     path);
	ERR_clear_error();
	return x;
}

static const char *cell(const json_t *row, int i)
{
	return json_string_value(json_array_get(row, (size_t)i));
}

/* hex of entry k (1-based) as recomputed; GENESIS for 0. */
static const char *at(const char *hex, long k)
{
	return k ? hex + 65 * (k - 1) : PX_AUDIT_GENESIS;
}

/* The larger of confirmed and the last entry whose hash c states and
 * the recomputed chain (n entries) meets. */
static long confirmed_by(const struct claim *c, const char *hex, long n,
			 long confirmed)
{
	if (c->entries <= n && !strcmp(at(hex, c->entries), c->head))
		return c->entries > confirmed ? c->entries : confirmed;
	for (long k = c->hashes ? c->from : 1;
	     c->hashes && k <= c->entries && k <= n; k++)
		if (k > confirmed &&
		    !strncmp(at(hex, k), c->hashes + 65 * (k - c->from), 64))
			confirmed = k;
	return confirmed;
}

/* Where claim c and the recomputed chain (n entries) first disagree,
 * given that entries up to `confirmed` agree with some claim. Fills a
 * candidate verdict in *v; returns its entry, or 0 when they agree. */
static long disagreement(const struct claim *c, const char *hex, long n,
			 long confirmed, px_audit_result *v)
{
	const char *says = c->signed_by_us ? "signed" : "recorded";
	long top = c->entries < n ? c->entries : n, j = 0;

	if (c->entries <= n && !strcmp(at(hex, c->entries), c->head))
		return 0;
	if (c->hashes)
		for (long k = c->from; k <= top && !j; k++)
			if (strncmp(at(hex, k), c->hashes + 65 * (k - c->from),
				    64))
				j = k;
	if (!j && c->entries > n) {
		if (c->entries == n + 1)
			px_audit_verdict(
			    v, n + 1, "removed",
			    "entry %ld, the last one, was removed: %s "
			    "covers %ld entries, the ledger holds %ld",
			    n + 1, c->what, c->entries, n);
		else
			px_audit_verdict(
			    v, n + 1, "removed",
			    "entries from %ld on, the last ones, were "
			    "removed: %s covers %ld entries, the ledger "
			    "holds %ld",
			    n + 1, c->what, c->entries, n);
		return n + 1;
	}
	if (!j)
		j = c->entries; /* a witness: only its head is known */
	if (j == 1 || confirmed >= j - 1) {
		px_audit_verdict(
		    v, j, "rewritten",
		    "entry %ld differs from %s: its hash, recomputed from "
		    "its content, is not the one %s (the trail was "
		    "rewritten from entry %ld on)",
		    j, c->what, says, j);
		return j;
	}
	px_audit_verdict(
	    v, confirmed + 1, "rewritten",
	    "one of entries %ld to %ld was rewritten: the recomputed "
	    "chain differs from %s at entry %ld (entries up to %ld agree "
	    "with a checkpoint or witness)",
	    confirmed + 1, j, c->what, j, confirmed);
	return confirmed + 1;
}

/* The checkpoints as claims; a checkpoint that is malformed or whose
 * signature fails is left out and reported in *forged. */
static int read_checkpoints(px_ledger *l, json_t *rows, X509 *pin,
			    struct claim *cl, size_t *ncl,
			    px_audit_result *forged)
{
	size_t i;
	json_t *row;
	char why[256];

	json_array_foreach (rows, i, row) {
		struct claim *c = &cl[*ncl];
		const char *stmt = cell(row, 2), *sig = cell(row, 3);

		memset(c, 0, sizeof(*c));
		snprintf(c->what, sizeof(c->what), "signed checkpoint %s (%s)",
			 cell(row, 0), cell(row, 1) ? cell(row, 1) : "?");
		c->signed_by_us = 1;
		if (!stmt || !sig || parse_statement(stmt, c)) {
			if (forged->valid)
				px_audit_verdict(
				    forged, 0, "checkpoint-forged",
				    "checkpoint %s in %s is not a portex "
				    "checkpoint statement",
				    cell(row, 0), px_ledger_name(l));
			continue;
		}
		if (signature_ok(stmt, sig, pin, why, sizeof(why))) {
			if (forged->valid)
				px_audit_verdict(
				    forged, c->from, "checkpoint-forged",
				    "checkpoint %s (entries %ld to %ld): "
				    "its signature does not verify: %s",
				    cell(row, 0), c->from, c->entries, why);
			continue;
		}
		(*ncl)++;
	}
	return 0;
}

int px_checkpoints_check(px_ledger *l, const json_t *rows,
			 const px_audit_verify_opts *o, px_audit_result *res,
			 px_error *err)
{
	json_t *cps = NULL;
	struct claim *cl = NULL;
	size_t ncl = 0, i;
	X509 *pin = NULL;
	char *hex = NULL;
	long n = (long)json_array_size(rows), confirmed = 0, best = LONG_MAX,
	     best_top = LONG_MAX;
	px_audit_result forged = {.valid = 1};
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->valid = 1;
	if (o->cert_path && !(pin = load_cert(o->cert_path, err)))
		return -1;
	res->authenticated = pin != NULL;
	if (px_ledger_query(l,
			    "SELECT seq, at, statement, signature FROM "
			    "px_checkpoints ORDER BY seq",
			    0, NULL, &cps, err))
		goto out;
	cl = calloc(json_array_size(cps) + o->n_witnesses + 1, sizeof(*cl));
	hex = px_audit_rehash(rows);
	if (!cl || !hex) {
		px_error_oom(err);
		goto out;
	}
	read_checkpoints(l, cps, pin, cl, &ncl, &forged);
	res->checkpoints = (long)ncl;
	for (i = 0; i < o->n_witnesses; i++) {
		struct claim *c = &cl[ncl++];

		c->entries = o->witnesses[i].entries;
		snprintf(c->head, sizeof(c->head), "%s", o->witnesses[i].head);
		snprintf(c->what, sizeof(c->what), "the witness %s",
			 o->witnesses[i].source);
	}
	res->witnesses = (long)o->n_witnesses;
	/* A hash the chain meets confirms every entry up to its own: it
	 * covers the previous one. */
	for (i = 0; i < ncl; i++)
		confirmed = confirmed_by(&cl[i], hex, n, confirmed);
	/* The earliest entry wins; of claims naming the same one, the one
	 * with the fewest entries narrows the range most. */
	for (i = 0; i < ncl; i++) {
		px_audit_result v = {0};
		long k = disagreement(&cl[i], hex, n, confirmed, &v);

		if (k &&
		    (k < best || (k == best && cl[i].entries < best_top))) {
			best = k;
			best_top = cl[i].entries;
			*res = (px_audit_result){
			    .checkpoints = res->checkpoints,
			    .authenticated = res->authenticated,
			    .witnesses = res->witnesses};
			res->valid = 0;
			res->bad_seq = v.bad_seq;
			res->problem = v.problem;
			memcpy(res->message, v.message, sizeof(res->message));
		}
	}
	if (res->valid && !forged.valid) {
		res->valid = 0;
		res->bad_seq = forged.bad_seq;
		res->problem = forged.problem;
		memcpy(res->message, forged.message, sizeof(res->message));
	}
	rc = 0;
out:
	X509_free(pin);
	free(hex);
	free(cl);
	json_decref(cps);
	return rc;
}

static char *statement(const char *hex, long from, long entries)
{
	size_t cap = strlen(TAG) + 160 + (size_t)(entries - from + 1) * 65;
	char *s = malloc(cap);
	size_t len;

	if (!s)
		return NULL;
	len = (size_t)snprintf(s, cap, TAG "entries %ld\nhead %s\nfrom %ld\n",
			       entries, at(hex, entries), from);
	for (long k = from; k <= entries; k++) {
		memcpy(s + len, at(hex, k), 64);
		s[len + 64] = '\n';
		len += 65;
	}
	s[len] = '\0';
	return s;
}

/* The entries the newest checkpoint covers (0: none yet). */
static int last_covered(px_ledger *l, long *last, px_error *err)
{
	json_t *rows = NULL;
	struct claim c = {0};
	int rc;

	*last = 0;
	rc = px_ledger_query(l,
			     "SELECT statement FROM px_checkpoints ORDER BY "
			     "seq DESC LIMIT 1",
			     0, NULL, &rows, err);
	if (!rc && json_array_size(rows)) {
		const char *s = cell(json_array_get(rows, 0), 0);

		if (!s || parse_statement(s, &c))
			rc = px_error_set(err, PX_EXIT_DATA,
					  "%s: the newest checkpoint is not a "
					  "portex checkpoint statement",
					  px_ledger_name(l));
		*last = c.entries;
	}
	json_decref(rows);
	return rc;
}

static int store(px_ledger *l, const char *stmt, const unsigned char *der,
		 size_t der_len, px_error *err)
{
	char *b64 = malloc((der_len + 2) / 3 * 4 + 1), at_s[48], seq[24];
	json_t *rows = NULL;
	int rc = -1;

	if (!b64)
		return px_error_oom(err);
	EVP_EncodeBlock((unsigned char *)b64, der, (int)der_len);
	px_rfc3339_from_epoch((int64_t)time(NULL), 0, at_s, sizeof(at_s));
	if (!px_ledger_query(l,
			     "SELECT coalesce(max(seq), 0) + 1 FROM "
			     "px_checkpoints",
			     0, NULL, &rows, err)) {
		const char *p[] = {seq, at_s, stmt, b64};

		snprintf(seq, sizeof(seq), "%s",
			 cell(json_array_get(rows, 0), 0));
		rc = px_ledger_query(l,
				     "INSERT INTO px_checkpoints (seq, at, "
				     "statement, signature) VALUES ($1, $2, "
				     "$3, $4)",
				     4, p, NULL, err);
	}
	json_decref(rows);
	free(b64);
	return rc;
}

int px_audit_checkpoint(px_ledger *l, px_checkpoint_sign_fn sign, void *ctx,
			long *entries, px_error *err)
{
	px_audit_result res;
	json_t *rows = NULL;
	unsigned char *der = NULL;
	size_t der_len = 0;
	char *hex = NULL, *stmt = NULL;
	long last, n;
	int rc = -1;

	if (px_ledger_begin(l, 1, err))
		return -1;
	if (px_audit_verify_with(l, NULL, &res, err))
		goto out;
	if (!res.valid) {
		px_error_set(err, PX_EXIT_INVALID,
			     "%s: the audit trail is broken, no checkpoint "
			     "signed: %s",
			     px_ledger_name(l), res.message);
		goto out;
	}
	if (last_covered(l, &last, err) || px_audit_rows(l, &rows, err))
		goto out;
	n = (long)json_array_size(rows);
	if (entries)
		*entries = n;
	if (n <= last) {
		rc = 0;
		goto out;
	}
	if (!(hex = px_audit_rehash(rows)) ||
	    !(stmt = statement(hex, last + 1, n))) {
		px_error_oom(err);
		goto out;
	}
	if (sign(ctx, stmt, strlen(stmt), &der, &der_len, err) ||
	    store(l, stmt, der, der_len, err) || px_ledger_commit(l, err))
		goto out;
	rc = 0;
out:
	px_ledger_rollback(l);
	free(der);
	free(stmt);
	free(hex);
	json_decref(rows);
	return rc;
}
