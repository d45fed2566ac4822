/* cli.c - small helpers shared by the command files. */
#include <stdio.h>

#include "commands.h"

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
