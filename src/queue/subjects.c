/*
 * subjects.c - a bulk run's subjects from a CSV or NDJSON file, or from a
 * cohort query run through the source's own driver (subjects.h).
 */
#include "queue/subjects.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portex/connector.h"

/* {"keys": {...}, "retain_from": ...} from one row's fields; the fields
 * object is borrowed. where names the row in errors. */
static int subject_from(const json_t *fields, const char *where, json_t *out,
			px_error *err)
{
	json_t *keys = json_object(), *s, *v;
	const char *k;

	if (!keys)
		return px_error_oom(err);
	json_object_foreach ((json_t *)fields, k, v) {
		char num[32];
		const char *text = json_string_value(v);

		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			text = num;
		}
		if (!text || !*text) {
			json_decref(keys);
			return px_error_set(err, PX_EXIT_DATA,
					    "%s: %s: expected a non-empty "
					    "string",
					    where, k);
		}
		if (!strcmp(k, PX_RETAIN_FROM))
			continue;
		json_object_set_new(keys, k, json_string(text));
	}
	if (!json_object_size(keys)) {
		json_decref(keys);
		return px_error_set(err, PX_EXIT_DATA, "%s: no identity key",
				    where);
	}
	s = json_pack("{s:o}", "keys", keys);
	v = json_object_get(fields, PX_RETAIN_FROM);
	if (!s)
		return px_error_oom(err);
	if (v) {
		const char *d = json_string_value(v);
		char day[11];
		px_day dd;

		if (!d || strlen(d) < 10) {
			json_decref(s);
			return px_error_set(err, PX_EXIT_DATA,
					    "%s: " PX_RETAIN_FROM
					    ": expected a date YYYY-MM-DD",
					    where);
		}
		/* A timestamp's date part: the licence ended that day. */
		memcpy(day, d, 10);
		day[10] = '\0';
		if (px_date_parse(day, &dd, err)) {
			json_decref(s);
			return px_error_prefix(err, "%s: " PX_RETAIN_FROM,
					       where);
		}
		json_object_set_new(s, PX_RETAIN_FROM, json_string(day));
	}
	return json_array_append_new(out, s) ? px_error_oom(err) : 0;
}

/* One CSV record (RFC 4180) from fp into fields[]; returns the count, 0
 * at the end, -1 on a quote left open. */
static int csv_record(FILE *fp, json_t *fields, long *line)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int c, quoted = 0, any = 0;

	json_array_clear(fields);
	for (;;) {
		c = fgetc(fp);
		if (c == EOF && quoted) {
			free(buf);
			return -1;
		}
		if (c == EOF && !any && !len) {
			free(buf);
			return (int)json_array_size(fields) ? 1 : 0;
		}
		if (quoted) {
			if (c == '"') {
				int d = fgetc(fp);
				if (d != '"') {
					quoted = 0;
					ungetc(d, fp);
					continue;
				}
			}
			if (c == '\n')
				(*line)++;
		} else if (c == '"') {
			quoted = any = 1;
			continue;
		} else if (c == ',' || c == '\n' || c == EOF) {
			if (len && buf[len - 1] == '\r' && c != ',')
				len--;
			json_array_append_new(
			    fields, json_stringn(buf ? buf : "", len));
			len = 0;
			any = 1;
			if (c != ',') {
				(*line)++;
				free(buf);
				return (int)json_array_size(fields);
			}
			continue;
		}
		if (len + 2 > cap) {
			char *g = realloc(buf, cap = cap ? 2 * cap : 64);
			if (!g) {
				free(buf);
				return -1;
			}
			buf = g;
		}
		buf[len++] = (char)c;
		any = 1;
	}
}

static int read_csv(FILE *fp, const char *path, json_t *out, px_error *err)
{
	json_t *head = json_array(), *row = json_array();
	long line = 1, at;
	int n, rc = 0;

	n = csv_record(fp, head, &line);
	if (n <= 0) {
		rc = px_error_set(err, PX_EXIT_DATA,
				  "%s: line 1: expected a header of identity "
				  "keys (email,...)",
				  path);
		goto out;
	}
	for (at = line; (n = csv_record(fp, row, &line)) != 0; at = line) {
		json_t *fields;
		char where[600];
		size_t i;
		json_t *v;

		snprintf(where, sizeof(where), "%s: line %ld", path, at);
		if (n < 0) {
			rc = px_error_set(err, PX_EXIT_DATA,
					  "%s: a quoted field is not closed",
					  where);
			goto out;
		}
		if (n == 1 && !json_string_length(json_array_get(row, 0)))
			continue; /* blank line */
		if ((size_t)n != json_array_size(head)) {
			rc = px_error_set(err, PX_EXIT_DATA,
					  "%s: %d fields, the header has %zu",
					  where, n, json_array_size(head));
			goto out;
		}
		fields = json_object();
		json_array_foreach (row, i, v)
			json_object_set(
			    fields, json_string_value(json_array_get(head, i)),
			    v);
		rc = subject_from(fields, where, out, err);
		json_decref(fields);
		if (rc)
			goto out;
	}
out:
	json_decref(head);
	json_decref(row);
	return rc;
}

static int read_ndjson(FILE *fp, const char *path, json_t *out, px_error *err)
{
	char *line = NULL, where[600];
	size_t cap = 0;
	long no = 0;
	int rc = 0;

	while (!rc && getline(&line, &cap, fp) > 0) {
		json_error_t je;
		json_t *o;

		no++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		snprintf(where, sizeof(where), "%s: line %ld", path, no);
		o = json_loads(line, 0, &je);
		if (!json_is_object(o))
			rc = px_error_set(
			    err, PX_EXIT_DATA, "%s: expected a JSON object%s%s",
			    where, o ? "" : ": ", o ? "" : je.text);
		else
			rc = subject_from(o, where, out, err);
		json_decref(o);
	}
	free(line);
	return rc;
}

