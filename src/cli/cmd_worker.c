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
    "                     [--lease SECONDS] [--json]\n"
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
    "  --json           print the summary as JSON\n"
    "\n"
    "SIGTERM or SIGINT: the exports in flight stop without leaving a\n"
    "file, their jobs go back to the queue, and the worker exits 130.\n"
    "exit: 0 ok, 64 usage, 69 ledger unavailable, 78 config error\n";

int cmd_worker(int argc, char **argv, px_error *err)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"once", no_argument, NULL, 'o'},
	    {"ledger", required_argument, NULL, 'l'},
	    {"lease", required_argument, NULL, 'L'},
	    {"json", no_argument, NULL, 'J'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *ledger = "";
	px_export_opts eo = {.scope = PX_SCOPE_PORTABILITY};
	px_pool_opts po = {.export = &eo, .jobs = 1};
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
	if (!(p = px_pool_start(&po, err))) {
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
