/*
 * restore --from STORE --backup NAME --to pkcs11:... --module PATH --add:
 * a backup onto a real PKCS#11 token (lib/backup_p11.h, docs/pkcs11.md
 * "BACKING UP A TOKEN"). A token has no cloning domain: the backup opens
 * with the password of its password domain (--domain-pin-file), as
 * `restore verify --deep` does. Keys go onto the token only wrapped. A
 * token has no transaction: on a failure every object this restore made
 * is destroyed again.
 */
#include <stdio.h>
#include <string.h>

#include "backup_p11.h"
#include "bstore.h"
#include "cli.h"
#include "cred.h"
#include "err.h"
#include "p11mod.h"
#include "p11uri.h"
#include "secret.h"
#include "tool.h"

static void
skip_cb(void *ctx, const char *label, const char *reason)
{
	(void)ctx;
	cli_note(PROG, "kept '%s': %s", label, reason);
}

/* The backup's domain key from its password (--domain-pin-*). */
static int
token_domain(const struct opts *o, const struct cbk_manifest *m,
    struct secret **dkeyp)
{
	struct cli_secret_src src = { o->dpin_file, o->dpin_env };
	struct secret *pw = NULL;
	int r;

	if ((r = cli_read_secret("password of the backup's cloning domain: ",
	    &src, 0, &pw)) != 0)
		return r;
	r = password_domain_key(o, m, pw, dkeyp);
	secret_free(pw);
	return r;
}

int
cmd_restore_p11(struct opts *o)
{
	struct restore_p11_params p;
	struct restore_result res;
	struct bstore_entry ent;
	struct xfer_domain dom;
	struct p11uri u;
	struct bstore *s = NULL;
	struct p11mod *m = NULL;
	struct secret *pw = NULL, *dkey = NULL;
	struct json *j;
	char transport[64] = "";
	int r;

	if (o->backup == NULL || o->module == NULL)
		return cli_usage_error(PROG, "a token restore needs --from "
		    "dir:PATH --backup NAME --to pkcs11:token=LABEL --module "
		    "PATH --add");
	if (!o->add || o->replace)
		return cli_usage_error(PROG, "a token is never emptied by "
		    "restore: give --add (objects whose class and label the "
		    "token holds are kept and named)");
	if (o->nobjects != 0 || o->with_domains || o->with_policies ||
	    o->role != NULL || o->cred.nshare != 0 ||
	    o->cred.challenge_file != NULL || o->cred.challenge_env != NULL)
		return cli_usage_error(PROG, "a token restore takes the whole "
		    "backup with the token's user PIN (--pin-file): --object, "
		    "--with-*, --role, --share and --challenge-* do not apply");
	if (p11uri_parse(o->to, &u) != 0)
		return cli_usage_error(PROG, "--to: %s", err_detail());
	if ((r = check_backup_name(o->backup)) != 0)
		return r;
	if ((r = open_store(o, &s)) != 0)
		return r;
	if ((r = bstore_show(s, o->backup, &ent)) != 0 ||
	    (r = ent.r) != 0) {
		r = cli_fail(PROG, r, "restore refused");
		goto out;
	}
	/* The token is found before any secret is read. */
	if ((r = p11mod_open(o->module, &u, &m)) != 0 ||
	    (r = token_domain(o, &ent.m, &dkey)) != 0 ||
	    (r = read_backup_pin(o, &pw)) != 0 ||
	    (r = cred_p11_login(&o->cred, m)) != 0) {
		r = cli_fail(PROG, r, "restore refused; the token is unchanged");
		goto out;
	}
	memset(&dom, 0, sizeof(dom));
	/* For the messages: a token's backup records one domain. */
	dom.label = ent.m.ndomains > 0 ? ent.m.domains[0].label :
	    "the domain given";
	dom.key = dkey;
	memset(&p, 0, sizeof(p));
	p.password = pw;
	p.doms = &dom;
	p.ndoms = 1;
	p.on_skip = skip_cb;
	if ((r = backup_p11_restore(m, s, o->backup, &p, &res,
	    transport)) != 0) {
		r = cli_fail(PROG, r, "restore failed; the token is unchanged");
		goto out;
	}
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "backup", o->backup);
		json_str(j, "target", o->to);
		json_str(j, "mode", "add");
		json_str(j, "token", p11mod_token(m)->label);
		json_str(j, "token_serial", p11mod_token(m)->serial);
		json_str(j, "domain", res.domain);
		json_str(j, "transport", transport);
		json_int(j, "records", (int64_t)res.records);
		json_int(j, "written", (int64_t)res.written);
		json_int(j, "replaced", 0);
		json_int(j, "skipped", (int64_t)res.skipped);
		json_obj_end(j);
		json_free(j);
	} else
		printf("restored %s onto token '%s' (serial %s): %llu written, "
		    "%llu kept\n", o->backup, p11mod_token(m)->label,
		    p11mod_token(m)->serial, (unsigned long long)res.written,
		    (unsigned long long)res.skipped);
	r = EXIT_DONE;
 out:
	p11mod_close(m);
	secret_free(pw);
	secret_free(dkey);
	bstore_close(s);
	return r;
}
