/*
 * purge.h - deletes the packages of a bulk out-dir that are past their
 * retrievable-until date (or older than an age). Only what D/index.ndjson
 * says portex wrote, unchanged since (same SHA-256), is ever deleted; each
 * deletion is an audit entry ("package.purge") and an index line
 * ("status": "purged").
 */
#ifndef PX_PURGE_H
#define PX_PURGE_H

#include <jansson.h>

#include "portex/error.h"
#include "portex/ledger.h"

typedef struct px_purge_opts {
	const char *dir;
	int expired;	      /* retrievable_until before today */
	long older_than_days; /* > 0: written more than this many days ago */
	int dry_run;	      /* list only: ledger may be NULL */
	px_ledger *ledger;    /* the audit trail */
	const char *actor;
} px_purge_opts;

/* *out: new array of {"package", "id", "reason", "action"} where action
 * is "deleted", "would delete" (dry run) or "kept: <why>" for a package
 * that matched but is not what portex wrote. Returns 0 or -1. */
int px_purge(const px_purge_opts *o, json_t **out, px_error *err);

#endif
