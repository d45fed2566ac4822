/* cmd_export.c - placeholder, replaced in this same issue. */
#include "commands.h"

int cmd_export(int argc, char **argv, px_error *err)
{
	(void)argc;
	(void)argv;
	return px_error_set(err, PX_EXIT_SOFTWARE, "not built yet");
}
