/* clone: the two Crypto Officer credentials (lib/cred does the reading). */
#include <stdio.h>

#include "clone.h"
#include "cred.h"
#include "endpoint.h"
#include "err.h"
#include "role.h"
#include "secret.h"

static int
read_one(const char *side, const struct cred_src *src, struct endpoint *e,
    struct cred_login *l)
{
	int r;

	r = cred_login_read(PROG, endpoint_hsm(e), endpoint_label(e), ROLE_CO,
	    src, l);
	if (r == CE_USAGE && src->pin_file == NULL && src->pin_env == NULL &&
	    !cred_src_is_ped(src))
		err_set_detail("no terminal to type the %s credential on; use "
		    "--%s-pin-file PATH or --%s-pin-env NAME (--%s-share FILE "
		    "on a PED HSM)", side, side[0] == 's' ? "from" : "to",
		    side[0] == 's' ? "from" : "to", side[0] == 's' ? "from" :
		    "to");
	return r;
}

int
clone_read_creds(const struct clone_opts *o, struct endpoint *src,
    struct endpoint *dst, struct cred_login *from, struct cred_login *to)
{
	int r;

	if ((r = read_one("source", &o->from_cred, src, from)) != 0)
		return r;
	if ((r = read_one("target", &o->to_cred, dst, to)) != 0)
		cred_login_clear(from);
	return r;
}
