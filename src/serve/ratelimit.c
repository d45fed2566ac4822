/*
 * ratelimit.c - one portal request per subject per interval. The ledger is
 * the memory: the rule holds across restarts and whatever serve process
 * answered before. A subject is its identity keys exactly as the portal
 * sends them.
 */
#include <stdio.h>
#include <string.h>

#include "serve/serve.h"
#include "timefmt.h"

int64_t px_serve_epoch(const char *t)
{
	int y, mo, d, h, mi, s;
	char z;

	if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi,
			 &s, &z) != 7)
		return -1;
	return px_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + s;
}

int px_ratelimit_check(px_serve *s, const json_t *subject, int64_t now,
		       long *retry_after, json_t **recent, px_error *err)
{
	json_t *list = NULL, *req;
	size_t i;

	*retry_after = 0;
	*recent = NULL;
	if (!s->sc.interval_seconds)
		return 0;
	if (px_ledger_find_subject(s->ledger, subject, &list, err))
		return -1;
	json_array_foreach (list, i, req) {
		const char *ch =
		    json_string_value(json_object_get(req, "channel"));
		int64_t at = px_serve_epoch(
		    json_string_value(json_object_get(req, "created_at")));

		if (!ch || strcmp(ch, PX_SERVE_CHANNEL))
			continue;
		/* Newest first: the first portal request decides. */
		if (at >= 0 && now - at < s->sc.interval_seconds) {
			*retry_after =
			    (long)(s->sc.interval_seconds - (now - at));
			*recent = json_incref(req);
		}
		break;
	}
	json_decref(list);
	return 0;
}
