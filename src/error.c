/* error.c - px_error helpers: set a message, add context on the way up. */
#include "portex/error.h"

#include <stdio.h>
#include <string.h>

int px_error_setv(px_error *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int px_error_set(px_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	px_error_setv(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int px_error_prefix(px_error *err, const char *fmt, ...)
{
	char ctx[PX_ERROR_MAX], old[PX_ERROR_MAX];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", ctx, old);
	if (!err->code)
		err->code = PX_EXIT_SOFTWARE;
	return -1;
}

int px_error_oom(px_error *err)
{
	return px_error_set(err, PX_EXIT_SOFTWARE, "out of memory");
}

void px_error_clear(px_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
