/*
 * Fixture for the emulated-HSM unit tests: a fresh HSM directory with one
 * initialized partition "p1" (PO "po-pin", CO "co-pin", CU "cu-pin",
 * domain password "dom-pw"), all under the light "test" KDF profile.
 */
#ifndef COFFER_HSMFIX_H
#define COFFER_HSMFIX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "err.h"
#include "hsm.h"
#include "kdf.h"
#include "partition.h"
#include "role.h"
#include "secret.h"

struct hsmfix {
	char dir[64];
	struct hsm *h;
};

static inline struct secret *
fx_pin(const char *s)
{
	return secret_from(s, strlen(s));
}

static inline int
fx_login(struct hsm *h, const char *label, int role, const char *pin,
    struct session **sp)
{
	struct secret *c = fx_pin(pin);
	int r = session_login(h, label, role, c, sp);

	secret_free(c);
	return r;
}

static inline int
fx_so(struct hsm *h, const char *pin)
{
	struct secret *c = fx_pin(pin);
	int r = hsm_so_login(h, c);

	secret_free(c);
	return r;
}

/*
 * The fixture's password domains: form 2 under the test profile with one
 * fixed salt, so two partitions given the same password share the domain
 * as two partitions given the same domain string do.
 */
static inline void
fx_domain_spec(struct domain_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->type = DOMAIN_PASSWORD;
	sp->kdf = KDF_TEST;
	sp->salted = 1;
	memset(sp->salt, 0x5a, sizeof(sp->salt));
}

/* Initializes a partition (V0 or V1) with PO, CO and CU. */
static inline int
fx_partition_v(struct hsm *h, const char *label, const char *domain_pw,
    int version)
{
	struct partition_init_params pp;
	struct secret *po = fx_pin("po-pin"), *dom = fx_pin(domain_pw);
	struct secret *co = fx_pin("co-pin"), *cu = fx_pin("cu-pin");
	struct session *s = NULL;
	int r;

	memset(&pp, 0, sizeof(pp));
	pp.kdf = KDF_TEST;
	fx_domain_spec(&pp.domain);
	if ((r = fx_so(h, "so-pin")) != 0 ||
	    (r = partition_create(h, label, version)) != 0 ||
	    (r = partition_init(h, label, &pp, po, dom)) != 0 ||
	    (r = session_login(h, label, ROLE_PO, po, &s)) != 0 ||
	    (r = role_init(s, ROLE_CO, co)) != 0)
		goto out;
	session_close(s);
	s = NULL;
	if ((r = session_login(h, label, ROLE_CO, co, &s)) != 0 ||
	    (r = role_init(s, ROLE_CU, cu)) != 0)
		goto out;
 out:
	session_close(s);
	secret_free(po);
	secret_free(dom);
	secret_free(co);
	secret_free(cu);
	return r;
}

/* Initializes a V0 partition with PO, CO and CU. */
static inline int
fx_partition(struct hsm *h, const char *label, const char *domain_pw)
{
	return fx_partition_v(h, label, domain_pw, 0);
}

/* A fresh HSM of the given authentication type (HSM_AUTH_*). */
static inline int
fx_setup_auth(struct hsmfix *f, int so_reset_pin, int auth)
{
	struct hsm_init_params p;
	struct secret *so = fx_pin("so-pin");
	int r;

	secret_init();
	snprintf(f->dir, sizeof(f->dir), "/tmp/coffer-unit-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	hsm_init_params_default(&p);
	p.label = "unit";
	p.kdf = KDF_TEST;
	p.so_reset_pin = so_reset_pin;
	p.auth = auth;
	r = hsm_init(f->dir, &p, so);
	secret_free(so);
	if (r != 0)
		return r;
	if ((r = hsm_open(f->dir, &f->h)) != 0)
		return r;
	return fx_partition(f->h, "p1", "dom-pw");
}

static inline int
fx_setup_policy(struct hsmfix *f, int so_reset_pin)
{
	return fx_setup_auth(f, so_reset_pin, HSM_AUTH_PASSWORD);
}

static inline int
fx_setup(struct hsmfix *f)
{
	return fx_setup_policy(f, 0);
}

static inline void
fx_teardown(struct hsmfix *f)
{
	char cmd[128];

	hsm_close(f->h);
	f->h = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
}

#endif
