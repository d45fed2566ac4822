/* test_exporter_sqlite.c - one exporter, many subjects, one SQLite
 * connection (bulk and worker): each subject reads the file as it is when
 * that subject's export begins, in one snapshot across its collections,
 * and no lock is held between subjects. Real SQLite files, real packages
 * (read back with libzip). */
#include "unit.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "portex/config.h"
#include "portex/export.h"

static char dir[256], db_path[300];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/px-test-exporter-sqlite-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/app.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	sqlite3_reset_auto_extension();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Runs sql on the file through a connection of its own, as the
 * platform's application would: no waiting on locks (busy timeout 0), so
 * a reader's lock makes it fail at once. Returns the SQLite result. */
static int app_write(const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(db_path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void make_db(const char *journal_mode)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "PRAGMA journal_mode=%s;"
		 "CREATE TABLE users(email TEXT, first_name TEXT);"
		 "INSERT INTO users VALUES ('a@example.org', 'Ann');",
		 journal_mode);
	assert_int_equal(app_write(sql), SQLITE_OK);
}

/* An exporter on a config of one SQLite source with two collections of
 * the users table. */
static px_exporter *exporter(px_config **cfg)
{
	char path[320];
	FILE *f;
	px_error err = PX_ERROR_INIT;
	px_export_opts o = {.unsigned_ok = 1, .no_xapi = 1};
	px_exporter *x;

	snprintf(path, sizeof(path), "%s/c.json", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"controller\": {\"name\": \"T\"},\n"
	      " \"sources\": [{\"name\": \"app\", \"connector\": \"sqlite\",\n"
	      "  \"path\": \"app.db\", \"collections\": [\n"
	      "   {\"entity\": \"profile\", \"category\": \"provided\",\n"
	      "    \"query\": \"SELECT first_name AS given_name FROM users "
	      "WHERE email = :email AND px_test_mark()\"},\n"
	      "   {\"entity\": \"account\", \"category\": \"provided\",\n"
	      "    \"query\": \"SELECT first_name AS username FROM users "
	      "WHERE email = :email\"}]}]}\n",
	      f);
	assert_int_equal(fclose(f), 0);
	*cfg = px_config_load(path, &err);
	if (!*cfg)
		fail_msg("config: %s", err.msg);
	o.config = *cfg;
	x = px_exporter_new(&o, &err);
	if (!x)
		fail_msg("exporter: %s", err.msg);
	return x;
}

/* Exports email into NAME.zip; returns the exit code (0 on success). */
static int export_one(px_exporter *x, const char *email, const char *name)
{
	char out[320];
	json_t *subject = json_pack("{s:s}", "email", email);
	px_export_subject s = {.subject = subject, .out_path = out};
	px_export_result res;
	px_error err = PX_ERROR_INIT;
	int rc;

	snprintf(out, sizeof(out), "%s/%s.zip", dir, name);
	rc = px_exporter_run(x, &s, &res, &err) ? err.code : 0;
	json_decref(subject);
	return rc;
}

/* The values of field in data/ENTITY.json of package NAME.zip, joined
 * with "," (static buffer). */
static const char *values(const char *name, const char *entity,
			  const char *field)
{
	static char out[256];
	char path[320], member[64];
	int zerr = 0;
	zip_t *z;
	zip_file_t *zf;
	zip_stat_t st;
	char *buf;
	json_t *doc, *rec;
	json_error_t jerr;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s.zip", dir, name);
	snprintf(member, sizeof(member), "data/%s.json", entity);
	assert_non_null(z = zip_open(path, ZIP_RDONLY, &zerr));
	assert_int_equal(zip_stat(z, member, 0, &st), 0);
	assert_non_null(buf = malloc(st.size + 1));
	assert_non_null(zf = zip_fopen(z, member, 0));
	assert_int_equal(zip_fread(zf, buf, st.size), (zip_int64_t)st.size);
	zip_fclose(zf);
	zip_close(z);
	buf[st.size] = '\0';
	doc = json_loads(buf, 0, &jerr);
	free(buf);
	if (!doc)
		fail_msg("%s: %s: %s", path, member, jerr.text);
	out[0] = '\0';
	json_array_foreach (json_object_get(doc, "records"), i, rec) {
		if (out[0])
			strcat(out, ",");
		strncat(out, json_string_value(json_object_get(rec, field)),
			sizeof(out) - strlen(out) - 2);
	}
	json_decref(doc);
	return out;
}

/* px_test_mark(): true, and the first time a statement calls it with a
 * write pending, the platform commits that write, from its own
 * connection, while the export is in the middle of its collections. */
