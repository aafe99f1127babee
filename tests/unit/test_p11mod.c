/*
 * p11mod against SoftHSM2 (skipped when it is not installed): a wrong PIN
 * and a missing token are named errors; an export hands over an
 * extractable key with its value (the one the token holds) and names a
 * non-extractable one; an import makes a token object that an undo
 * removes; and after each, no session object of Coffer's transport is
 * left (session objects are visible to every session of the process, so
 * this test's own session sees them if they were).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include "testutil.h"

#include "err.h"
#include "p11mod.h"
#include "p11uri.h"
#include "secret.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define PIN "unit-pin-1234"

static CK_FUNCTION_LIST_PTR f;
static CK_SESSION_HANDLE s;
static void *dl;
static char dir[] = "/tmp/coffer-p11mod.XXXXXX";
static uint8_t aes_value[32];

static int
setup(void **state)
{
	CK_C_GetFunctionList gfl;
	CK_C_INITIALIZE_ARGS ia;
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	CK_OBJECT_CLASS sec = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG len = 32;
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_OBJECT_HANDLE h;
	char cmd[512], conf[300];
	FILE *fp;

	(void)state;
	if (secret_init() != 0)
		return -1;
	if (access(MODULE, R_OK) != 0 || system("command -v softhsm2-util "
	    ">/dev/null") != 0 || mkdtemp(dir) == NULL)
		return 0;
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "directories.tokendir = %s\nobjectstore.backend = file\n"
	    "log.level = ERROR\n", dir);
	fclose(fp);
	setenv("SOFTHSM2_CONF", conf, 1);
	snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free --label "
	    "unit --pin %s --so-pin %s >/dev/null", PIN, PIN);
	if (system(cmd) != 0 || (dl = dlopen(MODULE, RTLD_NOW)) == NULL)
		return -1;
	*(void **)&gfl = dlsym(dl, "C_GetFunctionList");
	memset(&ia, 0, sizeof(ia));
	ia.flags = CKF_OS_LOCKING_OK;
	if (gfl(&f) != CKR_OK || f->C_Initialize(&ia) != CKR_OK ||
	    f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK || n == 0 ||
	    f->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &s) != CKR_OK ||
	    f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)PIN, strlen(PIN)) != CKR_OK)
		return -1;
	{
		CK_ATTRIBUTE out[] = {
			{ CKA_CLASS, &sec, sizeof(sec) }, { CKA_KEY_TYPE, &aes,
			sizeof(aes) }, { CKA_TOKEN, &yes, 1 },
			{ CKA_VALUE_LEN, &len, sizeof(len) },
			{ CKA_EXTRACTABLE, &yes, 1 }, { CKA_SENSITIVE, &no, 1 },
			{ CKA_LABEL, "out", 3 },
		};
		CK_ATTRIBUTE stuck[] = {
			{ CKA_CLASS, &sec, sizeof(sec) }, { CKA_KEY_TYPE, &aes,
			sizeof(aes) }, { CKA_TOKEN, &yes, 1 },
			{ CKA_VALUE_LEN, &len, sizeof(len) },
			{ CKA_EXTRACTABLE, &no, 1 }, { CKA_LABEL, "stuck", 5 },
		};
		CK_ATTRIBUTE v = { CKA_VALUE, aes_value, sizeof(aes_value) };

		if (f->C_GenerateKey(s, &gen, out, 7, &h) != CKR_OK ||
		    f->C_GetAttributeValue(s, h, &v, 1) != CKR_OK ||
		    f->C_GenerateKey(s, &gen, stuck, 6, &h) != CKR_OK)
			return -1;
	}
	/* p11mod logs in itself: the login is the application's. */
	return f->C_Logout(s) == CKR_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (f != NULL) {
		f->C_CloseSession(s);
		f->C_Finalize(NULL);
	}
	if (dl != NULL)
		dlclose(dl);
	if (strchr(dir, 'X') == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		return system(cmd) == 0 ? 0 : -1;
	}
	return 0;
}

/* Session objects this process can see (CKA_TOKEN false). */
static CK_ULONG
session_objects(void)
{
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE t = { CKA_TOKEN, &no, 1 };
	CK_OBJECT_HANDLE hs[8];
	CK_ULONG n = 0;

	assert_int_equal(f->C_FindObjectsInit(s, &t, 1), CKR_OK);
	assert_int_equal(f->C_FindObjects(s, hs, 8, &n), CKR_OK);
	f->C_FindObjectsFinal(s);
	return n;
}

