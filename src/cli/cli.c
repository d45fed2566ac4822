/* cli.c - small helpers shared by the command files. */
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/commands.h"
#include "portex/config.h"
#include "interrupt.h"
#include "portex/ledger.h"
#include "queue/pool.h"

int px_usage_error(px_error *err, const char *cmd, const char *fmt, ...)
{
	char msg[PX_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return px_error_set(err, PX_EXIT_USAGE, "%s (see 'portex %s --help')",
			    msg, cmd);
}

px_ledger *px_cli_open_ledger(const char *cmd, const char *config,
			      const char *uri, px_config **cfg, px_error *err)
{
	px_config *c = NULL;
	px_ledger *l;

	if (cfg)
		*cfg = NULL;
	if (config && !(c = px_config_load(config, err)))
		return NULL;
	l = px_ledger_open_config(c, uri, err);
	if (!l && err->code == PX_EXIT_USAGE)
		px_usage_error(err, cmd, "%s", err->msg);
	if (cfg)
		*cfg = c;
	else
		px_config_free(c);
	return l;
}

const char *px_cli_actor(const char *given, char *buf, size_t n)
{
	struct passwd *pw;

	if (given && *given)
		return given;
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name && *pw->pw_name)
		return pw->pw_name;
	snprintf(buf, n, "uid %u", (unsigned)geteuid());
	return buf;
}

void px_cli_pool_tick(px_pool *p, int *told)
{
	if (*told || !px_stop_requested())
		return;
	*told = 1;
	px_pool_stop(p);
	/* after the progress bar's line, on a terminal */
	fprintf(stderr,
		"%sportex: stopping: no new export is started; the "
		"ones in flight are being finished and recorded "
		"(signal again to abandon them)\n",
		isatty(2) ? "\n" : "");
}

int px_cli_pool_stopped(px_error *err, const char *rest)
{
	if (!px_stop_requested())
		return 0;
	return px_error_set(
	    err, PX_EXIT_INTERRUPTED, "stopped by a signal; %s; %s",
	    px_interrupted() ? "the exports in flight were abandoned "
			       "(no file left)"
			     : "the exports in flight were finished",
	    rest);
}
