/* cmd_bulk.c - `portex bulk`: one package per subject of a list or cohort,
 * into one folder, or one queued job each (--enqueue). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "interrupt.h"
#include "portex/config.h"
#include "portex/export.h"
#include "portex/ledger.h"
#include "queue/outdir.h"
#include "queue/pool.h"
#include "queue/subjects.h"

static const char usage[] =
    "usage: portex bulk --config F (--subjects F | --cohort NAME --since D\n"
    "                   --until D) --out-dir D [--jobs N] [--enqueue]\n"
    "                   [--scope portability|access] [--json]\n"
    "                   [--sign-key F --sign-cert F | --unsigned]\n"
    "\n"
    "Exports every subject of a list or cohort, one signed package each,\n"
    "into D, named by an opaque id (an HMAC of the identity keys under the\n"
    "config's bulk salt), and appends one line per subject to\n"
    "D/index.ndjson. A rerun skips the packages that are there and verify;\n"
    "one subject failing never stops the others.\n"
    "\n"
    "  --subjects F     CSV with a header of identity keys, or NDJSON\n"
    "                   objects; a retain_from column is the date the\n"
    "                   retention starts (licence end), not a key\n"
    "  --cohort NAME    a query of the config's \"cohorts\" section, with\n"
    "  --since D        :since and :until bound to these dates\n"
    "  --until D\n"
    "  --out-dir D      the folder (it must exist)\n"
    "  --jobs N         subjects exported at once (default 1)\n"
    "  --enqueue        record one job per subject (and a ledger request)\n"
    "                   in the ledger's queue instead; `portex worker`\n"
    "                   exports them\n"
    "  --scope S        portability (default) or access\n"
    "  --json           print the summary as JSON\n"
    "\n"
    "exit: 0 every subject exported (or there already), 64 usage,\n"
    "65 some subject failed (see index.ndjson; 67 or 69 when every\n"
    "failure was that), 73 cannot write, 78 config error,\n"
    "130 interrupted\n";

struct args {
	const char *config, *subjects, *cohort, *since, *until, *out_dir;
	const char *sign_key, *sign_cert;
	int jobs, enqueue, json, unsigned_ok;
	px_scope scope;
};

static int parse(int argc, char **argv, struct args *a, px_error *err)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"subjects", required_argument, NULL, 's'},
	    {"cohort", required_argument, NULL, 'C'},
	    {"since", required_argument, NULL, 'S'},
	    {"until", required_argument, NULL, 'U'},
	    {"out-dir", required_argument, NULL, 'o'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"enqueue", no_argument, NULL, 'e'},
	    {"scope", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'J'},
	    {"sign-key", required_argument, NULL, 'k'},
	    {"sign-cert", required_argument, NULL, 'K'},
	    {"unsigned", no_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 's':
			a->subjects = optarg;
			break;
		case 'C':
			a->cohort = optarg;
			break;
		case 'S':
			a->since = optarg;
			break;
		case 'U':
			a->until = optarg;
			break;
		case 'o':
			a->out_dir = optarg;
			break;
		case 'e':
			a->enqueue = 1;
			break;
		case 'J':
			a->json = 1;
			break;
		case 'k':
			a->sign_key = optarg;
			break;
		case 'K':
			a->sign_cert = optarg;
			break;
		case 'u':
			a->unsigned_ok = 1;
			break;
		case 'j':
			a->jobs = (int)strtol(optarg, &end, 10);
			if (*end || a->jobs < 1 || a->jobs > 64)
				return px_usage_error(err, "bulk",
						      "--jobs %s: expected 1 "
						      "to 64",
						      optarg);
			break;
		case 'p':
			if (px_scope_parse(optarg, &a->scope))
				return px_usage_error(err, "bulk",
						      "--scope %s: expected "
						      "portability or access",
						      optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return px_usage_error(err, "bulk", "unknown option");
		}
	}
	if (optind < argc)
		return px_usage_error(err, "bulk", "unexpected argument '%s'",
				      argv[optind]);
	if (!a->config || !a->out_dir)
		return px_usage_error(err, "bulk",
				      "--config and --out-dir are needed");
	if (!a->subjects == !a->cohort)
		return px_usage_error(err, "bulk",
				      "give --subjects F or --cohort NAME");
	if (a->cohort && (!a->since || !a->until))
		return px_usage_error(err, "bulk",
				      "--cohort needs --since and --until");
	if (!a->sign_key != !a->sign_cert)
		return px_usage_error(err, "bulk",
				      "--sign-key and --sign-cert go together");
	return 0;
}

/* Subjects -> jobs: opaque id, package path, retrievable-until date. The
 * same person twice in the list is one job. */
