/*
 * p11drv: the few PKCS#11 calls tests/e2e/pkcs11-wrap.sh needs and OpenSC
 * 0.23's pkcs11-tool lacks (its --wrap takes secret keys only, and it sets
 * no CKA_WRAP_WITH_TRUSTED or CKA_TRUSTED). Any module, any token:
 *
 *   p11drv MODULE TOKEN PINFILE wrap KEKID KEYID OUT
 *   p11drv MODULE TOKEN PINFILE unwrap KEKID IN aes|ec LABEL ID [extractable]
 *   p11drv MODULE TOKEN PINFILE set ID extractable|trusted|wwt 0|1
 *
 * IDs are CKA_ID in hex; a key is looked up as a secret key, then as a
 * private key. A failed call prints "FUNCTION: rv 0xNN" and exits 1.
 * Built by the Makefile beside the tools; not installed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#define KWP 0x210aUL

static CK_FUNCTION_LIST_PTR f;

static void
die(const char *what, CK_RV rv)
{
	fprintf(stderr, "%s: rv 0x%lx\n", what, (unsigned long)rv);
	exit(1);
}

static size_t
unhex(const char *s, CK_BYTE *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < max && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (CK_BYTE)v;
		s += 2;
	}
	return n;
}

static CK_OBJECT_HANDLE
find(CK_SESSION_HANDLE s, const char *hexid)
{
	static const CK_OBJECT_CLASS classes[] = { CKO_SECRET_KEY,
	    CKO_PRIVATE_KEY };
	CK_BYTE id[64];
	CK_OBJECT_CLASS c;
	CK_ATTRIBUTE t[2] = { { CKA_CLASS, &c, sizeof(c) }, { CKA_ID, id, 0 } };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	size_t i;
	CK_RV rv;

	t[1].ulValueLen = unhex(hexid, id, sizeof(id));
	for (i = 0; i < 2 && n == 0; i++) {
		c = classes[i];
		if ((rv = f->C_FindObjectsInit(s, t, 2)) != CKR_OK)
			die("C_FindObjectsInit", rv);
		if ((rv = f->C_FindObjects(s, &h, 1, &n)) != CKR_OK)
			die("C_FindObjects", rv);
		f->C_FindObjectsFinal(s);
	}
	if (n == 0) {
		fprintf(stderr, "no key with CKA_ID %s\n", hexid);
		exit(1);
	}
	return h;
}

static int
wrap(CK_SESSION_HANDLE s, char **av)
{
	CK_MECHANISM m = { KWP, NULL, 0 };
	CK_BYTE *out;
	CK_ULONG len = 0;
	CK_OBJECT_HANDLE kek = find(s, av[0]), k = find(s, av[1]);
	FILE *fp;
	CK_RV rv;

	if ((rv = f->C_WrapKey(s, &m, kek, k, NULL, &len)) != CKR_OK)
		die("C_WrapKey", rv);
	if ((out = malloc(len)) == NULL)
		return 1;
	if ((rv = f->C_WrapKey(s, &m, kek, k, out, &len)) != CKR_OK)
		die("C_WrapKey", rv);
	if ((fp = fopen(av[2], "wb")) == NULL ||
	    fwrite(out, 1, len, fp) != len || fclose(fp) != 0)
		return 1;
	free(out);
	return 0;
}

static int
unwrap(CK_SESSION_HANDLE s, char **av, int ac)
{
	CK_MECHANISM m = { KWP, NULL, 0 };
	CK_OBJECT_CLASS c = strcmp(av[2], "ec") == 0 ? CKO_PRIVATE_KEY :
	    CKO_SECRET_KEY;
	CK_KEY_TYPE kt = c == CKO_PRIVATE_KEY ? CKK_EC : CKK_AES;
	CK_BBOOL yes = CK_TRUE, ext = ac > 5 && strcmp(av[5], "extractable") == 0;
	CK_BYTE in[8192], id[64];
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &c, sizeof(c) }, { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, 1 }, { CKA_LABEL, av[3], strlen(av[3]) },
		{ CKA_ID, id, 0 }, { CKA_EXTRACTABLE, &ext, 1 },
		{ c == CKO_PRIVATE_KEY ? CKA_SIGN : CKA_ENCRYPT, &yes, 1 },
	};
	CK_OBJECT_HANDLE kek = find(s, av[0]), h;
	size_t len;
	FILE *fp;
	CK_RV rv;

	t[4].ulValueLen = unhex(av[4], id, sizeof(id));
	if ((fp = fopen(av[1], "rb")) == NULL)
		return 1;
	len = fread(in, 1, sizeof(in), fp);
	fclose(fp);
	if ((rv = f->C_UnwrapKey(s, &m, kek, in, len, t,
	    sizeof(t) / sizeof(t[0]), &h)) != CKR_OK)
		die("C_UnwrapKey", rv);
	return 0;
}

static int
set(CK_SESSION_HANDLE s, char **av)
{
	CK_BBOOL v = strcmp(av[2], "1") == 0;
	CK_ATTRIBUTE a = { strcmp(av[1], "trusted") == 0 ? CKA_TRUSTED :
	    strcmp(av[1], "wwt") == 0 ? CKA_WRAP_WITH_TRUSTED : CKA_EXTRACTABLE,
	    &v, 1 };
	CK_RV rv;

	if ((rv = f->C_SetAttributeValue(s, find(s, av[0]), &a, 1)) != CKR_OK)
		die("C_SetAttributeValue", rv);
	return 0;
}

int
main(int ac, char **av)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	char pin[256], label[33];
	void *dl;
	FILE *fp;
	CK_RV rv;
	int r = 2;

	if (ac < 6) {
		fprintf(stderr, "usage: p11drv MODULE TOKEN PINFILE CMD ARGS\n");
		return 2;
	}
	if ((dl = dlopen(av[1], RTLD_NOW)) == NULL ||
	    (*(void **)&get = dlsym(dl, "C_GetFunctionList")) == NULL ||
	    get(&f) != CKR_OK) {
		fprintf(stderr, "cannot load %s\n", av[1]);
		return 1;
	}
	if ((fp = fopen(av[3], "r")) == NULL || fgets(pin, sizeof(pin), fp) == NULL)
		return 1;
	fclose(fp);
	pin[strcspn(pin, "\n")] = '\0';
	if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		die("C_Initialize", rv);
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		die("C_GetSlotList", rv);
	for (i = 0; i < n; i++) {
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		memcpy(label, ti.label, 32);
		label[32] = '\0';
		label[strcspn(label, " ")] = '\0';
		if (strcmp(label, av[2]) == 0)
			break;
	}
	if (i == n) {
		fprintf(stderr, "no token %s\n", av[2]);
		return 1;
	}
	if ((rv = f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &s)) != CKR_OK)
		die("C_OpenSession", rv);
	if ((rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin,
	    strlen(pin))) != CKR_OK)
		die("C_Login", rv);
	if (strcmp(av[4], "wrap") == 0 && ac == 8)
		r = wrap(s, av + 5);
	else if (strcmp(av[4], "unwrap") == 0 && (ac == 10 || ac == 11))
		r = unwrap(s, av + 5, ac - 5);
	else if (strcmp(av[4], "set") == 0 && ac == 8)
		r = set(s, av + 5);
	else
		fprintf(stderr, "p11drv: unknown command or arguments\n");
	f->C_Logout(s);
	f->C_CloseSession(s);
	f->C_Finalize(NULL);
	return r;
}