int px_subjects_read(const char *path, json_t **out, px_error *err)
{
	FILE *fp = fopen(path, "r");
	json_t *list = json_array();
	size_t n = strlen(path);
	int c, rc;

	if (!fp || !list) {
		json_decref(list);
		if (fp)
			fclose(fp);
		return px_error_set(err, PX_EXIT_USAGE,
				    "--subjects %s: cannot read: %s", path,
				    strerror(errno));
	}
	c = fgetc(fp);
	ungetc(c, fp);
	if ((n > 4 && !strcmp(path + n - 4, ".csv")) || (c != '{' && c != ' '))
		rc = read_csv(fp, path, list, err);
	else
		rc = read_ndjson(fp, path, list, err);
	fclose(fp);
	if (rc) {
		json_decref(list);
		return -1;
	}
	*out = list;
	return 0;
}

/* ---- cohorts ---- */

struct cohort_sink {
	json_t *out;
	const char *name;
	long n;
};

static int cohort_emit(void *ctx, const px_record *rec, px_error *err)
{
	struct cohort_sink *k = ctx;
	char where[200];

	snprintf(where, sizeof(where), "cohort %s: row %ld", k->name, ++k->n);
	return subject_from(rec->fields, where, k->out, err);
}

int px_cohort_months(const px_config *cfg, const char *name)
{
	json_t *c =
	    name ? json_object_get(json_object_get(cfg->root, "cohorts"), name)
		 : NULL;
	json_t *m = json_object_get(c, "retention_months");

	return json_is_integer(m) ? (int)json_integer_value(m) : 3;
}

int px_cohort_subjects(const px_config *cfg, const char *name,
		       const char *since, const char *until, json_t **out,
		       px_error *err)
{
	json_t *cohorts = json_object_get(cfg->root, "cohorts");
	json_t *c = json_object_get(cohorts, name), *srcs, *src = NULL, *sj;
	json_t *plan = NULL, *keys = NULL, *m;
	const char *sname = json_string_value(json_object_get(c, "source"));
	const char *query = json_string_value(json_object_get(c, "query"));
	const px_connector *conn;
	px_source_cfg scfg = {0};
	px_source *h = NULL;
	struct cohort_sink k = {.name = name};
	char path[160];
	size_t i;
	px_day d;
	int rc = -1;

	if (!c)
		return px_error_set(err, PX_EXIT_USAGE,
				    "no cohort \"%s\" in %s (its \"cohorts\" "
				    "section)",
				    name, cfg->path);
	snprintf(path, sizeof(path), "/cohorts/%s", name);
	if (!sname || !query)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: %s: expected {\"source\": NAME, "
				    "\"query\": SQL}",
				    cfg->path, path);
	if ((m = json_object_get(c, "retention_months")) &&
	    (!json_is_integer(m) || json_integer_value(m) < 1 ||
	     json_integer_value(m) > 120))
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: %s/retention_months: expected months "
				    "from 1 to 120",
				    cfg->path, path);
	if (px_date_parse(since, &d, err) || px_date_parse(until, &d, err))
		return px_error_prefix(err, "--since/--until");
	srcs = json_object_get(cfg->root, "sources");
	json_array_foreach (srcs, i, sj)
		if (json_equal(json_object_get(sj, "name"),
			       json_object_get(c, "source")))
			src = sj;
	if (!src)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: %s/source: no source named \"%s\"",
				    cfg->path, path, sname);
	conn = px_connector_find(
	    json_string_value(json_object_get(src, "connector")));
	if (!conn ||
	    (strcmp(conn->name, "sqlite") && strcmp(conn->name, "postgres")))
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: %s/source: a cohort runs SQL; source "
				    "%s is not an SQL source",
				    cfg->path, path, sname);
	/* The source as configured, with the cohort's query as its one
	 * collection: the driver's own read-only rules apply. */
	sj = json_deep_copy(src);
	k.out = json_array();
	keys = json_pack("{s:s, s:s}", "since", since, "until", until);
	if (!sj || !k.out || !keys)
		goto oom;
	json_object_set_new(sj, "resolve", json_array());
	json_object_set_new(sj, "collections",
			    json_pack("[{s:s, s:s, s:s}]", "entity", "cohort",
				      "category", "provided", "query", query));
	scfg.name = sname;
	scfg.json = sj;
	scfg.config_file = cfg->path;
	scfg.json_path = path;
	scfg.base_dir = cfg->base_dir;
	if (conn->open(&scfg, &h, &plan, err))
		goto out;
	if (conn->fetch(h, 0, keys, cohort_emit, &k, err)) {
		px_error_prefix(err, "cohort %s", name);
		goto out;
	}
	*out = k.out;
	k.out = NULL;
	rc = 0;
	goto out;
oom:
	px_error_oom(err);
out:
	if (h)
		conn->close(h);
	json_decref(plan);
	json_decref(sj);
	json_decref(k.out);
	json_decref(keys);
	return rc;
}

int px_retrievable_until(const px_calendar *cal, const char *retain_from,
			 int months, char out[11], px_error *err)
{
	px_day d;

	if (px_date_parse(retain_from, &d, err))
		return -1;
	/* The engine of `portex due`: the start day not counted, the same
	 * date N months on (or that month's last day), then onto a
	 * working day. */
	px_date_format(px_next_working_day(cal, px_add_months(d, months)), out);
	return 0;
}
