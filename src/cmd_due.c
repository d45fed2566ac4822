/* cmd_due.c - placeholder until its issue lands; replaced wholesale. */
#include "commands.h"

int cmd_due(int argc, char **argv, px_error *err)
{
	(void)argc;
	(void)argv;
	return px_error_set(err, PX_EXIT_SOFTWARE, "not built yet");
}
