// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * outfile: the report files of `trace`, on a real file system in a fresh
 * temporary directory: bad paths fail at open, symbolic links to files are
 * not followed (links to devices are), old content survives until a report
 * replaces it, created files get OUTFILE_MODE less the umask, and write
 * errors (a full device, a pipe without a reader) come back with the
 * report's name and the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "outfile.h"
#include "cases.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gm-outfile-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static const char *at(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *get(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_create_write_mode(void **state)
{
	struct outfile o;
	struct gm_err err = {};
	struct stat st;
	mode_t old = umask(022);
	FILE *f;

	(void)state;
	assert_int_equal(outfile__open(&o, "JSON report", at("new.json"), NULL, &err), 0);
	/* created at once: a bad path would have failed here */
	assert_int_equal(stat(at("new.json"), &st), 0);
	assert_int_equal(st.st_mode & 07777, OUTFILE_MODE & ~022);
	f = outfile__begin(&o, &err);
	assert_non_null(f);
	fputs("{}\n", f);
	assert_int_equal(outfile__end(&o, &err), 0);
	assert_string_equal(get(at("new.json")), "{}\n");
	umask(old);
}

static void test_old_content_kept_until_begin(void **state)
{
	struct outfile o;
	struct gm_err err = {};
	FILE *f;

	(void)state;
	put(at("old.txt"), "previous report, longer than the new one\n");
	assert_int_equal(outfile__open(&o, "text report", at("old.txt"), NULL, &err), 0);
	assert_string_equal(get(at("old.txt")), "previous report, longer than the new one\n");
	f = outfile__begin(&o, &err);
	assert_non_null(f);
	fputs("new\n", f);
	assert_int_equal(outfile__end(&o, &err), 0);
	/* truncated: nothing of the longer old report is left behind */
	assert_string_equal(get(at("old.txt")), "new\n");
}

static void test_abandon(void **state)
{
	struct outfile o;
	struct gm_err err = {};

	(void)state;
	/* a file made at open and never written is removed again */
	assert_int_equal(outfile__open(&o, "JSON report", at("never.json"), NULL, &err), 0);
	outfile__abandon(&o);
	assert_int_equal(access(at("never.json"), F_OK), -1);
	/* one that was there before stays, content and all */
	put(at("kept.json"), "old\n");
	assert_int_equal(outfile__open(&o, "JSON report", at("kept.json"), NULL, &err), 0);
	outfile__abandon(&o);
	assert_string_equal(get(at("kept.json")), "old\n");
}

/*
 * Paths a report file is refused at open, before any tracing: the error
 * (its code, and what its message names), nothing used, nothing created or
 * written through a link.
 */
struct refusal {
	const char *name;
	const char *what;		/* the report's name */
	const char *path;		/* under the test directory; NULL: the directory itself */
	void (*prepare)(void);
	int rc;				/* 0: any error */
	const char *says[3];		/* in the message; "@": the directory's path */
	const char *absent;		/* nothing made here */
	const char *kept;		/* victim: still holds "precious\n" */
};

static void victim_and_link(void)
{
	put(at("victim"), "precious\n");
	assert_int_equal(symlink(at("victim"), at("trap.json")), 0);
}

static void dangling_link(void)
{
	assert_int_equal(symlink(at("made-by-link"), at("dangling.json")), 0);
}

static const struct refusal refusals[] = {
	{ "refused: a missing directory", "pprof profile", "no/such/dir/p.pb.gz", NULL, -ENOENT,
	  { "pprof profile", "no/such/dir/p.pb.gz", "No such file or directory" },
	  /* nothing is created at the missing path either */
	  .absent = "no" },
	{ "refused: a directory", "folded stacks", NULL, NULL, -EISDIR, { "@" } },
	{ "refused: a symbolic link to a file", "JSON report", "trap.json", victim_and_link, -ELOOP,
	  { "symbolic link" }, .kept = "victim" },
	/* nor a dangling one: following it would create the target */
	{ "refused: a dangling symbolic link", "JSON report", "dangling.json", dangling_link, 0,
	  .absent = "made-by-link" },
};

