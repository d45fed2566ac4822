/*
 * checkpoint_sign.c - signs audit checkpoints with the deployment's
 * export key (checkpoint_sign.h): at once for `audit checkpoint` and
 * `request export`, in batches for the job queue's pool.
 */
#include "ledger/checkpoint_sign.h"

#include <pthread.h>
#include <stdlib.h>

#include "portex/asic.h"

struct px_checkpointer {
	px_signer *s;
	pthread_mutex_t mu; /* the rest; held while signing */
	long pending;	    /* jobs recorded, not yet covered */
	px_error failed;    /* why a batch could not be signed */
};

static int sign(void *ctx, const char *data, size_t len, unsigned char **der,
		size_t *der_len, px_error *err)
{
	*der = px_signer_sign(ctx, data, len, "the audit checkpoint", der_len,
			      err);
	return *der ? 0 : -1;
}

int px_audit_checkpoint_with(px_ledger *l, const px_export_opts *eo,
			     long *entries, px_error *err)
{
	px_signer *s = NULL;
	int rc;

	if (px_export_signer(eo, &s, err))
		return -1;
	if (!s)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "no signing key: an audit checkpoint is "
				    "signed with the export key (signing.key)");
	rc = px_audit_checkpoint(l, sign, s, entries, err);
	px_signer_free(s);
	return rc;
}

int px_checkpointer_new(const px_export_opts *eo, px_checkpointer **out,
			px_error *err)
{
	px_signer *s = NULL;

	*out = NULL;
	if (px_export_signer(eo, &s, err))
		return -1;
	if (!s)
		return 0;
	if (!(*out = calloc(1, sizeof(**out)))) {
		px_signer_free(s);
		return px_error_oom(err);
	}
	(*out)->s = s;
	pthread_mutex_init(&(*out)->mu, NULL);
	return 0;
}

int px_checkpointer_recorded(px_checkpointer *c, px_ledger *l, px_error *err)
{
	int due;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->mu);
	due = ++c->pending >= PX_CHECKPOINT_EVERY;
	pthread_mutex_unlock(&c->mu);
	return due ? px_checkpointer_flush(c, l, 0, err) : 0;
}

int px_checkpointer_flush(px_checkpointer *c, px_ledger *l, int last,
			  px_error *err)
{
	int rc = 0;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->mu);
	/* After a failure other than a busy ledger (a broken trail, a key
	 * that no longer signs), each try would walk the trail again for
	 * the same answer: the last call tries once more and tells. */
	if (c->pending && (last || !c->failed.code)) {
		px_error e = PX_ERROR_INIT;

		if (!px_audit_checkpoint(l, sign, c->s, NULL, &e)) {
			c->pending = 0;
			px_error_clear(&c->failed);
		} else if (last) {
			*err = e;
			rc = px_error_prefix(err, "the packages are recorded "
						  "but their audit checkpoint "
						  "is not");
		} else if (e.code != PX_EXIT_UNAVAILABLE)
			c->failed = e;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void px_checkpointer_free(px_checkpointer *c)
{
	if (!c)
		return;
	px_signer_free(c->s);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
