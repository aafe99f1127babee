/*
 * The login of lib/endpoint with a credential as lib/cred reads it (a
 * password, M share files, or the challenge of an activated role), so
 * tools that move key material (backupd, restore, clone, domains) work on
 * password and PED HSMs alike.
 */
#include "cred.h"
#include "endpoint.h"
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