static CK_ULONG
token_objects(const char *label)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = { { CKA_TOKEN, &yes, 1 },
	    { CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE hs[8];
	CK_ULONG n = 0;

	assert_int_equal(f->C_FindObjectsInit(s, t, 2), CKR_OK);
	assert_int_equal(f->C_FindObjects(s, hs, 8, &n), CKR_OK);
	f->C_FindObjectsFinal(s);
	return n;
}

struct seen {
	int out, stuck;
};

static int
collect(void *ctx, struct p11mod_obj *o)
{
	struct seen *sn = ctx;
	const struct p11mod_attr *l = p11mod_obj_attr(o, CKA_LABEL);

	assert_non_null(l);
	if (l->len == 3 && memcmp(l->val, "out", 3) == 0) {
		assert_null(o->why);
		assert_non_null(o->value);
		assert_int_equal(secret_len(o->value), 32);
		assert_memory_equal(secret_ptr(o->value), aes_value, 32);
		sn->out++;
	} else if (l->len == 5 && memcmp(l->val, "stuck", 5) == 0) {
		assert_non_null(o->why);
		assert_non_null(strstr(o->why, "CKA_EXTRACTABLE false"));
		assert_null(o->value);
		sn->stuck++;
	} else
		fail_msg("an object that is not on the token");
	return 0;
}

static void
test_open_login(void **state)
{
	struct p11uri u;
	struct p11mod *m = NULL;
	struct secret *bad = secret_from("wrong-pin-99", 12);

	(void)state;
	if (f == NULL)
		skip();
	assert_int_equal(p11uri_parse("pkcs11:token=nope", &u), 0);
	assert_int_equal(p11mod_open(MODULE, &u, &m), CE_NOT_FOUND);
	assert_non_null(strstr(err_detail(), "'unit'"));
	assert_int_equal(p11mod_open("/nonexistent/module.so", &u, &m),
	    CE_NOT_FOUND);
	assert_int_equal(p11uri_parse("pkcs11:token=unit", &u), 0);
	assert_int_equal(p11mod_open(MODULE, &u, &m), 0);
	assert_string_equal(p11mod_token(m)->label, "unit");
	assert_true(strlen(p11mod_token(m)->serial) > 0);
	assert_int_equal(p11mod_login(m, bad), CE_BAD_CREDENTIAL);
	p11mod_close(m);
	secret_free(bad);
}

static void
test_export_import(void **state)
{
	struct p11uri u;
	struct p11mod *m = NULL;
	struct secret *pin = secret_from(PIN, strlen(PIN));
	struct p11mod_obj o;
	struct seen sn = { 0, 0 };
	char desc[64];
	uint8_t b1 = 1, kt[8] = { 0, 0, 0, 0, 0, 0, 0, CKK_AES },
	    cls[8] = { 0, 0, 0, 0, 0, 0, 0, CKO_SECRET_KEY };

	(void)state;
	if (f == NULL)
		skip();
	assert_int_equal(p11uri_parse("pkcs11:token=unit", &u), 0);
	assert_int_equal(p11mod_open(MODULE, &u, &m), 0);
	assert_int_equal(p11mod_login(m, pin), 0);
	assert_int_equal(p11mod_export(m, collect, &sn, desc, sizeof(desc)), 0);
	assert_int_equal(sn.out, 1);
	assert_int_equal(sn.stuck, 1);
	assert_non_null(strstr(desc, "OAEP"));
	assert_int_equal(session_objects(), 0);

	/* an import, undone: nothing of it stays */
	memset(&o, 0, sizeof(o));
	o.cls = CKO_SECRET_KEY;
	o.key_type = CKK_AES;
	assert_int_equal(p11mod_obj_set(&o, 0x0, cls, 8), 0);
	assert_int_equal(p11mod_obj_set(&o, 0x100, kt, 8), 0);
	assert_int_equal(p11mod_obj_set(&o, CKA_LABEL, "imp", 3), 0);
	assert_int_equal(p11mod_obj_set(&o, CKA_EXTRACTABLE, &b1, 1), 0);
	assert_int_equal(p11mod_obj_set(&o, CKA_ENCRYPT, &b1, 1), 0);
	o.value = secret_from(aes_value, 32);
	assert_int_equal(p11mod_import_begin(m, desc, sizeof(desc)), 0);
	assert_int_equal(session_objects(), 1);   /* the transport key */
	assert_int_equal(p11mod_import(m, &o), 0);
	assert_int_equal(token_objects("imp"), 1);
	assert_true(p11mod_has_label(m, CKO_SECRET_KEY, "imp"));
	p11mod_import_end(m, 1);
	assert_int_equal(token_objects("imp"), 0);
	assert_int_equal(session_objects(), 0);
	/* and kept */
	assert_int_equal(p11mod_import_begin(m, desc, sizeof(desc)), 0);
	assert_int_equal(p11mod_import(m, &o), 0);
	p11mod_import_end(m, 0);
	assert_int_equal(token_objects("imp"), 1);
	assert_int_equal(session_objects(), 0);
	p11mod_obj_clear(&o);
	p11mod_close(m);
	secret_free(pin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_login),
		cmocka_unit_test(test_export_import),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
