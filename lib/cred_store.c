/*
 * The credentials of backup stores, as lib/cred reads them (a password or
 * M share files), so the store tools need no branch per kind of store:
 * cred_store_officer, the SO login a store asks for before it removes
 * backups (a Backup HSM, lib/bstore.h bstore_officer_dir); and the backup
 * partition credential, a password or (on a PED Backup HSM) a share set.
 */
#include "bstore.h"
#include "cli.h"
#include "cred.h"
#include "err.h"
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

int
cred_backup_secret(const char *prog, const struct cred_src *c, int confirm,
    struct secret **sp)
{
	struct cli_secret_src src = { c->pin_file, c->pin_env };

	if (c->nshare > 0) {
		if (c->pin_file != NULL || c->pin_env != NULL) {
			err_set_detail("give the backup partition credential "
			    "as a password or as shares, not both");
			return CE_USAGE;
		}
		return cred_read_shares(prog, c, sp);
	}
	return cli_read_secret("backup partition password: ", &src, confirm,
	    sp);
}

int
cred_add_backup_share(struct cred_src *c, int pin, const char *path)
{
	if ((pin ? cred_add_share_pin(c, path) : cred_add_share(c, path)) == 0)
		return 0;
	err_set_detail("too many --%s", pin ? "backup-share-pin-file" :
	    "backup-share");
	return CE_USAGE;
}

int
cred_backup_kind(const struct bstore *s, const struct cred_src *c)
{
	if (bstore_ped(s) && c->nshare == 0) {
		err_set_detail("%s is the backup area of a PED Backup HSM: its "
		    "backup partitions take a share set (--backup-share FILE, "
		    "M times; make one with 'mofn split --random 32')",
		    bstore_path(s));
		return CE_USAGE;
	}
	return 0;
}
