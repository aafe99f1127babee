/*
 * p11_bench MODULE TOKEN PINFILE SECONDS THREADS
 *
 * Drives any PKCS#11 module the way an application does, for
 * bench/pkcs11.bench.sh to run on Coffer's module and on SoftHSM2 in the
 * same run: ECDSA P-256 signatures (CKM_ECDSA over a 32-byte digest) with
 * the private key labelled "bench-ec", AES-256-GCM encryptions of 4 KiB
 * with the key labelled "bench-aes", each for SECONDS on THREADS threads
 * (one session each), and the mean C_Login latency over a few logins.
 * Prints "ecdsa_p256_per_s N", "aes_gcm_4k_per_s N", "login_ms N".
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR f;
static CK_SLOT_ID slot;
static double seconds;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
check(CK_RV rv, const char *what)
{
	if (rv != CKR_OK) {
		fprintf(stderr, "p11_bench: %s: CKR 0x%lx\n", what,
		    (unsigned long)rv);
		exit(1);
	}
}

static CK_OBJECT_HANDLE
find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label)
{
	CK_ATTRIBUTE t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;

	check(f->C_FindObjectsInit(s, t, 2), "C_FindObjectsInit");
	check(f->C_FindObjects(s, &h, 1, &n), "C_FindObjects");
	check(f->C_FindObjectsFinal(s), "C_FindObjectsFinal");
	if (n != 1) {
		fprintf(stderr, "p11_bench: no object labelled %s\n", label);
		exit(1);
	}
	return h;
}

struct job {
	int aes;
	unsigned long count;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE k;
	CK_BYTE in[4096], out[4096 + 64], iv[12] = { 0 };
	CK_GCM_PARAMS gcm = { iv, sizeof(iv), 96, NULL, 0, 128 };
	CK_MECHANISM ec = { CKM_ECDSA, NULL, 0 };
	CK_MECHANISM ae = { CKM_AES_GCM, &gcm, sizeof(gcm) };
	CK_ULONG olen;
	double end;

	memset(in, 0x5a, sizeof(in));
	check(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	    NULL, &s), "C_OpenSession");
	k = j->aes ? find(s, CKO_SECRET_KEY, "bench-aes") :
	    find(s, CKO_PRIVATE_KEY, "bench-ec");
	end = now() + seconds;
	while (now() < end) {
		olen = sizeof(out);
		if (j->aes) {
			iv[0]++;  /* a fresh IV each time, as GCM needs */
			check(f->C_EncryptInit(s, &ae, k), "C_EncryptInit");
			check(f->C_Encrypt(s, in, sizeof(in), out, &olen),
			    "C_Encrypt");
		} else {
			check(f->C_SignInit(s, &ec, k), "C_SignInit");
			check(f->C_Sign(s, in, 32, out, &olen), "C_Sign");
		}
		j->count++;
	}
	f->C_CloseSession(s);
	return NULL;
}

static double
rate(int aes, int threads)
{
	pthread_t t[16];
	struct job j[16];
	unsigned long total = 0;
	double t0 = now();
	int i;

	for (i = 0; i < threads; i++) {
		j[i].aes = aes;
		j[i].count = 0;
		pthread_create(&t[i], NULL, worker, &j[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += j[i].count;
	}
	return (double)total / (now() - t0);
}

int
main(int argc, char **argv)
{
	CK_C_GetFunctionList gfl;
	CK_C_INITIALIZE_ARGS ia = { NULL, NULL, NULL, NULL,
	    CKF_OS_LOCKING_OK, NULL };
	CK_SLOT_ID slots[64];
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	CK_ULONG n = 64, i;
	char pin[256], label[33];
	FILE *fp;
	void *dl;
	int threads, k;
	double t0, login = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: p11_bench MODULE TOKEN PINFILE SECONDS "
		    "THREADS\n");
		return 2;
	}
	seconds = atof(argv[4]);
	threads = atoi(argv[5]);
	if (threads < 1 || threads > 16)
		return 2;
	if ((fp = fopen(argv[3], "r")) == NULL ||
	    fgets(pin, sizeof(pin), fp) == NULL)
		return 2;
	fclose(fp);
	pin[strcspn(pin, "\r\n")] = '\0';
	if ((dl = dlopen(argv[1], RTLD_NOW)) == NULL ||
	    (gfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList")) ==
	    NULL) {
		fprintf(stderr, "p11_bench: %s\n", dlerror());
		return 1;
	}
	check(gfl(&f), "C_GetFunctionList");
	check(f->C_Initialize(&ia), "C_Initialize");
	check(f->C_GetSlotList(CK_TRUE, slots, &n), "C_GetSlotList");
	for (i = 0; i < n; i++) {
		check(f->C_GetTokenInfo(slots[i], &ti), "C_GetTokenInfo");
		memcpy(label, ti.label, 32);
		label[32] = '\0';
		for (k = 31; k >= 0 && label[k] == ' '; k--)
			label[k] = '\0';
		if (strcmp(label, argv[2]) == 0)
			break;
	}
	if (i == n) {
		fprintf(stderr, "p11_bench: no token %s\n", argv[2]);
		return 1;
	}
	slot = slots[i];
	check(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	    NULL, &s), "C_OpenSession");
	for (k = 0; k < 3; k++) {
		t0 = now();
		check(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin,
		    strlen(pin)), "C_Login");
		login += now() - t0;
		if (k < 2)
			check(f->C_Logout(s), "C_Logout");
	}
	printf("login_ms %.1f\n", login / 3 * 1000);
	printf("ecdsa_p256_per_s %.0f\n", rate(0, threads));
	printf("aes_gcm_4k_per_s %.0f\n", rate(1, threads));
	f->C_CloseSession(s);
	f->C_Finalize(NULL);
	return 0;
}