static void test_refused(void **state)
{
	const struct refusal *c = CASE(struct refusal, state);
	const char *path = c->path ? at(c->path) : dir;
	struct outfile o;
	struct gm_err err = {};
	int rc, i;

	if (c->prepare)
		c->prepare();
	rc = outfile__open(&o, c->what, path, NULL, &err);
	if (c->rc)
		assert_int_equal(rc, c->rc);
	else
		assert_true(rc < 0);
	for (i = 0; i < 3 && c->says[i]; i++)
		assert_non_null(strstr(err.msg, strcmp(c->says[i], "@") ? c->says[i] : dir));
	if (c->rc == -ENOENT)
		assert_false(outfile__used(&o));
	if (c->absent)
		assert_int_equal(access(at(c->absent), F_OK), -1);
	if (c->kept)
		assert_string_equal(get(at(c->kept)), "precious\n");
}

/* a link in a directory component is the user's own naming: followed */
static void test_symlink_in_directory_followed(void **state)
{
	struct outfile o;
	struct gm_err err = {};

	(void)state;
	assert_int_equal(mkdir(at("real"), 0755), 0);
	assert_int_equal(symlink(at("real"), at("alias")), 0);
	assert_int_equal(outfile__open(&o, "JSON report", at("alias/r.json"), NULL, &err), 0);
	assert_non_null(outfile__begin(&o, &err));
	assert_int_equal(outfile__end(&o, &err), 0);
	assert_int_equal(access(at("real/r.json"), F_OK), 0);
}

static void test_symlink_to_device_followed(void **state)
{
	struct outfile o;
	struct gm_err err = {};
	FILE *f;

	(void)state;
	assert_int_equal(symlink("/dev/null", at("null")), 0);
	assert_int_equal(outfile__open(&o, "JSON report", at("null"), NULL, &err), 0);
	f = outfile__begin(&o, &err);
	assert_non_null(f);
	fputs("gone\n", f);
	assert_int_equal(outfile__end(&o, &err), 0);
}

static void test_full_device(void **state)
{
	struct outfile o;
	struct gm_err err = {};
	FILE *f;

	(void)state;
	assert_int_equal(outfile__open(&o, "text report", "/dev/full", NULL, &err), 0);
	f = outfile__begin(&o, &err);
	assert_non_null(f);
	fputs("a report that does not fit\n", f);
	assert_int_equal(outfile__end(&o, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "text report /dev/full"));
	assert_non_null(strstr(err.msg, "No space left on device"));
}

static void test_pipe_without_reader(void **state)
{
	struct outfile o;
	struct gm_err err = {};
	int fds[2], saved = dup(STDOUT_FILENO);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	FILE *f;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	fflush(stdout);
	assert_int_equal(dup2(fds[1], STDOUT_FILENO), STDOUT_FILENO);
	close(fds[1]);
	assert_int_equal(outfile__open(&o, "text report", NULL, stdout, &err), 0);
	assert_true(outfile__used(&o));
	f = outfile__begin(&o, &err);
	assert_non_null(f);
	fputs("nobody reads this\n", f);
	assert_int_equal(outfile__end(&o, &err), -EPIPE);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	clearerr(stdout);
	signal(SIGPIPE, old);
	assert_non_null(strstr(err.msg, "text report stdout"));
	assert_non_null(strstr(err.msg, "Broken pipe"));
}

static void test_dash_and_unused(void **state)
{
	struct outfile o;
	struct gm_err err = {};

	(void)state;
	assert_int_equal(outfile__open(&o, "JSON report", "-", stderr, &err), 0);
	assert_int_equal(o.fd, STDOUT_FILENO);
	assert_string_equal(outfile__name(&o), "stdout");
	assert_int_equal(outfile__end(&o, &err), 0);
	assert_int_equal(outfile__open(&o, "pprof profile", NULL, NULL, &err), 0);
	assert_false(outfile__used(&o));
	assert_null(outfile__begin(&o, &err));
	assert_int_equal(outfile__end(&o, &err), 0);
	outfile__abandon(&o);
}

int main(void)
{
	struct suite s = {};

	suite_test(&s, test_create_write_mode);
	suite_test(&s, test_old_content_kept_until_begin);
	suite_test(&s, test_abandon);
	suite_rows(&s, test_refused, refusals);
	suite_test(&s, test_symlink_in_directory_followed);
	suite_test(&s, test_symlink_to_device_followed);
	suite_test(&s, test_full_device);
	suite_test(&s, test_pipe_without_reader);
	suite_test(&s, test_dash_and_unused);
	return suite_run_fixtures(&s, "outfile", setup, teardown);
}
