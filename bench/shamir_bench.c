/*
 * Shamir split and combine through lib/share (GF(2^8), constant-time and
 * table-free, plus the check value) on a 32-byte credential, beside
 * HMAC-SHA-384 over 64 bytes (OpenSSL) measured in the same process: every
 * combine computes at least one such HMAC to prove the secret right.
 * Usage: shamir_bench SECONDS_PER_CASE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "secret.h"
#include "share.h"
#include "share_int.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double budget;

/* Runs fn until the budget is spent; returns calls per second. */
static double
rate(int (*fn)(void *), void *ctx)
{
	double t0 = now(), t;
	long n = 0;

	do {
		if (fn(ctx) != 0) {
			fprintf(stderr, "bench case failed\n");
			exit(1);
		}
		n++;
	} while ((t = now() - t0) < budget);
	return (double)n / t;
}

static int
hmac_once(void *ctx)
{
	uint8_t msg[64] = { 0 }, out[CC_HASH_LEN];

	return cc_hmac_sha384(ctx, 48, msg, sizeof(msg), out);
}

struct split_ctx {
	struct secret *s;
	unsigned m, n;
};

static int
split_once(void *vctx)
{
	struct split_ctx *c = vctx;
	struct share *set[SHARE_MAX_N];
	int r;

	if ((r = share_set_new(c->s, c->m, c->n, set)) == 0)
		share_set_free(set, c->n);
	return r;
}

struct combine_ctx {
	struct share *in[SHARE_MAX_N];
	size_t k;
};

static int
combine_once(void *vctx)
{
	struct combine_ctx *c = vctx;
	struct share_report rep;
	struct secret *s = NULL;
	int r;

	r = share_combine(c->in, c->k, &s, &rep);
	secret_free(s);
	return r;
}

int
main(int argc, char **argv)
{
	static const unsigned cases[][2] = { { 2, 3 }, { 3, 5 }, { 16, 16 },
	    { 8, 16 } };
	struct split_ctx sc;
	struct combine_ctx cc;
	struct share *set[SHARE_MAX_N];
	uint8_t key[48] = { 1 };
	double hmac, sp, co;
	size_t i, j;

	budget = argc > 1 ? atof(argv[1]) : 0.5;
	if (secret_init() != 0)
		return 1;
	sc.s = secret_new(32);
	cc_random(secret_ptr(sc.s), 32);
	hmac = rate(hmac_once, key);
	printf("hmac-sha384 64 B (baseline)     %10.0f /s\n", hmac);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sc.m = cases[i][0];
		sc.n = cases[i][1];
		sp = rate(split_once, &sc);
		if (share_set_new(sc.s, sc.m, sc.n, set) != 0)
			return 1;
		/* combine exactly M shares */
		cc.k = sc.m;
		for (j = 0; j < cc.k; j++)
			cc.in[j] = set[j];
		co = rate(combine_once, &cc);
		printf("%2u-of-%-2u split %10.0f /s   combine M %10.0f /s   "
		    "combine/hmac %.5f\n", sc.m, sc.n, sp, co, co / hmac);
		if (sc.m < sc.n) {
			/* all N given, one corrupt: subset search + naming */
			for (j = 0; j < sc.n; j++)
				cc.in[j] = set[j];
			cc.k = sc.n;
			secret_ptr(set[0]->y)[0] ^= 1;
			co = rate(combine_once, &cc);
			secret_ptr(set[0]->y)[0] ^= 1;
			printf("%2u-of-%-2u all N given, #1 corrupt: combine "
			    "%10.0f /s   combine/hmac %.5f\n", sc.m, sc.n, co,
			    co / hmac);
		}
		share_set_free(set, sc.n);
	}
	secret_free(sc.s);
	return 0;
}