static int make_jobs(const px_config *cfg, const struct args *a,
		     const json_t *subjects, const char *dir, px_job ***out,
		     size_t *n, px_error *err)
{
	unsigned char salt[256];
	int salt_len = px_bulk_salt(cfg, salt, sizeof(salt), err);
	const char *calname = px_config_str(cfg, "deadline.calendar");
	const px_calendar *cal = px_calendar_default();
	int months = px_cohort_months(cfg, a->cohort);
	json_t *seen, *s;
	px_job **jobs;
	size_t i;

	if (salt_len < 0)
		return -1;
	if (calname && px_calendar_parse(calname, &cal, err))
		return px_error_prefix(err, "%s: /deadline/calendar",
				       cfg->path);
	seen = json_object();
	jobs = calloc(json_array_size(subjects) + 1, sizeof(*jobs));
	if (!jobs || !seen) {
		free(jobs);
		json_decref(seen);
		return px_error_oom(err);
	}
	*n = 0;
	json_array_foreach (subjects, i, s) {
		const json_t *keys = json_object_get(s, "keys");
		const char *from =
		    json_string_value(json_object_get(s, PX_RETAIN_FROM));
		char id[PX_SUBJECT_ID_LEN + 1], until[11], path[PATH_MAX];
		px_job *j;

		if (px_subject_id(salt, (size_t)salt_len, keys, id, err))
			goto fail;
		if (json_object_get(seen, id))
			continue;
		json_object_set_new(seen, id, json_true());
		if (from && px_retrievable_until(cal, from, months, until, err))
			goto fail;
		snprintf(path, sizeof(path), "%s/%s.zip", dir, id);
		j = calloc(1, sizeof(*j));
		if (!j || !(j->subject = json_incref((json_t *)keys)) ||
		    !(j->package = strdup(path)) || !(j->batch = strdup("")) ||
		    !(j->scope = strdup(px_scope_name(a->scope))) ||
		    (from && !(j->retrievable_until = strdup(until)))) {
			px_job_free(j);
			px_error_oom(err);
			goto fail;
		}
		j->max_attempts = PX_QUEUE_MAX_ATTEMPTS;
		jobs[(*n)++] = j;
	}
	json_decref(seen);
	memset(salt, 0, sizeof(salt));
	*out = jobs;
	return 0;
fail:
	for (size_t k = 0; k < *n; k++)
		px_job_free(jobs[k]);
	free(jobs);
	json_decref(seen);
	memset(salt, 0, sizeof(salt));
	return -1;
}

