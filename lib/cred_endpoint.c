/*
 * cred_endpoint_login: the login of lib/endpoint with a credential as
 * lib/cred reads it (a password, M share files, or the challenge of an
 * activated role), so tools that move key material (backupd, restore) work
 * on password and PED HSMs alike.
 */
#include "cred.h"
#include "endpoint.h"
#include "secret.h"

int
cred_endpoint_login(const char *prog, struct endpoint *e, int role,
    const struct cred_src *c, int flags)
{
	struct secret *s = NULL;
	struct cred_tag tag;
	int r;

	if ((r = cred_login_secret_tag(prog, endpoint_hsm(e), endpoint_label(e),
	    role, c, &s, &tag)) == 0 &&
	    (r = endpoint_login(e, role, s, flags)) == 0)
		cred_tag_record(endpoint_hsm(e), endpoint_label(e), role, &tag);
	secret_free(s);
	return r;
}
