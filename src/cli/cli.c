/* cli.c - small helpers shared by the command files. */
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/commands.h"
#include "portex/config.h"
#include "portex/ledger.h"

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
