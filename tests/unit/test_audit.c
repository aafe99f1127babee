/* audit: append in transactions, verify, and each kind of tampering. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "hsmfix.h"
#include "audit.h"
#include "store.h"

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*lenp = (size_t)n;
	return p;
}

static void
spit(const char *path, const char *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Returns the offset of line i (0-based) in p. */
static size_t
line_at(const char *p, int i)
{
	size_t off = 0;

	while (i-- > 0)
		off = (size_t)(strchr(p + off, '\n') - p) + 1;
	return off;
}

static void
append_events(struct hsm *h, int n)
{
	struct audit_event ev;
	char d[32];
	int i;

	for (i = 0; i < n; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.event = "backup";
		ev.ok = i % 2;
		ev.partition = "p\"1\\";
		ev.serial = 123;
		snprintf(d, sizeof(d), "event %d\ttab", i);
		ev.detail = d;
		ev.count = i;
		assert_int_equal(hsm_audit(h, &ev), 0);
	}
}

static void
test_parse_roundtrip(void **state)
{
	struct hsmfix f;
	struct audit_rec rec;
	char *log, path[128];
	size_t n, off;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	append_events(f.h, 2);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	log = slurp(path, &n);
	/* the last line is ours */
	off = n - 1;
	while (off > 0 && log[off - 1] != '\n')
		off--;
	assert_int_equal(audit_parse(log + off, n - off - 1, &rec), 0);
	assert_string_equal(rec.event, "backup");
	assert_string_equal(rec.result, "ok");
	assert_string_equal(rec.partition, "p\"1\\");
	assert_string_equal(rec.detail, "event 1\ttab");
	assert_int_equal(rec.serial, 123);
	assert_int_equal(rec.count, 1);
	assert_int_equal(audit_parse("{\"seq\":1,", 9, &rec), CE_FORMAT);
	assert_int_equal(audit_parse("not json", 8, &rec), CE_FORMAT);
	free(log);
	fx_teardown(&f);
}

static void
tamper_case(struct hsmfix *f, const char *orig, size_t n, int kind)
{
	struct audit_report rep;
	char path[128], *p = malloc(2 * n);
	size_t a, b, c, m = n;

	snprintf(path, sizeof(path), "%s/audit.log", f->dir);
	memcpy(p, orig, n);
	switch (kind) {
	case 0: /* edit one character inside record 3 */
		a = line_at(p, 2);
		p[a + 12] = p[a + 12] == '1' ? '2' : '1';
		break;
	case 1: /* delete record 3 */
		a = line_at(p, 2);
		b = line_at(p, 3);
		memmove(p + a, p + b, n - b);
		m = n - (b - a);
		break;
	case 2: /* swap records 3 and 4 */
		a = line_at(p, 2);
		b = line_at(p, 3);
		c = line_at(p, 4);
		memcpy(p + a, orig + b, c - b);
		memcpy(p + a + (c - b), orig + a, b - a);
		break;
	case 3: /* drop the last record */
		for (m = n - 1; m > 0 && p[m - 1] != '\n'; m--)
			;
		break;
	case 4: /* append a copy of the last record */
		for (a = n - 1; a > 0 && p[a - 1] != '\n'; a--)
			;
		memcpy(p + n, orig + a, n - a);
		m = n + (n - a);
		break;
	}
	spit(path, p, m);
	assert_int_equal(audit_verify(hsm_store(f->h), path, &rep), CE_INTEGRITY);
	assert_true(rep.bad_line > 0);
	spit(path, orig, n);
	free(p);
}

static void
test_verify_and_tamper(void **state)
{
	struct hsmfix f;
	struct audit_report rep;
	char path[128], *orig;
	size_t n;
	int k;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	append_events(f.h, 6);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_int_equal(rep.records, rep.head_seq);
	assert_true(rep.records > 10);
	orig = slurp(path, &n);
	for (k = 0; k < 5; k++)
		tamper_case(&f, orig, n, k);
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	free(orig);
	fx_teardown(&f);
}

static void
test_rollback_truncates(void **state)
{
	struct hsmfix f;
	struct audit_event ev;
	char path[128], *a, *b;
	size_t na, nb;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	a = slurp(path, &na);
	assert_int_equal(hsm_tx_begin(f.h), 0);
	memset(&ev, 0, sizeof(ev));
	ev.event = "clone";
	ev.ok = 1;
	ev.count = -1;
	assert_int_equal(hsm_audit(f.h, &ev), 0);
	hsm_tx_rollback(f.h);
	b = slurp(path, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	/* a line past the head that is no interrupted command's own record
	 * (it does not chain): never dropped, every write refused */
	spit(path, a, na);
	{
		FILE *fp = fopen(path, "ab");

		fputs("{\"seq\":999,\"garbage\":1}\n", fp);
		fclose(fp);
	}
	b = (free(b), slurp(path, &nb));
	assert_int_equal(hsm_audit(f.h, &ev), CE_INTEGRITY);
	assert_non_null(strstr(err_detail(), "hsm audit quarantine"));
	{
		size_t nc;
		char *c = slurp(path, &nc);

		assert_int_equal(nc, nb);
		assert_memory_equal(c, b, nb);
		free(c);
	}
	free(a);
	free(b);
	fx_teardown(&f);
}

/*
 * A command that dies after its audit line is durable and before hsm.db
 * commits: verify reports the tail (not tampering), the next write drops
 * it and records the drop, and the chain verifies clean.
 */
static void
test_crash_tail_recovered(void **state)
{
	struct hsmfix f;
	struct audit_event ev;
	struct audit_report rep;
	struct audit_tail t;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	memset(&ev, 0, sizeof(ev));
	ev.event = "clone";
	ev.ok = 1;
	ev.count = -1;
	if ((pid = fork()) == 0) {
		struct hsm *h;

		if (hsm_open(f.dir, &h) != 0 || hsm_tx_begin(h) != 0 ||
		    hsm_audit(h, &ev) != 0)
			_exit(1);
		setenv("COFFER_TEST_CRASH_AT", "before-commit", 1);
		(void)hsm_tx_commit(h);
		_exit(2);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 137);
	assert_int_equal(audit_tail(hsm_store(f.h), hsm_audit_path(f.h), &t),
	    0);
	assert_int_equal(t.kind, AUDIT_TAIL_CRASH);
	assert_string_equal(t.event, "clone");
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_true(rep.crash_tail);
	assert_int_equal(rep.tail_seq, t.seq);
	ev.event = "login";
	assert_int_equal(hsm_audit(f.h, &ev), 0);
	assert_int_equal(hsm_audit_verify(f.h, &rep), 0);
	assert_false(rep.crash_tail);
	assert_int_equal(audit_tail(hsm_store(f.h), hsm_audit_path(f.h), &t),
	    0);
	assert_int_equal(t.kind, AUDIT_TAIL_NONE);
	fx_teardown(&f);
}

static void
test_outside_transaction_refused(void **state)
{
	struct hsmfix f;
	struct audit_event ev;
	char path[128];

	(void)state;
	assert_int_equal(fx_setup(&f), 0);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	memset(&ev, 0, sizeof(ev));
	ev.event = "x";
	assert_int_equal(audit_append(hsm_store(f.h), path, &ev), CE_INVALID);
	fx_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_verify_and_tamper),
		cmocka_unit_test(test_rollback_truncates),
		cmocka_unit_test(test_crash_tail_recovered),
		cmocka_unit_test(test_outside_transaction_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