static const char *pending_write;
static int pending_rc;

static void mark(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	if (pending_write) {
		pending_rc = app_write(pending_write);
		pending_write = NULL;
	}
	sqlite3_result_int(ctx, 1);
}

static int add_mark(sqlite3 *db, char **msg, const void *api)
{
	(void)msg, (void)api;
	return sqlite3_create_function(db, "px_test_mark", 0, SQLITE_UTF8, NULL,
				       mark, NULL, NULL);
}

/* Every connection the driver opens knows px_test_mark(). */
static int setup_mark(void **state)
{
	pending_write = NULL;
	pending_rc = SQLITE_OK;
	assert_int_equal(sqlite3_auto_extension((void (*)(void))add_mark),
			 SQLITE_OK);
	return setup(state);
}

/* A row the platform writes between two subjects of one run is seen by
 * the second: before, the whole run read the file as it was at the
 * first subject ("found in no source", 67). */
static void test_next_subject_sees_rows_committed_since(void **state)
{
	px_config *cfg;
	px_exporter *x;

	(void)state;
	make_db("WAL");
	x = exporter(&cfg);
	assert_int_equal(export_one(x, "a@example.org", "a"), 0);
	assert_int_equal(app_write("INSERT INTO users VALUES "
				   "('b@example.org', 'Bob');"
				   "UPDATE users SET first_name = 'Anna' "
				   "WHERE email = 'a@example.org'"),
			 SQLITE_OK);
	assert_int_equal(export_one(x, "b@example.org", "b"), 0);
	assert_string_equal(values("b", "profile", "given_name"), "Bob");
	assert_int_equal(export_one(x, "a@example.org", "a2"), 0);
	assert_string_equal(values("a", "profile", "given_name"), "Ann");
	assert_string_equal(values("a2", "profile", "given_name"), "Anna");
	px_exporter_free(x);
	px_config_free(cfg);
}

/* In rollback-journal mode a reader's shared lock keeps every writer
 * out: between subjects the exporter holds none, so the platform's
 * writes go through at once (busy timeout 0). Before, they failed with
 * "database is locked" for the whole run. */
static void test_no_lock_held_between_subjects(void **state)
{
	px_config *cfg;
	px_exporter *x;

	(void)state;
	make_db("DELETE");
	x = exporter(&cfg);
	assert_int_equal(export_one(x, "a@example.org", "a"), 0);
	assert_int_equal(app_write("INSERT INTO users VALUES "
				   "('b@example.org', 'Bob')"),
			 SQLITE_OK);
	assert_int_equal(export_one(x, "b@example.org", "b"), 0);
	assert_string_equal(values("b", "account", "username"), "Bob");
	assert_int_equal(app_write("DELETE FROM users WHERE email = "
				   "'a@example.org'"),
			 SQLITE_OK);
	/* Gone for the next subject: the statement reused is not a stale
	 * cursor on the old state. */
	assert_int_equal(export_one(x, "a@example.org", "a2"), 67);
	px_exporter_free(x);
	px_config_free(cfg);
}

/* Within one subject, its collections share one snapshot, even when the
 * platform commits between them (issue 9); the second subject of the
 * run too, and it starts from what was committed before it began. */
static void test_one_snapshot_per_subject(void **state)
{
	px_config *cfg;
	px_exporter *x;

	(void)state;
	make_db("WAL");
	x = exporter(&cfg);
	pending_write = "UPDATE users SET first_name = 'Changed'";
	assert_int_equal(export_one(x, "a@example.org", "a"), 0);
	assert_int_equal(pending_rc, SQLITE_OK);
	assert_string_equal(values("a", "profile", "given_name"), "Ann");
	assert_string_equal(values("a", "account", "username"), "Ann");

	assert_int_equal(app_write("INSERT INTO users VALUES "
				   "('b@example.org', 'Bob')"),
			 SQLITE_OK);
	pending_write = "UPDATE users SET first_name = 'Again'";
	assert_int_equal(export_one(x, "b@example.org", "b"), 0);
	assert_int_equal(pending_rc, SQLITE_OK);
	assert_string_equal(values("b", "profile", "given_name"), "Bob");
	assert_string_equal(values("b", "account", "username"), "Bob");
	px_exporter_free(x);
	px_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_next_subject_sees_rows_committed_since, setup_mark,
		teardown),
	    cmocka_unit_test_setup_teardown(test_no_lock_held_between_subjects,
					    setup_mark, teardown),
	    cmocka_unit_test_setup_teardown(test_one_snapshot_per_subject,
					    setup_mark, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
