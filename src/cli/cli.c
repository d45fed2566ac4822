/* cli.c - small helpers shared by the command files. */
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "portex/config.h"
#include "portex/export.h"
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

int px_cli_add_subject(json_t *subject, const char *arg, const char *cmd,
		       px_error *err)
{
	const char *eq = strchr(arg, '=');
	char key[64];

	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof(key))
		return px_usage_error(err, cmd,
				      "--subject %s: expected KEY=VALUE", arg);
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	if (json_object_get(subject, key))
		return px_usage_error(err, cmd, "--subject %s given twice",
				      key);
	return json_object_set_new(subject, key, json_string(eq + 1))
		   ? px_error_set(err, PX_EXIT_USAGE,
				  "--subject %s: value is not UTF-8", key)
		   : 0;
}

int px_cli_scope(const char *arg, px_scope *out, const char *cmd, px_error *err)
{
	return px_scope_parse(arg, out)
		   ? px_usage_error(err, cmd,
				    "--scope %s: expected portability or "
				    "access",
				    arg)
		   : 0;
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
