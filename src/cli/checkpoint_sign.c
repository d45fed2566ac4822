/*
 * checkpoint_sign.c - signs an audit checkpoint with the deployment's
 * export key (the config's "signing"), for `audit checkpoint` and after
 * `request export` records its package.
 */
#include <stdlib.h>

#include "cli/commands.h"
#include "portex/asic.h"
#include "portex/export.h"
#include "portex/ledger.h"

static int sign(void *ctx, const char *data, size_t len, unsigned char **der,
		size_t *der_len, px_error *err)
{
	*der = px_signer_sign(ctx, data, len, "the audit checkpoint", der_len,
			      err);
	return *der ? 0 : -1;
}

int px_cli_checkpoint(struct px_ledger *l, const struct px_config *cfg,
		      long *entries, px_error *err)
{
	px_export_opts o = {.config = cfg};
	px_signer *s = NULL;
	int rc;

	if (px_export_signer(&o, &s, err))
		return -1;
	rc = px_audit_checkpoint(l, sign, s, entries, err);
	px_signer_free(s);
	return rc;
}
