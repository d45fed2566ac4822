/*
 * checkpoint_sign.h - checkpoints of the audit trail signed with the
 * export key, for every command that records packages in a ledger:
 * `request export` and `audit checkpoint` sign one at once, the job
 * queue's pool (worker, serve, bulk --enqueue) batches them
 * (px_checkpointer).
 */
#ifndef PX_LEDGER_CHECKPOINT_SIGN_H
#define PX_LEDGER_CHECKPOINT_SIGN_H

#include "portex/export.h"
#include "portex/ledger.h"

/* Signs a checkpoint of l's trail (px_audit_checkpoint) with the signer eo
 * names (px_export_signer: sign_key/sign_cert, else the config's
 * "signing"). *entries (may be NULL): the entries covered. Returns 0 or
 * -1 with err; eo signing nothing (unsigned_ok, no key) is PX_EXIT_CONFIG. */
int px_audit_checkpoint_with(px_ledger *l, const px_export_opts *eo,
			     long *entries, px_error *err);

/* Batches checkpoints for a pool of threads, each with its own ledger
 * connection: every recorded package is counted, and a checkpoint is
 * signed when PX_CHECKPOINT_EVERY are waiting, or on
 * px_checkpointer_flush() (a worker about to idle, or returning). One
 * checkpoint costs a walk of the whole trail, so one per package would
 * make a bulk run quadratic. Thread-safe. */
#define PX_CHECKPOINT_EVERY 64
typedef struct px_checkpointer px_checkpointer;

/* *out: a new checkpointer signing with eo's signer, or NULL (no error)
 * when eo signs nothing (unsigned packages: no key to sign with). eo
 * need not outlive it. Returns 0 or -1 with err. */
int px_checkpointer_new(const px_export_opts *eo, px_checkpointer **out,
			px_error *err);

/* A job was recorded through l (its package, or its failure). Signs
 * when the batch is full. c may be NULL. Returns 0 (as
 * px_checkpointer_flush, not last). */
int px_checkpointer_recorded(px_checkpointer *c, px_ledger *l, px_error *err);

/* Signs a checkpoint through l when a recorded job is not covered yet.
 * Before the last call (the pool's end) a failure keeps the batch for
 * later and returns 0: the jobs are recorded, the exports go on; after
 * one other than a busy ledger (a trail that does not verify:
 * PX_EXIT_INVALID) only the last call tries again. The last call returns
 * -1 with err when the batch still cannot be signed. c may be NULL. */
int px_checkpointer_flush(px_checkpointer *c, px_ledger *l, int last,
			  px_error *err);

void px_checkpointer_free(px_checkpointer *c);

#endif
