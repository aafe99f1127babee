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

#endif
