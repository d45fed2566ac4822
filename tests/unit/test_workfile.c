/* test_workfile.c - files without a name until they are published, and the
 * sweep of what older versions left. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "package/workfile.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/px-test-workfile-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* The names in dir, sorted, joined with spaces ("" when empty). */
static char *names(const char *d)
{
	static char out[4096];
	struct dirent **list;
	int n = scandir(d, &list, NULL, alphasort);

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") &&
		    strcmp(list[i]->d_name, "..")) {
			if (out[0])
				strcat(out, " ");
			strcat(out, list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	return out;
}

/* Makes path look untouched for age_s seconds. */
static void age(const char *path, int age_s)
{
	struct timeval tv[2];

	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= age_s;
	tv[1] = tv[0];
	assert_int_equal(utimes(path, tv), 0);
}

static void put(const char *path, const char *text, int age_s)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (age_s)
		age(path, age_s);
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *in_dir(const char *name)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void test_a_working_file_has_no_name(void **state)
{
	px_error err = PX_ERROR_INIT;
	px_workfile w;
	int fd;

	(void)state;
	fd = px_workfile_anon(dir, "spool", &err);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "records", 7), 7);
	assert_string_equal(names(dir), "");
	close(fd);
	assert_int_equal(px_workfile_new(&w, dir, "package", &err), 0);
	assert_int_equal(write(w.fd, "zip", 3), 3);
	assert_string_equal(names(dir), "");
	px_workfile_drop(&w);
	assert_string_equal(names(dir), "");
}

static void test_publish_gives_the_whole_file_its_name(void **state)
{
	px_error err = PX_ERROR_INIT;
	px_workfile w;
	int eexist = -1;

	(void)state;
	assert_int_equal(px_workfile_new(&w, dir, "package", &err), 0);
	assert_int_equal(write(w.fd, "complete", 8), 8);
	assert_int_equal(
	    px_workfile_publish(&w, in_dir("a.zip"), 0, &eexist, &err), 0);
	assert_int_equal(eexist, 0);
	px_workfile_drop(&w);
	assert_string_equal(names(dir), "a.zip");
	assert_string_equal(slurp(in_dir("a.zip")), "complete");
}

/* A file that appeared at the target while the package was written
 * (another export, a person) stays as it is: a rename would replace it. */
static void test_publish_never_replaces_a_file_that_appeared(void **state)
{
	px_error err = PX_ERROR_INIT;
	px_workfile w;
	int eexist = 0;

	(void)state;
	assert_int_equal(px_workfile_new(&w, dir, "package", &err), 0);
	assert_int_equal(write(w.fd, "ours", 4), 4);
	put(in_dir("a.zip"), "theirs", 0);
	assert_int_equal(
	    px_workfile_publish(&w, in_dir("a.zip"), 0, &eexist, &err), -1);
	assert_int_equal(eexist, 1);
	assert_int_equal(err.code, PX_EXIT_CANTCREAT);
	px_workfile_drop(&w);
	assert_string_equal(slurp(in_dir("a.zip")), "theirs");
	assert_string_equal(names(dir), "a.zip");
}

static void test_replace_leaves_only_the_new_file(void **state)
{
	px_error err = PX_ERROR_INIT;
	px_workfile w;

	(void)state;
	put(in_dir("a.zip"), "old", 0);
	assert_int_equal(px_workfile_new(&w, dir, "package", &err), 0);
	assert_int_equal(write(w.fd, "new", 3), 3);
	assert_int_equal(
	    px_workfile_publish(&w, in_dir("a.zip"), 1, NULL, &err), 0);
	px_workfile_drop(&w);
	assert_string_equal(slurp(in_dir("a.zip")), "new");
	assert_string_equal(names(dir), "a.zip");
}

static void test_a_folder_that_is_not_there_is_named(void **state)
{
	px_error err = PX_ERROR_INIT;

	(void)state;
	assert_int_equal(px_workfile_anon("/nonexistent/px", "spool", &err),
			 -1);
	assert_int_equal(err.code, PX_EXIT_CANTCREAT);
	assert_string_equal(err.msg, "cannot write spool in /nonexistent/px: "
				     "No such file or directory");
}

/* What older versions and crashes left goes; what is in use, recent, or
 * only looks like it stays. */
static void test_sweep_removes_old_leftovers_only(void **state)
{
	char spool[512];
	int held;

	(void)state;
	put(in_dir(".portex-Ab12Cd.tmp"), "old archive", 3600);
	put(in_dir(".portex-Ab12Cd.tmp.Xy34Zw"), "libzip's copy", 3600);
	put(in_dir(".portex-4242.0badcafe-Ab12Cd.tmp"), "tagged", 3600);
	put(in_dir(".portex-Qq11Rr.tmp"), "an export at work", 0);
	put(in_dir(".portex-Hh22Jj.tmp"), "locked by its writer", 3600);
	put(in_dir(".portex-pg"), "someone's marker", 3600);
	put(in_dir(".portex-notes.txt"), "a person's file", 3600);
	held = open(in_dir(".portex-Hh22Jj.tmp"), O_RDONLY);
	assert_int_equal(flock(held, LOCK_EX), 0);
	assert_int_equal(px_workfile_sweep(dir, PX_WORKFILE_PREFIX), 3);
	assert_string_equal(names(dir), ".portex-Hh22Jj.tmp .portex-Qq11Rr.tmp "
					".portex-notes.txt .portex-pg");
	close(held);

	snprintf(spool, sizeof(spool), "%s/portex-spool-Zz99Yy", dir);
	assert_int_equal(mkdir(spool, 0700), 0);
	put(in_dir("portex-spool-Zz99Yy/score.json"), "{\"records\":[]}", 3600);
	put(in_dir("portex-spool-Zz99Yy/doc-0"), "%PDF", 3600);
	age(spool, 3600);
	assert_int_equal(px_workfile_sweep(dir, PX_SPOOL_PREFIX), 1);
	assert_string_equal(names(dir), ".portex-Hh22Jj.tmp .portex-Qq11Rr.tmp "
					".portex-notes.txt .portex-pg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_working_file_has_no_name,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_publish_gives_the_whole_file_its_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_publish_never_replaces_a_file_that_appeared, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_replace_leaves_only_the_new_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_folder_that_is_not_there_is_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_sweep_removes_old_leftovers_only, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
