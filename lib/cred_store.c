/*
 * cred_store_officer: the SO login a store asks for before it removes
 * backups (a Backup HSM, lib/bstore.h bstore_officer_dir), with the
 * credential as lib/cred reads it (a password or M share files), so the
 * store tools need no branch per kind of store.
 */
#include "bstore.h"
#include "cred.h"
#include "hsm.h"

int
cred_store_officer(const char *prog, struct bstore *s,
    const struct cred_src *c)
{
	struct hsm *h = NULL;
	const char *dir;
	int r;

	if ((dir = bstore_officer_dir(s)) == NULL)
		return 0;
	if ((r = hsm_open(dir, &h)) != 0 ||
	    (r = cred_so_login(prog, h, c)) != 0 ||
	    (r = bstore_set_officer(s, h)) != 0) {
		hsm_close(h);
		return r;
	}
	return 0;
}
