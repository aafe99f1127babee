/*
 * pkcs11: the module's functions called directly (the e2e scenarios drive
 * it through pkcs11-tool, which cannot load the ASan build; this runs in
 * both): life and argument checks, per-token login shared by sessions,
 * AES-GCM (pkcs11-tool 0.23 has no GCM), sign/verify with size queries,
 * threads signing at once through the module's one lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "hsmfix.h"
#include "mod.h"

static struct hsmfix f;
static char conf[128];

static int
setup(void **state)
{
	FILE *fp;

	(void)state;
	if (fx_setup(&f) != 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/pkcs11.conf", f.dir);
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "# the fixture's HSM\n  hsm %s  \n\n", f.dir);
	fclose(fp);
	setenv("COFFER_PKCS11_CONF", conf, 1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	remove(conf);
	fx_teardown(&f);
	return 0;
}

/* Opens an RW session on slot 0 and logs the CO in. */
static CK_SESSION_HANDLE
co_session(void)
{
	CK_SESSION_HANDLE h = 0;

	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &h), CKR_OK);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"co-pin", 6),
	    CKR_OK);
	return h;
}

static void
test_life_and_slots(void **state)
{
	CK_C_INITIALIZE_ARGS a;
	CK_FUNCTION_LIST_PTR fl = NULL;
	CK_SLOT_ID slots[4];
	CK_ULONG n = 0;
	CK_TOKEN_INFO ti;
	CK_INFO info;

	(void)state;
	assert_int_equal(C_GetSlotList(CK_TRUE, NULL, &n),
	    CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(C_GetFunctionList(&fl), CKR_OK);
	assert_ptr_equal(fl->C_Sign, C_Sign);
	assert_int_equal(fl->C_DigestInit(0, NULL), CKR_FUNCTION_NOT_SUPPORTED);
	/* the application's own mutexes without OS locking: refused */
	memset(&a, 0, sizeof(a));
	a.CreateMutex = (CK_CREATEMUTEX)1;
	assert_int_equal(C_Initialize(&a), CKR_ARGUMENTS_BAD);
	a.DestroyMutex = (CK_DESTROYMUTEX)1;
	a.LockMutex = (CK_LOCKMUTEX)1;
	a.UnlockMutex = (CK_UNLOCKMUTEX)1;
	assert_int_equal(C_Initialize(&a), CKR_CANT_LOCK);
	a.flags = CKF_OS_LOCKING_OK;
	assert_int_equal(C_Initialize(&a), CKR_OK);
	assert_int_equal(C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	assert_int_equal(C_GetInfo(&info), CKR_OK);
	assert_int_equal(info.cryptokiVersion.minor, 40);
	assert_int_equal(C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(C_GetSlotList(CK_TRUE, slots, &n),
	    CKR_BUFFER_TOO_SMALL);
	n = 4;
	assert_int_equal(C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
	assert_memory_equal(ti.label, "p1 ", 3);
	assert_memory_equal(ti.model, "Coffer ", 7);
	assert_true(ti.flags & CKF_USER_PIN_INITIALIZED);
	assert_int_equal(C_GetTokenInfo(1, &ti), CKR_SLOT_ID_INVALID);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void
test_bad_conf(void **state)
{
	FILE *fp;
	char bad[160];

	(void)state;
	snprintf(bad, sizeof(bad), "%s/bad.conf", f.dir);
	assert_non_null(fp = fopen(bad, "w"));
	fprintf(fp, "hsm %s/nothing-here\n", f.dir);
	fclose(fp);
	setenv("COFFER_PKCS11_CONF", bad, 1);
	assert_int_equal(C_Initialize(NULL), CKR_GENERAL_ERROR);
	assert_non_null(fp = fopen(bad, "w"));
	fprintf(fp, "hsms %s\n", f.dir);
	fclose(fp);
	assert_int_equal(C_Initialize(NULL), CKR_GENERAL_ERROR);
	/* no file: no slots, no error */
	remove(bad);
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	setenv("COFFER_PKCS11_CONF", conf, 1);
}

static void
test_login_shared(void **state)
{
	CK_SESSION_HANDLE a = 0, b = 0;
	CK_SESSION_INFO si;

	(void)state;
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &a),
	    CKR_OK);
	assert_int_equal(C_OpenSession(0, 0, NULL, NULL, &b),
	    CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &b), CKR_OK);
	assert_int_equal(C_Login(a, CKU_SO, (CK_UTF8CHAR_PTR)"po-pin", 6),
	    CKR_USER_TYPE_INVALID);
	assert_int_equal(C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR)"co-pi", 5),
	    CKR_PIN_INCORRECT);
	assert_int_equal(C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR)"co-pin", 6),
	    CKR_OK);
	/* the login is the token's: b is logged in too */
	assert_int_equal(C_GetSessionInfo(b, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RW_USER_FUNCTIONS);
	assert_int_equal(C_Login(b, CKU_USER, (CK_UTF8CHAR_PTR)"co-pin", 6),
	    CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(C_Login(b, MOD_CKU_CRYPTO_USER,
	    (CK_UTF8CHAR_PTR)"cu-pin", 6), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	assert_int_equal(C_Logout(b), CKR_OK);
	assert_int_equal(C_GetSessionInfo(a, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	assert_int_equal(C_Logout(a), CKR_USER_NOT_LOGGED_IN);
	/* C_SetPIN: the old PIN must be right, then the new one logs in */
	assert_int_equal(C_Login(b, CKU_USER, (CK_UTF8CHAR_PTR)"co-pin", 6),
	    CKR_OK);
	assert_int_equal(C_SetPIN(a, (CK_UTF8CHAR_PTR)"co-pin", 6,
	    (CK_UTF8CHAR_PTR)"co-pin-2", 8), CKR_SESSION_READ_ONLY);
	assert_int_equal(C_SetPIN(b, (CK_UTF8CHAR_PTR)"co-pi", 5,
	    (CK_UTF8CHAR_PTR)"co-pin-2", 8), CKR_PIN_INCORRECT);
	assert_int_equal(C_SetPIN(b, (CK_UTF8CHAR_PTR)"co-pin", 6,
	    (CK_UTF8CHAR_PTR)"co-pin-2", 8), CKR_OK);
	assert_int_equal(C_Logout(b), CKR_OK);
	assert_int_equal(C_Login(b, CKU_USER, (CK_UTF8CHAR_PTR)"co-pin", 6),
	    CKR_PIN_INCORRECT);
	assert_int_equal(C_Login(b, CKU_USER, (CK_UTF8CHAR_PTR)"co-pin-2", 8),
	    CKR_OK);
	assert_int_equal(C_SetPIN(b, (CK_UTF8CHAR_PTR)"co-pin-2", 8,
	    (CK_UTF8CHAR_PTR)"co-pin", 6), CKR_OK);
	assert_int_equal(C_Logout(b), CKR_OK);
	/* the Crypto User, Luna's vendor user type */
	assert_int_equal(C_Login(b, MOD_CKU_CRYPTO_USER,
	    (CK_UTF8CHAR_PTR)"cu-pin", 6), CKR_OK);
	assert_int_equal(C_CloseSession(a), CKR_OK);
	assert_int_equal(C_CloseSession(a), CKR_SESSION_HANDLE_INVALID);
	/* closing the last session logs out */
	assert_int_equal(C_CloseAllSessions(0), CKR_OK);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &a),
	    CKR_OK);
	assert_int_equal(C_GetSessionInfo(a, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

static void
test_aes_gcm(void **state)
{
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE k = 0, r = 0;
	CK_ULONG len32 = 32, n, m;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = {
		{ CKA_LABEL, "gcm", 3 },
		{ CKA_VALUE_LEN, &len32, sizeof(len32) },
		{ CKA_TOKEN, &yes, 1 },
	};
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	uint8_t iv[12] = { 1, 2, 3 }, aad[] = "header";
	CK_GCM_PARAMS gp = { iv, 12, 96, aad, 6, 128 };
	CK_MECHANISM mech = { CKM_AES_GCM, &gp, sizeof(gp) };
	struct {
		CK_BYTE_PTR iv;
		CK_ULONG ivlen;
		CK_BYTE_PTR aad;
		CK_ULONG aadlen, tagbits;
	} sp = { iv, 12, aad, 6, 128 }; /* CK_GCM_PARAMS without ulIvBits */
	CK_MECHANISM smech = { CKM_AES_GCM, &sp, sizeof(sp) };
	uint8_t pt[] = "attack at dawn", ct[64], ct2[64], out[64];
	uint8_t framed[80], kv[32] = { 7, 7, 7 };
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_ATTRIBUTE ct_tmpl[] = {
		{ CKA_CLASS, &sk, sizeof(sk) },
		{ CKA_LABEL, "imp1", 4 },
		{ CKA_KEY_TYPE, &aes, sizeof(aes) },
		{ CKA_VALUE, kv, sizeof(kv) },
	};
	struct session *s = NULL;
	struct secret *dec = NULL;
	uint8_t v[32];
	CK_ATTRIBUTE val = { CKA_VALUE, v, sizeof(v) };

	(void)state;
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	h = co_session();
	assert_int_equal(C_GenerateKey(h, &gen, t, 3, &k), CKR_OK);
	assert_int_equal(C_GetAttributeValue(h, k, &val, 1),
	    CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(val.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	/* a size query, then the ciphertext and its tag */
	assert_int_equal(C_EncryptInit(h, &mech, k), CKR_OK);
	assert_int_equal(C_Encrypt(h, pt, sizeof(pt), NULL, &n), CKR_OK);
	assert_int_equal(n, sizeof(pt) + 16);
	assert_int_equal(C_Encrypt(h, pt, sizeof(pt), ct, &n), CKR_OK);
	assert_int_equal(C_Encrypt(h, pt, sizeof(pt), ct, &n),
	    CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(C_DecryptInit(h, &mech, k), CKR_OK);
	m = sizeof(out);
	assert_int_equal(C_Decrypt(h, ct, n, out, &m), CKR_OK);
	assert_int_equal(m, sizeof(pt));
	assert_memory_equal(out, pt, sizeof(pt));
	/* standard GCM under the caller's IV: hsm's nonce | ct | tag opens */
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &s), 0);
	memcpy(framed, iv, 12);
	memcpy(framed + 12, ct, n);
	assert_int_equal(object_decrypt(s, "gcm", aad, 6, framed, 12 + n,
	    &dec), 0);
	assert_int_equal(secret_len(dec), sizeof(pt));
	assert_memory_equal(secret_ptr(dec), pt, sizeof(pt));
	secret_free(dec);
	session_close(s);
	/* another AAD, or a flipped bit, does not open */
	gp.ulAADLen = 5;
	assert_int_equal(C_DecryptInit(h, &mech, k), CKR_OK);
	m = sizeof(out);
	assert_int_equal(C_Decrypt(h, ct, n, out, &m),
	    CKR_ENCRYPTED_DATA_INVALID);
	gp.ulAADLen = 6;
	ct[0] ^= 1;
	assert_int_equal(C_DecryptInit(h, &mech, k), CKR_OK);
	m = sizeof(out);
	assert_int_equal(C_Decrypt(h, ct, n, out, &m),
	    CKR_ENCRYPTED_DATA_INVALID);
	/* GCM needs its 12-byte IV and a 128-bit tag */
	gp.ulIvLen = 16;
	assert_int_equal(C_EncryptInit(h, &mech, k),
	    CKR_MECHANISM_PARAM_INVALID);
	gp.ulIvLen = 12;
	gp.ulTagBits = 96;
	assert_int_equal(C_EncryptInit(h, &mech, k),
	    CKR_MECHANISM_PARAM_INVALID);
	/* the layout without ulIvBits gives the same ciphertext */
	gp.ulTagBits = 128;
	ct[0] ^= 1;
	assert_int_equal(C_EncryptInit(h, &smech, k), CKR_OK);
	m = sizeof(ct2);
	assert_int_equal(C_Encrypt(h, pt, sizeof(pt), ct2, &m), CKR_OK);
	assert_int_equal(m, n);
	assert_memory_equal(ct2, ct, n);
	/* a label in use is refused, and keys carry no session flag */
	assert_int_equal(C_GenerateKey(h, &gen, t, 3, &r),
	    CKR_TEMPLATE_INCONSISTENT);
	yes = CK_FALSE;
	t[0].pValue = "gcm2";
	t[0].ulValueLen = 4;
	assert_int_equal(C_GenerateKey(h, &gen, t, 3, &r),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	/* a sensitive key's other attributes are still there */
	val.type = CKA_LABEL;
	val.ulValueLen = sizeof(v);
	assert_int_equal(C_GetAttributeValue(h, k, &val, 1), CKR_OK);
	assert_int_equal(val.ulValueLen, 3);
	assert_int_equal(C_DestroyObject(h, k), CKR_OK);
	assert_int_equal(C_EncryptInit(h, &mech, k), CKR_KEY_HANDLE_INVALID);
	/* C_CreateObject: an AES key by value opens what an equal one sealed */
	assert_int_equal(C_CreateObject(h, ct_tmpl, 4, &r), CKR_OK);
	assert_int_equal(C_CreateObject(h, ct_tmpl, 4, &k),
	    CKR_TEMPLATE_INCONSISTENT);
	ct_tmpl[1].pValue = "imp2";
	assert_int_equal(C_CreateObject(h, ct_tmpl, 4, &k), CKR_OK);
	assert_int_equal(C_EncryptInit(h, &mech, r), CKR_OK);
	n = sizeof(ct);
	assert_int_equal(C_Encrypt(h, pt, sizeof(pt), ct, &n), CKR_OK);
	assert_int_equal(C_DecryptInit(h, &mech, k), CKR_OK);
	m = sizeof(out);
	assert_int_equal(C_Decrypt(h, ct, n, out, &m), CKR_OK);
	assert_memory_equal(out, pt, sizeof(pt));
	ct_tmpl[3].ulValueLen = 20; /* not an AES key length */
	ct_tmpl[1].pValue = "imp3";
	assert_int_equal(C_CreateObject(h, ct_tmpl, 4, &k),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(C_CreateObject(h, ct_tmpl, 1, &k),
	    CKR_TEMPLATE_INCOMPLETE);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

static void
test_sign_verify(void **state)
{
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE pub = 0, priv = 0, found[4];
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	    0x3d, 0x03, 0x01, 0x07 };
	CK_ATTRIBUTE pt[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) } };
	CK_ATTRIBUTE kt[] = { { CKA_LABEL, "ec", 2 }, { CKA_ID, "\x07", 1 } };
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE ft[] = { { CKA_CLASS, &cls, sizeof(cls) },
	    { CKA_ID, "\x07", 1 } };
	CK_OBJECT_CLASS pcls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE lt[] = { { CKA_LABEL, "ec", 2 },
	    { CKA_CLASS, &pcls, sizeof(pcls) } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM mech = { CKM_ECDSA_SHA256, NULL, 0 };
	uint8_t msg[] = "message", sig[128], point[80];
	CK_ATTRIBUTE ep = { CKA_EC_POINT, NULL, 0 };
	CK_ULONG n, cnt = 0;

	(void)state;
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	h = co_session();
	assert_int_equal(C_GenerateKeyPair(h, &gen, pt, 1, kt, 2, &pub, &priv),
	    CKR_OK);
	assert_int_equal(pub, priv | 1);
	/* the public half, found by class and id, holds the point */
	assert_int_equal(C_FindObjectsInit(h, ft, 2), CKR_OK);
	assert_int_equal(C_FindObjects(h, found, 4, &cnt), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	assert_int_equal(cnt, 1);
	assert_int_equal(found[0], pub);
	/* by label: both halves; with the private class: one; or none */
	assert_int_equal(C_FindObjectsInit(h, lt, 1), CKR_OK);
	assert_int_equal(C_FindObjects(h, found, 4, &cnt), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	assert_int_equal(cnt, 2);
	assert_int_equal(C_FindObjectsInit(h, lt, 2), CKR_OK);
	assert_int_equal(C_FindObjects(h, found, 4, &cnt), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	assert_int_equal(cnt, 1);
	assert_int_equal(found[0], priv);
	lt[0].ulValueLen = 1;
	assert_int_equal(C_FindObjectsInit(h, lt, 1), CKR_OK);
	assert_int_equal(C_FindObjects(h, found, 4, &cnt), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	assert_int_equal(cnt, 0);
	assert_int_equal(C_GetAttributeValue(h, pub, &ep, 1), CKR_OK);
	assert_int_equal(ep.ulValueLen, 67);
	ep.pValue = point;
	assert_int_equal(C_GetAttributeValue(h, pub, &ep, 1), CKR_OK);
	assert_int_equal(point[0], 0x04);
	assert_int_equal(point[2], 0x04);
	/* a public key does not sign; the private one does, in parts too */
	assert_int_equal(C_SignInit(h, &mech, pub), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(C_SignInit(h, &mech, priv), CKR_OK);
	assert_int_equal(C_SignInit(h, &mech, priv), CKR_OPERATION_ACTIVE);
	assert_int_equal(C_Sign(h, msg, 7, NULL, &n), CKR_OK);
	assert_int_equal(n, 64);
	n = 10;
	assert_int_equal(C_Sign(h, msg, 7, sig, &n), CKR_BUFFER_TOO_SMALL);
	n = sizeof(sig);
	assert_int_equal(C_Sign(h, msg, 7, sig, &n), CKR_OK);
	assert_int_equal(n, 64);
	assert_int_equal(C_VerifyInit(h, &mech, pub), CKR_OK);
	assert_int_equal(C_VerifyUpdate(h, msg, 3), CKR_OK);
	assert_int_equal(C_VerifyUpdate(h, msg + 3, 4), CKR_OK);
	assert_int_equal(C_VerifyFinal(h, sig, n), CKR_OK);
	sig[5] ^= 1;
	assert_int_equal(C_VerifyInit(h, &mech, pub), CKR_OK);
	assert_int_equal(C_Verify(h, msg, 7, sig, n), CKR_SIGNATURE_INVALID);
	assert_int_equal(C_VerifyInit(h, &mech, pub), CKR_OK);
	assert_int_equal(C_Verify(h, msg, 7, sig, 63), CKR_SIGNATURE_LEN_RANGE);
	/* the public half is not destroyed alone */
	assert_int_equal(C_DestroyObject(h, pub), CKR_ACTION_PROHIBITED);
	/* logged out, nothing is found */
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(C_FindObjectsInit(h, NULL, 0), CKR_OK);
	assert_int_equal(C_FindObjects(h, found, 4, &cnt), CKR_OK);
	assert_int_equal(cnt, 0);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* One thread: its own session, sign and verify 10 times; 0 or a CKR_*. */
/* Creates a secret key by value; ext: CKA_EXTRACTABLE. */
static CK_OBJECT_HANDLE
secret_by_value(CK_SESSION_HANDLE h, CK_KEY_TYPE kt, const char *label,
    const uint8_t *v, size_t len, CK_BBOOL ext)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
	    { CKA_KEY_TYPE, &kt, sizeof(kt) },
	    { CKA_LABEL, (void *)label, strlen(label) },
	    { CKA_VALUE, (void *)v, len },
	    { CKA_EXTRACTABLE, &ext, 1 } };
	CK_OBJECT_HANDLE o = 0;

	assert_int_equal(C_CreateObject(h, t, 5, &o), CKR_OK);
	return o;
}

static CK_BBOOL
bool_attr(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = 2;
	CK_ATTRIBUTE a = { type, &v, 1 };

	assert_int_equal(C_GetAttributeValue(h, o, &a, 1), CKR_OK);
	return v;
}

static CK_RV
set_bool(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
    CK_BBOOL v)
{
	CK_ATTRIBUTE a = { type, &v, 1 };

	return C_SetAttributeValue(h, o, &a, 1);
}

/*
 * CKM_AES_KEY_WRAP_PAD: RFC 5649's test vectors both ways, the size query,
 * and the policy: CKA_EXTRACTABLE, CKA_WRAP, CKA_WRAP_WITH_TRUSTED and
 * CKA_TRUSTED, which attributes change and how, what an unwrapped key is.
 */
static void
test_wrap(void **state)
{
	/* RFC 5649 section 6: a 192-bit KEK, a 20-byte and a 7-byte key */
	static const uint8_t kekv[] = { 0x58, 0x40, 0xdf, 0x6e, 0x29, 0xb0,
	    0x2a, 0xf1, 0xab, 0x49, 0x3b, 0x70, 0x5b, 0xf1, 0x6e, 0xa1, 0xae,
	    0x83, 0x38, 0xf4, 0xdc, 0xc1, 0x76, 0xa8 };
	static const uint8_t k20[] = { 0xc3, 0x7b, 0x7e, 0x64, 0x92, 0x58,
	    0x43, 0x40, 0xbe, 0xd1, 0x22, 0x07, 0x80, 0x89, 0x41, 0x15, 0x50,
	    0x68, 0xf7, 0x38 };
	static const uint8_t w20[] = { 0x13, 0x8b, 0xde, 0xaa, 0x9b, 0x8f,
	    0xa7, 0xfc, 0x61, 0xf9, 0x77, 0x42, 0xe7, 0x22, 0x48, 0xee, 0x5a,
	    0xe6, 0xae, 0x53, 0x60, 0xd1, 0xae, 0x6a, 0x5f, 0x54, 0xf3, 0x73,
	    0xfa, 0x54, 0x3b, 0x6a };
	static const uint8_t k7[] = { 0x46, 0x6f, 0x72, 0x50, 0x61, 0x73, 0x69 };
	static const uint8_t w7[] = { 0xaf, 0xbe, 0xb0, 0xf0, 0x7d, 0xfb,
	    0xf5, 0x41, 0x92, 0x00, 0xf2, 0xcc, 0xb5, 0x0b, 0xb2, 0x4f };
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	    0x3d, 0x03, 0x01, 0x07 };
	CK_MECHANISM kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_MECHANISM gcm = { CKM_AES_GCM, NULL, 0 };
	CK_MECHANISM ecgen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM ecdsa = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_MECHANISM aesgen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG len32 = 32;
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY, pk = CKO_PRIVATE_KEY;
	CK_KEY_TYPE gen = CKK_GENERIC_SECRET, ec = CKK_EC;
	CK_ATTRIBUTE ut[] = { { CKA_CLASS, &sk, sizeof(sk) },
	    { CKA_KEY_TYPE, &gen, sizeof(gen) }, { CKA_LABEL, "u20", 3 },
	    { CKA_EXTRACTABLE, &yes, 1 } };
	CK_ATTRIBUTE et[] = { { CKA_CLASS, &pk, sizeof(pk) },
	    { CKA_KEY_TYPE, &ec, sizeof(ec) }, { CKA_LABEL, "ec-u", 4 } };
	CK_ATTRIBUTE ecpub[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) } };
	CK_ATTRIBUTE ecpriv[] = { { CKA_LABEL, "ec-x", 4 },
	    { CKA_EXTRACTABLE, &yes, 1 } };
	CK_ATTRIBUTE at[] = { { CKA_LABEL, "aes-ne", 6 },
	    { CKA_VALUE_LEN, &len32, sizeof(len32) } };
	CK_ATTRIBUTE lab = { CKA_LABEL, "other", 5 };
	CK_MECHANISM rsagen = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM rsasig = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_ULONG bits2048 = 2048;
	CK_KEY_TYPE rsa = CKK_RSA;
	CK_ATTRIBUTE rsapub[] = { { CKA_MODULUS_BITS, &bits2048,
	    sizeof(bits2048) } };
	CK_ATTRIBUTE rsapriv[] = { { CKA_LABEL, "rsa-x", 5 },
	    { CKA_EXTRACTABLE, &yes, 1 } };
	CK_ATTRIBUTE rt[] = { { CKA_CLASS, &pk, sizeof(pk) },
	    { CKA_KEY_TYPE, &rsa, sizeof(rsa) }, { CKA_LABEL, "rsa-u", 5 } };
	CK_OBJECT_HANDLE rp = 0, rx = 0, ru = 0;
	CK_SESSION_HANDLE h, cu;
	CK_OBJECT_HANDLE kek, hk20, hk7, u20, hmac, ecp = 0, ecx = 0, ecu = 0,
	    ne = 0;
	uint8_t out[2048], sig[512], msg[] = "wrapped and unwrapped";
	CK_ULONG n, sn;

	(void)state;
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	h = co_session();
	kek = secret_by_value(h, CKK_AES, "kek", kekv, sizeof(kekv), CK_FALSE);
	hk20 = secret_by_value(h, CKK_GENERIC_SECRET, "k20", k20, sizeof(k20),
	    CK_TRUE);
	hk7 = secret_by_value(h, CKK_GENERIC_SECRET, "k7", k7, sizeof(k7),
	    CK_TRUE);
	/* created by value: extractable as asked, never local */
	assert_int_equal(bool_attr(h, hk20, CKA_EXTRACTABLE), CK_TRUE);
	assert_int_equal(bool_attr(h, hk20, CKA_NEVER_EXTRACTABLE), CK_FALSE);
	assert_int_equal(bool_attr(h, hk20, CKA_LOCAL), CK_FALSE);
	assert_int_equal(bool_attr(h, kek, CKA_EXTRACTABLE), CK_FALSE);
	assert_int_equal(bool_attr(h, kek, CKA_TRUSTED), CK_FALSE);
	assert_int_equal(bool_attr(h, hk20, CKA_WRAP_WITH_TRUSTED), CK_FALSE);

	/* the size query, a short buffer, then RFC 5649's bytes */
	n = 0;
	assert_int_equal(C_WrapKey(h, &kwp, kek, hk20, NULL, &n), CKR_OK);
	assert_int_equal(n, sizeof(w20));
	n = 8;
	assert_int_equal(C_WrapKey(h, &kwp, kek, hk20, out, &n),
	    CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, sizeof(w20));
	n = sizeof(out);
	assert_int_equal(C_WrapKey(h, &kwp, kek, hk20, out, &n), CKR_OK);
	assert_int_equal(n, sizeof(w20));
	assert_memory_equal(out, w20, sizeof(w20));
	n = sizeof(out);
	assert_int_equal(C_WrapKey(h, &kwp, kek, hk7, out, &n), CKR_OK);
	assert_int_equal(n, sizeof(w7));
	assert_memory_equal(out, w7, sizeof(w7));
	/* the mechanism and its (absent) parameter */
	gcm.mechanism = CKM_AES_KEY_WRAP;
	assert_int_equal(C_WrapKey(h, &gcm, kek, hk7, out, &n),
	    CKR_MECHANISM_INVALID);
	kwp.pParameter = out;
	kwp.ulParameterLen = 8;
	assert_int_equal(C_WrapKey(h, &kwp, kek, hk7, out, &n),
	    CKR_MECHANISM_PARAM_INVALID);
	kwp.pParameter = NULL;
	kwp.ulParameterLen = 0;

	/* the vector unwraps into the key it was, not local, extractable as
	 * the template says, and wraps back to the same bytes */
	assert_int_equal(C_UnwrapKey(h, &kwp, kek, (CK_BYTE_PTR)w20,
	    sizeof(w20), ut, 4, &u20), CKR_OK);
	assert_int_equal(bool_attr(h, u20, CKA_LOCAL), CK_FALSE);
	assert_int_equal(bool_attr(h, u20, CKA_NEVER_EXTRACTABLE), CK_FALSE);
	assert_int_equal(bool_attr(h, u20, CKA_ALWAYS_SENSITIVE), CK_FALSE);
	n = sizeof(out);
	assert_int_equal(C_WrapKey(h, &kwp, kek, u20, out, &n), CKR_OK);
	assert_memory_equal(out, w20, sizeof(w20));
	/* a damaged wrapping, an incomplete or wrong template, a KEK that
	 * does not unwrap */
	memcpy(out, w20, sizeof(w20));
	out[3] ^= 1;
	ut[2].pValue = "u20b";
	ut[2].ulValueLen = 4;
	assert_int_equal(C_UnwrapKey(h, &kwp, kek, out, sizeof(w20), ut, 4,
	    &hmac), CKR_WRAPPED_KEY_INVALID);
	assert_int_equal(C_UnwrapKey(h, &kwp, kek, (CK_BYTE_PTR)w20, 20, ut, 4,
	    &hmac), CKR_WRAPPED_KEY_INVALID);
	assert_int_equal(C_UnwrapKey(h, &kwp, kek, (CK_BYTE_PTR)w20,
	    sizeof(w20), ut + 1, 3, &hmac), CKR_TEMPLATE_INCOMPLETE);
	assert_int_equal(C_UnwrapKey(h, &kwp, hk7, (CK_BYTE_PTR)w20,
	    sizeof(w20), ut, 4, &hmac), CKR_KEY_FUNCTION_NOT_PERMITTED);
	/* a generic secret has no CKA_WRAP */
	assert_int_equal(C_WrapKey(h, &kwp, hk7, hk20, out, &n),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);

	/* not extractable: a generated key by default */
	assert_int_equal(C_GenerateKey(h, &aesgen, at, 2, &ne), CKR_OK);
	assert_int_equal(bool_attr(h, ne, CKA_NEVER_EXTRACTABLE), CK_TRUE);
	assert_int_equal(bool_attr(h, ne, CKA_ALWAYS_SENSITIVE), CK_TRUE);
	n = sizeof(out);
	assert_int_equal(C_WrapKey(h, &kwp, kek, ne, out, &n),
	    CKR_KEY_UNEXTRACTABLE);
	assert_int_equal(set_bool(h, ne, CKA_EXTRACTABLE, CK_TRUE),
	    CKR_ATTRIBUTE_READ_ONLY);

	/* CKA_WRAP_WITH_TRUSTED: raised for good; then only a trusted KEK */
	assert_int_equal(set_bool(h, hk20, CKA_WRAP_WITH_TRUSTED, CK_TRUE),
	    CKR_OK);
	assert_int_equal(set_bool(h, hk20, CKA_WRAP_WITH_TRUSTED, CK_FALSE),
	    CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(C_WrapKey(h, &kwp, kek, hk20, out, &n),
	    CKR_KEY_NOT_WRAPPABLE);
	/* the CU is not the SO's stand-in, the CO is */
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &cu), CKR_OK);
	assert_int_equal(C_Login(cu, MOD_CKU_CRYPTO_USER,
	    (CK_UTF8CHAR_PTR)"cu-pin", 6), CKR_OK);
	assert_int_equal(set_bool(cu, kek, CKA_TRUSTED, CK_TRUE),
	    CKR_ACTION_PROHIBITED);
	assert_int_equal(C_Logout(cu), CKR_OK);
	assert_int_equal(C_CloseSession(cu), CKR_OK);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"co-pin", 6),
	    CKR_OK);
	assert_int_equal(set_bool(h, kek, CKA_TRUSTED, CK_TRUE), CKR_OK);
	assert_int_equal(bool_attr(h, kek, CKA_TRUSTED), CK_TRUE);
	n = sizeof(out);
	assert_int_equal(C_WrapKey(h, &kwp, kek, hk20, out, &n), CKR_OK);
	assert_memory_equal(out, w20, sizeof(w20));
	/* CKA_EXTRACTABLE: dropped, then refused, and never back; the same
	 * value and an unchanged label are no change; other attributes are
	 * read-only */
	assert_int_equal(set_bool(h, hk20, CKA_EXTRACTABLE, CK_TRUE), CKR_OK);
	assert_int_equal(set_bool(h, hk20, CKA_EXTRACTABLE, CK_FALSE), CKR_OK);
	assert_int_equal(C_WrapKey(h, &kwp, kek, hk20, out, &n),
	    CKR_KEY_UNEXTRACTABLE);
	assert_int_equal(set_bool(h, hk20, CKA_EXTRACTABLE, CK_TRUE),
	    CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(bool_attr(h, hk20, CKA_NEVER_EXTRACTABLE), CK_FALSE);
	assert_int_equal(C_SetAttributeValue(h, hk20, &lab, 1),
	    CKR_ATTRIBUTE_READ_ONLY);
	lab.pValue = "k20";
	lab.ulValueLen = 3;
	assert_int_equal(C_SetAttributeValue(h, hk20, &lab, 1), CKR_OK);
	assert_int_equal(set_bool(h, hk20, CKA_SIGN, CK_FALSE),
	    CKR_ATTRIBUTE_READ_ONLY);

	/* an EC key: its PKCS#8 leaves, comes back as another key that signs
	 * what the first one's public key verifies */
	assert_int_equal(C_GenerateKeyPair(h, &ecgen, ecpub, 1, ecpriv, 2, &ecp,
	    &ecx), CKR_OK);
	assert_int_equal(bool_attr(h, ecx, CKA_ALWAYS_SENSITIVE), CK_TRUE);
	assert_int_equal(bool_attr(h, ecx, CKA_NEVER_EXTRACTABLE), CK_FALSE);
	n = 0;
	assert_int_equal(C_WrapKey(h, &kwp, kek, ecx, NULL, &n), CKR_OK);
	assert_true(n > 100 && n <= sizeof(out));
	assert_int_equal(C_WrapKey(h, &kwp, kek, ecx, out, &n), CKR_OK);
	assert_int_equal(C_WrapKey(h, &kwp, kek, ecp, out + 256, &sn),
	    CKR_KEY_NOT_WRAPPABLE);
	assert_int_equal(C_UnwrapKey(h, &kwp, kek, out, n, et, 3, &ecu), CKR_OK);
	assert_int_equal(bool_attr(h, ecu, CKA_EXTRACTABLE), CK_FALSE);
	assert_int_equal(C_SignInit(h, &ecdsa, ecu), CKR_OK);
	sn = sizeof(sig);
	assert_int_equal(C_Sign(h, msg, sizeof(msg), sig, &sn), CKR_OK);
	assert_int_equal(C_VerifyInit(h, &ecdsa, ecp), CKR_OK);
	assert_int_equal(C_Verify(h, msg, sizeof(msg), sig, sn), CKR_OK);
	/* an RSA key the same way (PKCS#8 of 2048 bits) */
	rsagen.pParameter = NULL;
	assert_int_equal(C_GenerateKeyPair(h, &rsagen, rsapub, 1, rsapriv, 2,
	    &rp, &rx), CKR_OK);
	n = sizeof(out);
	assert_int_equal(C_WrapKey(h, &kwp, kek, rx, out, &n), CKR_OK);
	assert_true(n > 1100);
	assert_int_equal(C_UnwrapKey(h, &kwp, kek, out, n, rt, 3, &ru), CKR_OK);
	assert_int_equal(C_SignInit(h, &rsasig, ru), CKR_OK);
	sn = sizeof(sig);
	assert_int_equal(C_Sign(h, msg, sizeof(msg), sig, &sn), CKR_OK);
	assert_int_equal(sn, 256);
	assert_int_equal(C_VerifyInit(h, &rsasig, rp), CKR_OK);
	assert_int_equal(C_Verify(h, msg, sizeof(msg), sig, sn), CKR_OK);
	/* the template's type must be what was wrapped */
	assert_int_equal(C_UnwrapKey(h, &kwp, kek, out, n, et, 3, &ru),
	    CKR_WRAPPED_KEY_INVALID);
	/* an EC key does not unwrap */
	assert_int_equal(C_UnwrapKey(h, &kwp, ecx, (CK_BYTE_PTR)w20,
	    sizeof(w20), ut, 4, &hmac), CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* One ECDSA signature with key k; the C_Sign return value. */
static CK_RV
sign_once(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k)
{
	CK_MECHANISM mech = { CKM_ECDSA_SHA256, NULL, 0 };
	uint8_t msg[] = "held", sig[128];
	CK_ULONG n = sizeof(sig);
	CK_RV rv;

	if ((rv = C_SignInit(h, &mech, k)) != CKR_OK)
		return rv;
	return C_Sign(h, msg, sizeof(msg), sig, &n);
}

/*
 * Keys held between signatures (pkcs11/keys.c) are dropped when the store
 * changes: a key destroyed through another connection (as by another
 * process) or through the module stops signing at once, even between
 * C_SignInit and C_Sign; C_Logout drops them all.
 */
static void
test_held_keys(void **state)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	    0x3d, 0x03, 0x01, 0x07 };
	CK_ATTRIBUTE pt[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) } };
	CK_ATTRIBUTE k1[] = { { CKA_LABEL, "held-1", 6 } };
	CK_ATTRIBUTE k2[] = { { CKA_LABEL, "held-2", 6 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM mech = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_OBJECT_HANDLE pub, a, b;
	CK_SESSION_HANDLE h;
	struct session *other = NULL;
	uint8_t msg[] = "held", sig[128];
	CK_ULONG n = sizeof(sig);
	uint64_t id = 0;

	(void)state;
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	h = co_session();
	assert_int_equal(C_GenerateKeyPair(h, &gen, pt, 1, k1, 1, &pub, &a),
	    CKR_OK);
	assert_int_equal(C_GenerateKeyPair(h, &gen, pt, 1, k2, 1, &pub, &b),
	    CKR_OK);
	assert_int_equal(sign_once(h, a), CKR_OK);
	assert_int_equal(sign_once(h, a), CKR_OK);
	assert_int_equal(sign_once(h, b), CKR_OK);
	/* another connection destroys held-1 between C_SignInit and C_Sign */
	assert_int_equal(C_SignInit(h, &mech, a), CKR_OK);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &other), 0);
	assert_int_equal(object_delete(other, "held-1"), 0);
	session_close(other);
	assert_int_equal(C_Sign(h, msg, sizeof(msg), sig, &n),
	    CKR_KEY_HANDLE_INVALID);
	assert_int_equal(sign_once(h, a), CKR_KEY_HANDLE_INVALID);
	/* the other held key is read afresh and still signs */
	assert_int_equal(sign_once(h, b), CKR_OK);
	/* the module destroys held-2 */
	assert_int_equal(C_DestroyObject(h, b), CKR_OK);
	assert_int_equal(sign_once(h, b), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(C_GenerateKeyPair(h, &gen, pt, 1, k1, 1, &pub, &a),
	    CKR_OK);
	assert_int_equal(sign_once(h, a), CKR_OK);
	/* held-1 (the highest id) destroyed elsewhere and its id given to a
	 * new key between C_SignInit and C_Sign: the handle does not sign
	 * with the new key */
	assert_int_equal(C_SignInit(h, &mech, a), CKR_OK);
	assert_int_equal(fx_login(f.h, "p1", ROLE_CO, "co-pin", &other), 0);
	assert_int_equal(object_delete(other, "held-1"), 0);
	assert_int_equal(object_generate(other, OBJ_EC, 256, "held-3", &id), 0);
	session_close(other);
	assert_int_equal(id, a >> 1);
	n = sizeof(sig);
	assert_int_equal(C_Sign(h, msg, sizeof(msg), sig, &n),
	    CKR_KEY_HANDLE_INVALID);
	assert_int_equal(C_Logout(h), CKR_OK);
	assert_int_equal(sign_once(h, a), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

static void *
signer(void *arg)
{
	CK_OBJECT_HANDLE *keys = arg;
	CK_MECHANISM mech = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_SESSION_HANDLE h = 0;
	uint8_t msg[] = "threaded", sig[64];
	CK_ULONG n;
	CK_RV rv;
	int i;

	if ((rv = C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h)) != 0)
		return (void *)(uintptr_t)rv;
	for (i = 0; i < 10 && rv == CKR_OK; i++) {
		n = sizeof(sig);
		if ((rv = C_SignInit(h, &mech, keys[0])) == CKR_OK &&
		    (rv = C_Sign(h, msg, 8, sig, &n)) == CKR_OK &&
		    (rv = C_VerifyInit(h, &mech, keys[1])) == CKR_OK)
			rv = C_Verify(h, msg, 8, sig, n);
	}
	if (rv == CKR_OK)
		rv = C_CloseSession(h);
	return (void *)(uintptr_t)rv;
}

static void
test_threads(void **state)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	    0x3d, 0x03, 0x01, 0x07 };
	CK_ATTRIBUTE pt[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) } };
	CK_ATTRIBUTE kt[] = { { CKA_LABEL, "thr", 3 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_C_INITIALIZE_ARGS a;
	CK_OBJECT_HANDLE keys[2];
	pthread_t t[4];
	void *ret;
	CK_SESSION_HANDLE h;
	int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	assert_int_equal(C_Initialize(&a), CKR_OK);
	/* h stays open, so the login lasts while the threads come and go */
	h = co_session();
	assert_int_equal(C_GenerateKeyPair(h, &gen, pt, 1, kt, 1, &keys[1],
	    &keys[0]), CKR_OK);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, signer, keys), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_int_equal((uintptr_t)ret, CKR_OK);
	}
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_life_and_slots),
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_login_shared),
		cmocka_unit_test(test_aes_gcm),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_held_keys),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
