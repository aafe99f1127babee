/* file: an atomic write gets the mode asked for, whatever the umask. */
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"
#include "file.h"

static void
test_atomic_mode_under_umask(void **state)
{
	char dir[] = "/tmp/coffer-test-file.XXXXXX", path[64];
	struct stat st;
	mode_t old;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	/* a service's UMask=0077; the metrics file is for node_exporter */
	old = umask(077);
	assert_int_equal(file_write_atomic(path, "x 1\n", 4, 0644), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* replaced, still its mode */
	assert_int_equal(file_write_atomic(path, "x 2\n", 4, 0640), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	umask(old);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomic_mode_under_umask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
