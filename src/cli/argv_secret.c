/*
 * argv_secret.c - passwords out of /proc/PID/cmdline (argv_secret.h).
 */
#include "cli/argv_secret.h"

#include <stdlib.h>
#include <string.h>

/* The password of a URI in s: *start and its length, or 0. */
static size_t uri_password(char *s, char **start)
{
	char *p = strstr(s, "postgresql://"), *at, *colon, *end;

	if (!p)
		p = strstr(s, "postgres://");
	if (!p)
		return 0;
	p = strchr(p, '/') + 2;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (!at)
		return 0;
	/* the last '@' before the host ends the user info */
	while (memchr(at + 1, '@', (size_t)(end - at - 1)))
		at = memchr(at + 1, '@', (size_t)(end - at - 1));
	colon = memchr(p, ':', (size_t)(at - p));
	if (!colon || colon + 1 == at)
		return 0;
	*start = colon + 1;
	return (size_t)(at - colon - 1);
}

void px_argv_hide_secrets(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *start, *copy;
		size_t n = uri_password(argv[i], &start);

		if (!n || !(copy = strdup(argv[i])))
			continue;
		memset(start, '*', n);
		argv[i] = copy; /* lives until exit */
	}
}
