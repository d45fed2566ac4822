/*
 * accesslog.c - JSON lines on stderr. Each line is written with one
 * fwrite under the stream's lock, so lines from many threads never
 * interleave.
 */
#include "serve/accesslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "timefmt.h"

static void emit(json_t *line)
{
	char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER |
					  JSON_REAL_PRECISION(6));

	if (!text)
		return;
	flockfile(stderr);
	fputs(text, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	funlockfile(stderr);
	free(text);
}

static json_t *line_now(void)
{
	struct timeval tv;
	char at[48];

	gettimeofday(&tv, NULL);
	px_rfc3339_from_epoch((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, 1,
			      at, sizeof(at));
	return json_pack("{s:s}", "at", at);
}

void px_log_access(const px_access *a)
{
	json_t *l = line_now();

	if (!l)
		return;
	json_object_set_new(l, "level", json_string("info"));
	json_object_set_new(l, "event", json_string("request"));
	json_object_set_new(l, "method", json_string(a->method));
	json_object_set_new(l, "route", json_string(a->route));
	if (a->id > 0)
		json_object_set_new(l, "id", json_integer(a->id));
	json_object_set_new(l, "status", json_integer(a->status));
	json_object_set_new(l, "bytes", json_integer((json_int_t)a->bytes));
	json_object_set_new(l, "ms", json_real(a->ms));
	emit(l);
	json_decref(l);
}

void px_log_event(const char *level, const char *event, json_t *fields)
{
	json_t *l = line_now();

	if (!l)
		return;
	json_object_set_new(l, "level", json_string(level));
	json_object_set_new(l, "event", json_string(event));
	if (fields)
		json_object_update(l, fields);
	emit(l);
	json_decref(l);
}
