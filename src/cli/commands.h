/*
 * commands.h - one function per CLI command, one file per command
 * (src/cmd_<name>.c). The dispatch table lives in main.c.
 *
 * A command parses its own options, prints its own --help, and returns an
 * exit code (enum px_exit), or -1 with err set (err->code is then the exit
 * code). When it returns non-zero with err->msg set,
 * main() prints "portex <cmd>: <msg>" on stderr; a command prints only its
 * results (stdout) and progress.
 */
#ifndef PX_COMMANDS_H
#define PX_COMMANDS_H

#include <jansson.h>
#include <stddef.h>

#include "portex/error.h"
#include "portex/export.h"

typedef int (*px_cmd_fn)(int argc, char **argv, px_error *err);

int cmd_export(int argc, char **argv, px_error *err);
int cmd_verify(int argc, char **argv, px_error *err);
int cmd_keygen(int argc, char **argv, px_error *err);
int cmd_request(int argc, char **argv, px_error *err);
int cmd_audit(int argc, char **argv, px_error *err);
int cmd_due(int argc, char **argv, px_error *err);
int cmd_bulk(int argc, char **argv, px_error *err);
int cmd_worker(int argc, char **argv, px_error *err);
int cmd_purge(int argc, char **argv, px_error *err);
int cmd_serve(int argc, char **argv, px_error *err);
int cmd_profile(int argc, char **argv, px_error *err);
int cmd_transmit(int argc, char **argv, px_error *err);
int cmd_schema(int argc, char **argv, px_error *err);
int cmd_sources(int argc, char **argv, px_error *err);

/* "--subject k=v" into subject (k -> v): a usage error of cmd when arg is
 * not KEY=VALUE, its key was given already or its value is not UTF-8. */
/* "--scope portability|access" into *out, or a usage error of cmd. */
int px_cli_scope(const char *arg, px_scope *out, const char *cmd,
		 px_error *err);
int px_cli_add_subject(json_t *subject, const char *arg, const char *cmd,
		       px_error *err);

/* Shared by the ledger's commands: loads the config (when config is not
 * NULL) and opens the ledger it names, or `uri`. A usage problem points at
 * 'portex <cmd> --help'. *cfg gets the config, which the caller frees with
 * px_config_free(); pass cfg NULL to have it freed here. */
struct px_ledger;
struct px_config;
struct px_ledger *px_cli_open_ledger(const char *cmd, const char *config,
				     const char *uri, struct px_config **cfg,
				     px_error *err);

/* Who acts, for the audit trail: `given` (--actor) when set, else the
 * user's name (buf, n bytes, holds it when there is no name). */
const char *px_cli_actor(const char *given, char *buf, size_t n);

/* Shared by bulk and worker, called every tick while their pool runs:
 * on the first SIGINT/SIGTERM, stops the pool (no job is started any
 * more) and says once on stderr that the exports in flight are being
 * finished. *told starts at 0. */
struct px_pool;
void px_cli_pool_tick(struct px_pool *p, int *told);

/* After the pool returned: when a signal stopped it, sets err (exit 130)
 * saying whether the exports in flight were finished or abandoned (a
 * second signal), then `rest`, and returns -1; else returns 0. */
int px_cli_pool_stopped(px_error *err, const char *rest);

/* Settles packages left pending by an export that was stopped (see
 * ledger.h, px_ledger_reconcile()) and says what was done on stderr.
 * Returns 0 or -1. */
int px_cli_reconcile(struct px_ledger *l, const char *actor, px_error *err);

/* Shared by commands: a usage error (exit 64) that points at --help. */
int px_usage_error(px_error *err, const char *cmd, const char *fmt, ...)
    PX_PRINTF(3, 4);

#endif
