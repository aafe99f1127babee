/*
 * Helpers for tests that move objects between partitions of hsmfix HSMs
 * (endpoint, backup): make an object as the CO, open and log in to a
 * partition as the CO. Include after testutil.h and hsmfix.h.
 */
#ifndef COFFER_EPFIX_H
#define COFFER_EPFIX_H

#include "endpoint.h"
#include "object.h"

/* Generates one object of kind labelled olabel in partition label. */
static inline void
gen(struct hsm *h, const char *label, int kind, const char *olabel)
{
	struct session *s = NULL;

	assert_int_equal(fx_login(h, label, ROLE_CO, "co-pin", &s), 0);
	assert_int_equal(object_generate(s, kind, 0, olabel, NULL), 0);
	session_close(s);
}

/* Opens uri and logs in as the fixture's CO with flags (ENDPOINT_TX). */
static inline struct endpoint *
ep_login(const char *uri, int flags)
{
	struct endpoint *e = NULL;
	struct secret *c = fx_pin("co-pin");

	assert_int_equal(endpoint_open(uri, &e), 0);
	assert_int_equal(endpoint_login(e, ROLE_CO, c, flags), 0);
	secret_free(c);
	return e;
}

/* Two HSMs: A holds p1 (domain "dom-pw") with objects aes-1, ec-1 and
 * hmac-1, B holds p1 (same domain, empty) and p2 (domain "other-pw"); src,
 * dst and other are their URIs. */
struct two {
	struct hsmfix a, b;
	char src[96], dst[96], other[96];
};

static inline void
two_setup(struct two *t)
{
	assert_int_equal(fx_setup(&t->a), 0);
	assert_int_equal(fx_setup(&t->b), 0);
	assert_int_equal(fx_partition(t->b.h, "p2", "other-pw"), 0);
	gen(t->a.h, "p1", OBJ_AES, "aes-1");
	gen(t->a.h, "p1", OBJ_EC, "ec-1");
	gen(t->a.h, "p1", OBJ_GENERIC, "hmac-1");
	snprintf(t->src, sizeof(t->src), "hsm:%s#p1", t->a.dir);
	snprintf(t->dst, sizeof(t->dst), "hsm:%s#p1", t->b.dir);
	snprintf(t->other, sizeof(t->other), "hsm:%s#p2", t->b.dir);
}

static inline void
two_teardown(struct two *t)
{
	fx_teardown(&t->a);
	fx_teardown(&t->b);
}

#endif
