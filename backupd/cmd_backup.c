/*
 * backupd backup: one backup of a partition into a store, every
 * precondition checked before anything is created (lib/backup.h).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "backup.h"
#include "backupd.h"
#include "cli.h"
#include "endpoint.h"
#include "err.h"
#include "kdf.h"
#include "p11uri.h"
#include "partition.h"
#include "role.h"
#include "secret.h"
#include "utc.h"

/*
 * Opens the source partition, refuses there what needs no login (cloning
 * off), then logs in (--role, default co): a refusal costs no login.
 */
static int
open_source(const struct opts *o, struct endpoint **ep)
{
	struct endpoint *e = NULL;
	int r, role = ROLE_CO;

	if (o->role != NULL && (r = role_parse(o->role, &role)) != 0)
		return r;
	if ((r = endpoint_open(o->from, &e)) != 0 ||
	    (r = endpoint_cloning_check(e)) != 0 ||
	    (r = cred_endpoint_login(PROG, e, role, &o->cred, 0)) != 0) {
		endpoint_close(e);
		return r;
	}
	*ep = e;
	return 0;
}

int
read_backup_password(const struct cred_src *bcred, struct secret **pwp)
{
	int r;

	if ((r = cred_backup_secret(PROG, bcred, 1, pwp)) != 0 ||
	    (r = kdf_password_check(*pwp, bcred->nshare > 0 ?
	    "a backup partition credential" :
	    "a backup partition password")) != 0)
		return cli_fail(PROG, r, bcred->nshare > 0 ? "no backup "
		    "partition credential" : "no backup partition password");
	return 0;
}

int
backup_store_open(struct opts *o, int *kdfp, struct bstore **sp,
    struct cred_src *bcred)
{
	int r;

	if (o->kdf != NULL && (r = kdf_profile_choose(o->kdf, kdfp)) != 0)
		return r == CE_POLICY ? cli_fail(PROG, r, "--kdf") :
		    cli_usage_error(PROG, "--kdf: unknown profile '%s' "
		    "(interactive, moderate, sensitive)", o->kdf);
	/* The store first: a typo in --to costs no secret and no login. */
	if ((r = bstore_open(o->to, sp)) != 0) {
		r = cli_fail(PROG, r, "cannot open the backup store");
		if (r != EXIT_USAGE)
			fprintf(stderr, "A new store is made with 'backupd init "
			    "%s'.\n", o->to);
		return r;
	}
	/* A PED Backup HSM takes a share set: refused before any login. */
	bcred->pin_file = o->bpin_file;
	bcred->pin_env = o->bpin_env;
	if ((r = cred_backup_kind(*sp, bcred)) != 0)
		return cli_fail(PROG, r, "backup refused; nothing was created");
	return 0;
}

static void
prog_cb(void *ctx, uint64_t done, uint64_t total)
{
	(void)total;
	progress_update(ctx, done);
}

int
cmd_backup(struct opts *o)
{
	struct cred_src bcred = o->bshares;
	struct backup_params p;
	struct backup_result res;
	struct bstore *s = NULL;
	struct endpoint *e = NULL;
	struct secret *pw = NULL;
	struct progress *pg = NULL;
	struct json *j;
	char t[21];
	int r, kdf = KDF_INTERACTIVE;

	if (p11uri_is(o->from))
		return cmd_backup_p11(o);
	if (o->module != NULL || o->domain_string != NULL)
		return cli_usage_error(PROG, "--module and --domain-string "
		    "belong to a pkcs11: source");
	if (o->from == NULL || o->to == NULL || o->nargs != 0)
		return cli_usage_error(PROG, "backup needs --from "
		    "hsm:DIR#LABEL --to dir:PATH (or rbs://... or a Backup HSM, "
		    "hsm:DIR) and no other argument");
	if ((r = backup_store_open(o, &kdf, &s, &bcred)) != 0)
		goto out;
	if ((r = open_source(o, &e)) != 0) {
		r = cli_fail(PROG, r, "backup refused; nothing was created");
		goto out;
	}
	if ((r = read_backup_password(&bcred, &pw)) != 0)
		goto out;
	memset(&p, 0, sizeof(p));
	p.password = pw;
	p.kdf = kdf;
	p.labels = o->nobjects ? o->objects : NULL;
	p.nlabels = o->nobjects;
	p.store_uri = o->to;
	p.progress = prog_cb;
	pg = progress_new("backing up", o->nobjects ? o->nobjects :
	    endpoint_info(e)->objects);
	p.ctx = pg;
	if ((r = backup_make(e, s, &p, &res)) != 0) {
		progress_done(pg);
		pg = NULL;
		r = cli_fail(PROG, r, "backup refused; nothing was created");
		goto out;
	}
	progress_done(pg);
	pg = NULL;
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "name", res.name);
		json_str(j, "store", o->to);
		json_str(j, "source", o->from);
		utc_iso_show(res.created, t);
		json_str(j, "created", t);
		json_int(j, "objects", (int64_t)res.objects);
		json_int(j, "plain_bytes", (int64_t)res.plain_bytes);
		json_int(j, "records_size", (int64_t)res.records_size);
		json_int(j, "domains", (int64_t)res.ndomains);
		json_obj_end(j);
		json_free(j);
	} else
		printf("%s\n", res.name);
	r = EXIT_DONE;
 out:
	progress_done(pg);
	secret_free(pw);
	endpoint_close(e);
	bstore_close(s);
	return r;
}

