/* cli and secret: secret input sources, JSON writer, progress off a TTY. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "testutil.h"
#include "cli.h"
#include "err.h"
#include "file.h"
#include "buf.h"
#include "secret.h"

static char dir[] = "/tmp/coffer-cli-XXXXXX";

static void
path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void
test_secret_from_file(void **state)
{
	struct cli_secret_src src = { 0 };
	struct secret *s = NULL;
	char p[256];
	FILE *f;

	(void)state;
	path_in(p, sizeof(p), "pin");
	f = fopen(p, "w");
	fputs("correct horse\nsecond line\n", f);
	fclose(f);
	src.file = p;
	/* readable by others: refused, naming the chmod that fixes it */
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(cli_read_secret("x", &src, 0, &s), CE_POLICY);
	assert_non_null(strstr(err_detail(), "chmod 600"));
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(cli_read_secret("x", &src, 0, &s), 0);
	assert_int_equal(secret_len(s), 13);
	assert_memory_equal(secret_ptr(s), "correct horse", 13);
	secret_free(s);
	/* missing file: a clear I/O error naming the file */
	src.file = "/nonexistent/pin";
	assert_int_equal(cli_read_secret("x", &src, 0, &s), CE_IO);
	assert_non_null(strstr(err_detail(), "/nonexistent/pin"));
	/* a directory where the file should be: said so, not "empty" */
	src.file = "/";
	assert_int_equal(cli_read_secret("x", &src, 0, &s), CE_IO);
	assert_non_null(strstr(err_detail(), "is a directory"));
	/* empty file: refused */
	path_in(p, sizeof(p), "empty");
	src.file = p;
	f = fopen(p, "w");
	fclose(f);
	assert_int_equal(chmod(p, 0600), 0);
	src.file = p;
	assert_int_equal(cli_read_secret("x", &src, 0, &s), CE_INVALID);
}

static void
test_secret_from_env_is_removed(void **state)
{
	struct cli_secret_src src = { 0 };
	struct secret *s = NULL;

	(void)state;
	setenv("COFFER_TEST_PIN", "s3cret", 1);
	src.env = "COFFER_TEST_PIN";
	assert_int_equal(cli_read_secret("x", &src, 0, &s), 0);
	assert_memory_equal(secret_ptr(s), "s3cret", 6);
	/* gone from the environment, so children cannot inherit it */
	assert_null(getenv("COFFER_TEST_PIN"));
	secret_free(s);
	assert_int_equal(cli_read_secret("x", &src, 0, &s), CE_USAGE);
}

/* Runs one "command" that builds a document, returns what stdout got. */
static char *
json_run(int status, int mode, int close_root, const char *label)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct json *j = json_new(f);

	cli_json_reset();
	if (mode)
		cli_json_mode();
	json_obj_begin(j, NULL);
	json_str(j, "label", label);
	json_int(j, "count", -3);
	json_arr_begin(j, "items");
	json_int(j, NULL, 1);
	json_bool(j, NULL, 1);
	json_arr_end(j);
	if (close_root)
		json_obj_end(j);
	json_free(j);
	if (status == EXIT_REFUSED)
		(void)cli_fail("test", CE_BAD_CREDENTIAL, "login");
	assert_int_equal(cli_exit(status), status);
	fclose(f);
	return out;
}

static void
test_json_writer(void **state)
{
	char *out;

	(void)state;
	out = json_run(0, 1, 1, "a \"quoted\"\nname");
	assert_string_equal(out, "{\"ok\":true,\"label\":\"a \\\"quoted\\\"\\n"
	    "name\",\"count\":-3,\"items\":[1,true]}\n");
	free(out);
	/* bytes that are not UTF-8 stay visible as U+FFFD */
	out = json_run(0, 1, 1, "p\xff");
	assert_non_null(strstr(out, "\"label\":\"p\xef\xbf\xbd\""));
	free(out);
	cli_json_reset();
}

