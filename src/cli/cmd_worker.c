/* cmd_worker.c - `portex worker`: exports the jobs of the ledger's queue
 * (queued by `portex bulk --enqueue`), on as many machines as wanted. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "interrupt.h"
#include "portex/config.h"
#include "queue/pool.h"

static const char usage[] =
    "usage: portex worker --config F [--jobs N] [--once] [--ledger URI]\n"
    "                     [--lease SECONDS] [--batch NAME]... [--json]\n"
    "\n"
    "Claims jobs from the ledger's queue and exports them, each into the\n"
    "out-dir it was queued for (a shared folder when workers run on\n"
    "several machines). A job is held under a lease renewed while it runs;\n"
    "a job whose worker died is taken over when its lease expires.\n"
    "Transient failures (69) are retried with backoff; a job failing\n"
    "5 times is dead; bad data (65) fails at once.\n"
    "\n"
    "  --config F       deployment config (sources, signing, ledger)\n"
    "  --jobs N         jobs exported at once (default 1)\n"
    "  --once           exit when no job is left to run (cron, CI)\n"
    "  --ledger URI     the ledger holding the queue (default: the config's)\n"
    "  --lease SECONDS  lease length (default 60)\n"
    "  --batch NAME     only jobs of batch NAME (repeatable; default: every\n"
    "                   batch; serve's jobs are batch \"portal\", bulk's\n"
    "                   the --batch given to bulk --enqueue)\n"
    "  --json           print the summary as JSON\n"
    "\n"
    "SIGTERM or SIGINT: the exports in flight stop without leaving a\n"
    "file, their jobs go back to the queue, and the worker exits 130.\n"
    "exit: 0 ok, 64 usage, 69 ledger unavailable, 78 config error\n";

/* A ledger write retried (busy ledger), or given up: said on stderr. */
static void ledger_retry(void *ctx, const px_job *j, int n, long ms,
			 const px_error *e)
{
	(void)ctx;
	if (n)
		fprintf(
		    stderr,
		    "portex: job %ld: %s; trying again in %ld ms (try %d)\n",
		    j->id, e->msg, ms, n + 1);
	else
		fprintf(stderr,
			"portex: job %ld: not recorded: %s; it is taken again "
			"when its lease runs out\n",
			j->id, e->msg);
}

/* Before any export of its own: the packages a killed worker (or any
 * portex of this host) left pending are settled from what is on disk. */
static int reconcile(const px_config *cfg, const char *ledger, px_error *err)
{
	char actor[256];
	px_ledger *l = px_ledger_open_config(cfg, *ledger ? ledger : NULL, err);
	int rc;

	if (!l)
		return -1;
	rc = px_cli_reconcile(l, px_cli_actor(NULL, actor, sizeof(actor)), err);
	px_ledger_close(l);
	return rc;
}

int cmd_worker(int argc, char **argv, px_error *err)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"once", no_argument, NULL, 'o'},
	    {"ledger", required_argument, NULL, 'l'},
	    {"lease", required_argument, NULL, 'L'},
	    {"json", no_argument, NULL, 'J'},
	    {"batch", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *ledger = "";
	const char *batches[PX_QUEUE_MAX_BATCHES];
	px_export_opts eo = {.scope = PX_SCOPE_PORTABILITY};
	px_pool_opts po = {
	    .export = &eo, .jobs = 1, .on_ledger_retry = ledger_retry};
	px_pool_stats st;
	px_config *cfg;
	px_pool *p;
	int c, as_json = 0, told = 0;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			po.jobs = (int)strtol(optarg, &end, 10);
			if (*end || po.jobs < 1 || po.jobs > 64)
				return px_usage_error(err, "worker",
						      "--jobs %s: expected 1 "
						      "to 64",
						      optarg);
			break;
		case 'L':
			po.lease_s = (int)strtol(optarg, &end, 10);
			if (*end || po.lease_s < 3 || po.lease_s > 86400)
				return px_usage_error(err, "worker",
						      "--lease %s: expected "
						      "3 to 86400 seconds",
						      optarg);
			break;
		case 'o':
			po.once = 1;
			break;
		case 'l':
			ledger = optarg;
			break;
		case 'J':
			as_json = 1;
			break;
		case 'b':
			if (po.n_batches == PX_QUEUE_MAX_BATCHES)
				return px_usage_error(err, "worker",
						      "more than %d --batch",
						      PX_QUEUE_MAX_BATCHES);
			batches[po.n_batches++] = optarg;
			po.batches = batches;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return px_usage_error(err, "worker", "unknown option");
		}
	}
	if (optind < argc)
		return px_usage_error(err, "worker", "unexpected argument '%s'",
				      argv[optind]);
	if (!config)
		return px_usage_error(err, "worker", "--config is needed");
	if (!(cfg = px_config_load(config, err)))
		return -1;
	eo.config = cfg;
	po.ledger_uri = ledger;
	px_interrupt_install_drain();
	if (reconcile(cfg, ledger, err) || !(p = px_pool_start(&po, err))) {
		px_config_free(cfg);
		return -1;
	}
	while (px_pool_live(p)) {
		struct timespec ts = {0, 100 * 1000 * 1000};

		px_cli_pool_tick(p, &told);
		nanosleep(&ts, NULL);
	}
	if (px_pool_wait(p, &st, err)) {
		px_config_free(cfg);
		return -1;
	}
	px_config_free(cfg);
	if (as_json)
		printf("{\"exported\": %llu, \"adopted\": %llu, \"failed\": "
		       "%llu, \"retried\": %llu, \"lost\": %llu}\n",
		       (unsigned long long)st.ok,
		       (unsigned long long)st.skipped,
		       (unsigned long long)st.failed,
		       (unsigned long long)st.retried,
		       (unsigned long long)st.lost);
	else
		printf("exported: %llu\nadopted:  %llu (there already, "
		       "verified)\nfailed:   %llu\nretried:  %llu\n",
		       (unsigned long long)st.ok,
		       (unsigned long long)st.skipped,
		       (unsigned long long)st.failed,
		       (unsigned long long)st.retried);
	if (px_cli_pool_stopped(err, "the jobs not finished are in the queue"))
		return -1;
	return 0;
}
