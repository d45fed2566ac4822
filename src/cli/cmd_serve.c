/* cmd_serve.c - `portex serve`: the HTTP service for learner portals. */
#include <getopt.h>
#include <stdio.h>

#include "cli/commands.h"
#include "portex/config.h"
#include "serve/serve.h"

static const char usage[] =
    "usage: portex serve --config F [--listen ADDRESS:PORT]\n"
    "\n"
    "Answers a learner portal over HTTP (JSON API, docs/openapi.yaml):\n"
    "the portal asks for a subject's export, portex records the request\n"
    "in the ledger, exports it in the background and hands out a signed\n"
    "download link that expires. Configured by the config's \"serve\"\n"
    "section (see portex(1), SERVE).\n"
    "\n"
    "  --config F        deployment config (JSON) with a \"serve\" section\n"
    "  --listen A:P      address to listen on, overrides serve.listen\n"
    "                    (default 127.0.0.1:8080; port 0 picks one)\n"
    "\n"
    "Logs one JSON object per line on stderr (requests, exports, start\n"
    "and stop). SIGTERM or SIGINT: stops accepting, finishes the requests\n"
    "in flight, stops running exports without writing them; the next\n"
    "start takes the waiting requests up again.\n"
    "\n"
    "exit: 0 stopped by a signal, 64 usage, 69 cannot listen or ledger\n"
    "unreachable, 73 cannot create the package folder, 78 config error\n";

int cmd_serve(int argc, char **argv, px_error *err)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"listen", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *listen = NULL;
	px_config *cfg;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return PX_OK;
		default:
			return px_usage_error(err, "serve", "unknown option");
		}
	}
	if (optind < argc)
		return px_usage_error(err, "serve", "unexpected argument '%s'",
				      argv[optind]);
	if (!config)
		return px_usage_error(err, "serve", "--config F is needed");
	if (!(cfg = px_config_load(config, err)))
		return -1;
	rc = px_serve_run(cfg, listen, err);
	px_config_free(cfg);
	return rc;
}