static int enqueue_all(const px_config *cfg, const struct args *a,
		       px_job **jobs, size_t n, px_error *err)
{
	px_ledger *l = px_ledger_open_config(cfg, NULL, err);
	const char *calname = px_config_str(cfg, "deadline.calendar");
	char batch[200];
	size_t added = 0;

	if (!l)
		return -1;
	snprintf(batch, sizeof(batch), "%s%s%s%s%s",
		 a->cohort ? "cohort:" : "subjects:",
		 a->cohort ? a->cohort : a->subjects, a->cohort ? ":" : "",
		 a->since ? a->since : "", a->until ? a->until : "");
	for (size_t i = 0; i < n && !px_interrupted(); i++) {
		px_job_spec s = {
		    .batch = batch,
		    .subject = jobs[i]->subject,
		    .package = jobs[i]->package,
		    .scope = jobs[i]->scope,
		    .retrievable_until = jobs[i]->retrievable_until,
		    .with_request = 1,
		    .calendar = calname,
		    .actor = "portex bulk",
		};
		int created = 0;

		if (px_queue_enqueue(l, &s, NULL, &created, err)) {
			px_ledger_close(l);
			return -1;
		}
		added += (size_t)created;
	}
	px_ledger_close(l);
	if (px_interrupt_check(err, "some subjects were not enqueued"))
		return -1;
	if (a->json)
		printf("{\"subjects\": %zu, \"enqueued\": %zu, "
		       "\"already_queued\": %zu, \"batch\": \"%s\"}\n",
		       n, added, n - added, batch);
	else
		printf("subjects: %zu\nenqueued: %zu\nalready queued: %zu\n", n,
		       added, n - added);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bar(const px_pool_stats *st, double t0, int final)
{
	uint64_t done = st->ok + st->skipped + st->failed;
	double el = now_s() - t0, rate = el > 0 ? (double)done / el : 0;
	int width = 30, fill = st->total ? (int)(width * done / st->total) : 0;
	double left = rate > 0 ? (double)(st->total - done) / rate : 0;

	fprintf(stderr, "\r[%.*s%*s] %llu/%llu  %.0f/s  %llu failed  ", fill,
		"##############################", width - fill, "",
		(unsigned long long)done, (unsigned long long)st->total, rate,
		(unsigned long long)st->failed);
	if (final)
		fprintf(stderr, "%.1f s\n", el);
	else
		fprintf(stderr, "%02d:%02d left ", (int)left / 60,
			(int)left % 60);
}

/* The exit status: 0, or the one code every failure had, else 65. */
static int failures_code(const char *dir, px_error *err)
{
	json_t *idx = NULL, *e;
	const char *k;
	int code = 0;

	if (px_outdir_read(dir, &idx, err))
		return -1;
	json_object_foreach (idx, k, e) {
		int c = (int)json_integer_value(json_object_get(e, "code"));
		const char *st =
		    json_string_value(json_object_get(e, "status"));

		if (!st || !strcmp(st, "ok") || !strcmp(st, "purged") || !c)
			continue;
		code = !code || code == c ? c : PX_EXIT_DATA;
	}
	json_decref(idx);
	return code;
}

static int run_pool(const px_config *cfg, const struct args *a, px_job **jobs,
		    size_t n, const char *dir, px_error *err)
{
	px_export_opts eo = {
	    .config = cfg,
	    .scope = a->scope,
	    .unsigned_ok = a->unsigned_ok,
	    .sign_key = a->sign_key,
	    .sign_cert = a->sign_cert,
	};
	px_pool_opts po = {
	    .export = &eo, .jobs = a->jobs, .list = jobs, .n_list = n};
	px_pool_stats st;
	json_t *index = NULL;
	px_pool *p;
	double t0 = now_s();
	int tty = isatty(2) && !a->json, rc, told = 0;

	if (px_outdir_read(dir, &index, err))
		return -1;
	po.index = index;
	if (!(p = px_pool_start(&po, err))) {
		json_decref(index);
		return -1;
	}
	for (;;) {
		struct timespec ts = {0, 200 * 1000 * 1000};

		px_pool_stats_get(p, &st);
		if (st.ok + st.skipped + st.failed >= st.total ||
		    !px_pool_live(p))
			break;
		px_cli_pool_tick(p, &told);
		if (tty)
			bar(&st, t0, 0);
		nanosleep(&ts, NULL);
	}
	rc = px_pool_wait(p, &st, err);
	json_decref(index);
	if (tty)
		bar(&st, t0, 1);
	if (rc)
		return -1;
	if (px_cli_pool_stopped(err, "run again to export the rest"))
		return -1;
	if (a->json)
		printf("{\"subjects\": %llu, \"exported\": %llu, \"skipped\": "
		       "%llu, \"failed\": %llu, \"retried\": %llu, "
		       "\"records\": %llu, \"seconds\": %.3f, \"index\": "
		       "\"%s/index.ndjson\"}\n",
		       (unsigned long long)st.total, (unsigned long long)st.ok,
		       (unsigned long long)st.skipped,
		       (unsigned long long)st.failed,
		       (unsigned long long)st.retried,
		       (unsigned long long)st.records, now_s() - t0, dir);
	else
		printf("subjects: %llu\nexported: %llu\nskipped:  %llu (there "
		       "already, verified)\nfailed:   %llu\nrecords:  %llu\n"
		       "index:    %s/index.ndjson\n",
		       (unsigned long long)st.total, (unsigned long long)st.ok,
		       (unsigned long long)st.skipped,
		       (unsigned long long)st.failed,
		       (unsigned long long)st.records, dir);
	if (!st.failed)
		return 0;
	rc = failures_code(dir, err);
	if (rc > 0)
		px_error_set(
		    err, rc,
		    "%llu of %llu subjects failed: see %s/index.ndjson",
		    (unsigned long long)st.failed, (unsigned long long)st.total,
		    dir);
	return rc ? rc : PX_EXIT_DATA;
}

int cmd_bulk(int argc, char **argv, px_error *err)
{
	struct args a = {.jobs = 1, .scope = PX_SCOPE_PORTABILITY};
	px_config *cfg = NULL;
	json_t *subjects = NULL;
	px_job **jobs = NULL;
	size_t n = 0;
	char *dir = NULL;
	int rc = parse(argc, argv, &a, err);

	if (rc)
		return rc > 0 ? 0 : -1;
	rc = -1;
	if (!(cfg = px_config_load(a.config, err)))
		goto out;
	if (!(dir = realpath(a.out_dir, NULL))) {
		px_error_set(err, PX_EXIT_CANTCREAT,
			     "--out-dir %s: not a folder (create it first)",
			     a.out_dir);
		goto out;
	}
	px_interrupt_install_drain();
	if (a.subjects ? px_subjects_read(a.subjects, &subjects, err)
		       : px_cohort_subjects(cfg, a.cohort, a.since, a.until,
					    &subjects, err))
		goto out;
	if (make_jobs(cfg, &a, subjects, dir, &jobs, &n, err))
		goto out;
	if (a.enqueue) {
		rc = enqueue_all(cfg, &a, jobs, n, err);
	} else {
		rc = run_pool(cfg, &a, jobs, n, dir, err);
		n = 0; /* the pool freed them */
	}
out:
	for (size_t i = 0; i < n; i++)
		px_job_free(jobs[i]);
	free(jobs);
	json_decref(subjects);
	free(dir);
	px_config_free(cfg);
	return rc;
}