/* A spooled array prints as the same document an in-memory one makes. */
static void
test_json_spooled_array(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	struct json *j;
	int i;

	(void)state;
	cli_json_reset();
	cli_json_mode();
	f = open_memstream(&out, &len);
	j = json_new(f);
	json_obj_begin(j, NULL);
	json_str(j, "label", "p1");
	json_arr_begin_spooled(j, "objects");
	for (i = 1; i <= 3; i++) {
		json_obj_begin(j, NULL);
		json_int(j, "handle", i);
		json_str(j, "label", "k\001");
		json_obj_end(j);
	}
	json_arr_end(j);
	json_int(j, "count", 3);
	json_obj_end(j);
	json_free(j);
	assert_int_equal(cli_exit(0), 0);
	fclose(f);
	assert_string_equal(out, "{\"ok\":true,\"label\":\"p1\",\"objects\":["
	    "{\"handle\":1,\"label\":\"k\\u0001\"},"
	    "{\"handle\":2,\"label\":\"k\\u0001\"},"
	    "{\"handle\":3,\"label\":\"k\\u0001\"}],\"count\":3}\n");
	free(out);
	/* an empty one is [] */
	cli_json_reset();
	f = open_memstream(&out, &len);
	j = json_new(f);
	json_obj_begin(j, NULL);
	json_arr_begin_spooled(j, "objects");
	json_arr_end(j);
	json_obj_end(j);
	json_free(j);
	assert_int_equal(cli_exit(0), 0);
	fclose(f);
	assert_string_equal(out, "{\"ok\":true,\"objects\":[]}\n");
	free(out);
	cli_json_reset();
}

static void
test_json_failure_document(void **state)
{
	char *out, *err;

	(void)state;
	/* a built document of a failed command says so and carries the error */
	out = json_run(EXIT_REFUSED, 1, 1, "x");
	assert_non_null(strstr(out, "{\"ok\":false,\"label\":\"x\""));
	assert_non_null(err = strstr(out, "\"error\":{\"code\":"
	    "\"bad_credential\",\"exit\":3,\"message\":\"login: "));
	assert_null(strchr(strchr(out, '\n') + 1, '{')); /* one document */
	free(out);
	/* a document left open is dropped: the error document replaces it */
	out = json_run(EXIT_FAILED, 1, 0, "half");
	assert_null(strstr(out, "half"));
	free(out);
	/* no --json: failures print nothing on stdout */
	out = json_run(EXIT_FAILED, 0, 0, "x");
	assert_true(out == NULL || *out == '\0');
	free(out);
	cli_json_reset();
}

static void
test_progress_silent_off_tty(void **state)
{
	struct progress *p;
	int saved = dup(STDERR_FILENO), fds[2];
	char c;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	dup2(fds[1], STDERR_FILENO);
	p = progress_new("copy", 10);
	progress_update(p, 5);
	progress_done(p);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(fds[1]);
	/* nothing was drawn on a pipe */
	assert_int_equal(read(fds[0], &c, 1), 0);
	close(fds[0]);
	close(saved);
}

static void
test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(err_exit_code(0), 0);
	assert_int_equal(err_exit_code(CE_USAGE), 2);
	assert_int_equal(err_exit_code(CE_BAD_CREDENTIAL), 3);
	assert_int_equal(err_exit_code(CE_DOMAIN_MISMATCH), 3);
	assert_int_equal(err_exit_code(CE_POLICY), 3);
	assert_int_equal(err_exit_code(CE_INTEGRITY), 4);
	assert_int_equal(err_exit_code(CE_IO), 1);
	/* every code has its own message */
	for (int r = CE_NOMEM; r > CE_LAST; r--)
		assert_string_not_equal(err_str(r), "unknown error");
}

static void
test_secret_file_exclusive(void **state)
{
	struct buf *b = NULL;
	struct stat st;
	char p[256];

	(void)state;
	path_in(p, sizeof(p), "key");
	assert_int_equal(file_write_secret(p, "abc", 3, 0), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* refuses to overwrite without force */
	assert_int_equal(file_write_secret(p, "xyz", 3, 0), CE_EXISTS);
	assert_int_equal(file_read(p, 100, &b), 0);
	assert_memory_equal(buf_ptr(b), "abc", 3);
	buf_free(b);
	assert_int_equal(file_write_secret(p, "xyz", 3, 1), 0);
	assert_int_equal(file_read(p, 100, &b), 0);
	assert_memory_equal(buf_ptr(b), "xyz", 3);
	buf_free(b);
	assert_int_equal(file_read(p, 2, &b), CE_TOO_LONG);
}

static void
test_secret_buffers(void **state)
{
	struct secret *a = secret_from("hello", 5), *b = secret_dup(a);

	(void)state;
	assert_true(secret_equal(a, b));
	secret_ptr(b)[0] ^= 1;
	assert_false(secret_equal(a, b));
	secret_truncate(a, 2);
	assert_int_equal(secret_len(a), 2);
	secret_free(a);
	secret_free(b);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_from_file),
		cmocka_unit_test(test_secret_from_env_is_removed),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_json_failure_document),
		cmocka_unit_test(test_progress_silent_off_tty),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json_spooled_array),
		cmocka_unit_test(test_secret_file_exclusive),
		cmocka_unit_test(test_secret_buffers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
