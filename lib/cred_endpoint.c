/*
 * The login of lib/endpoint with a credential as lib/cred reads it (a
 * password, M share files, or the challenge of an activated role), so
 * tools that move key material (backupd, restore, clone, domains) work on
 * password and PED HSMs alike.
 */
#include <stdio.h>

#include "cli.h"
#include "cred.h"
#include "endpoint.h"
#include "err.h"
#include "p11mod.h"
#include "secret.h"

int
cred_login_endpoint(struct endpoint *e, int role, const struct cred_login *l,
    int flags)
{
	int r;

	if (l->challenge != NULL)
		return endpoint_login_challenge(e, role, l->challenge, flags);
	if ((r = endpoint_login(e, role, l->cred, flags)) == 0)
		cred_tag_record(endpoint_hsm(e), endpoint_label(e), role,
		    &l->tag);
	return r;
}

int
cred_endpoint_login(const char *prog, struct endpoint *e, int role,
    const struct cred_src *c, int flags)
{
	struct cred_login l;
	int r;

	if ((r = cred_login_read(prog, endpoint_hsm(e), endpoint_label(e),
	    role, c, &l)) == 0)
		r = cred_login_endpoint(e, role, &l, flags);
	cred_login_clear(&l);
	return r;
}

int
cred_p11_login(const struct cred_src *c, struct p11mod *m)
{
	struct cli_secret_src src = { c->pin_file, c->pin_env };
	struct secret *pin = NULL;
	char prompt[96];
	int r;

	if (c->nshare != 0 || c->challenge_file != NULL ||
	    c->challenge_env != NULL) {
		err_set_detail("a PKCS#11 token takes its user PIN "
		    "(--pin-file), not shares or a challenge");
		return CE_USAGE;
	}
	snprintf(prompt, sizeof(prompt), "user PIN of token '%s': ",
	    p11mod_token(m)->label);
	if ((r = cli_read_secret(prompt, &src, 0, &pin)) == 0)
		r = p11mod_login(m, pin);
	secret_free(pin);
	return r;
}
