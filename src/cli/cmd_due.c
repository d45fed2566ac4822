/*
 * cmd_due.c - `portex due DATE`: the legal due date of a request received
 * on DATE, first line of stdout, so scripts can read it.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "portex/deadline.h"

static const char usage[] =
    "usage: portex due DATE [--extended] [--calendar NAME]\n"
    "                  [--suspended DAYS] [--json]\n"
    "\n"
    "Prints the legal due date of a request received on DATE (YYYY-MM-DD)\n"
    "alone on the first line: one month from receipt (GDPR Art. 12(3)),\n"
    "the day of receipt not counted, the same date a month later or that\n"
    "month's last day, moved to the next working day.\n"
    "\n"
    "  --extended        the extended limit (three months from receipt)\n"
    "  --calendar NAME   public holidays: FR (default), FR-ALSACE-MOSELLE\n"
    "  --suspended DAYS  days the clock was suspended awaiting identity\n"
    "  --json            one JSON object: received, calendar, due, extended\n"
    "\n"
    "Exit: 0 ok, 64 usage, 65 DATE is not a date.\n";

static void print_json(const px_calendar *cal, px_day received, long suspended,
		       const px_deadline *dl)
{
	char r[11], d[11], e[11];
	json_t *o;

	px_date_format(received, r);
	px_date_format(dl->due, d);
	px_date_format(dl->extended, e);
	o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "received", r, "calendar",
		      px_calendar_name(cal), "suspended_days",
		      (json_int_t)suspended, "due", d, "extended", e);
	if (o) {
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(o);
}

int cmd_due(int argc, char **argv, px_error *err)
{
	static const struct option opts[] = {
	    {"extended", no_argument, NULL, 'e'},
	    {"calendar", required_argument, NULL, 'c'},
	    {"suspended", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const px_calendar *cal = px_calendar_default();
	int extended = 0, json = 0, c;
	long suspended = 0;
	px_day received;
	px_deadline dl;
	char out[11], *end;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			extended = 1;
			break;
		case 'c':
			if (px_calendar_parse(optarg, &cal, err))
				return px_usage_error(err, "due", "%s",
						      err->msg);
			break;
		case 's':
			suspended = strtol(optarg, &end, 10);
			if (*end || end == optarg || suspended < 0 ||
			    suspended > 3650)
				return px_usage_error(
				    err, "due",
				    "--suspended %s: expected a number of "
				    "days, 0-3650",
				    optarg);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return PX_OK;
		default:
			return px_usage_error(err, "due", "unknown option");
		}
	}
	if (optind != argc - 1)
		return px_usage_error(err, "due",
				      "expected one DATE (YYYY-MM-DD)");
	if (px_date_parse(argv[optind], &received, err))
		return -1;
	px_deadline_compute(cal, received, suspended, &dl);
	if (json) {
		print_json(cal, received, suspended, &dl);
		return PX_OK;
	}
	px_date_format(extended ? dl.extended : dl.due, out);
	printf("%s\n", out);
	return PX_OK;
}
