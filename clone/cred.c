/* clone: the two credentials. PED share-file input plugs in here. */
#include <stdio.h>

#include "cli.h"
#include "clone.h"
#include "endpoint.h"
#include "err.h"
#include "secret.h"

static int
read_one(const char *side, const struct cli_secret_src *src,
    const struct endpoint *e, struct secret **sp)
{
	char prompt[160];
	int r;

	snprintf(prompt, sizeof(prompt), "Crypto Officer credential for the "
	    "%s, %s: ", side, endpoint_uri(e));
	r = cli_read_secret(prompt, src, 0, sp);
	if (r == CE_USAGE && src->file == NULL && src->env == NULL)
		err_set_detail("no terminal to type the %s credential on; use "
		    "--%s-pin-file PATH or --%s-pin-env NAME", side,
		    side[0] == 's' ? "from" : "to", side[0] == 's' ? "from" :
		    "to");
	return r;
}

int
clone_read_creds(const struct clone_opts *o, const struct endpoint *src,
    const struct endpoint *dst, struct secret **fromp, struct secret **top)
{
	int r;

	*fromp = *top = NULL;
	if ((r = read_one("source", &o->from_cred, src, fromp)) != 0)
		return r;
	if ((r = read_one("target", &o->to_cred, dst, top)) != 0) {
		secret_free(*fromp);
		*fromp = NULL;
	}
	return r;
}
