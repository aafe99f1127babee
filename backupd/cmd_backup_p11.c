/*
 * backupd backup --from pkcs11:...: one backup of a real PKCS#11 token
 * (lib/backup_p11.h, docs/pkcs11.md "BACKING UP A TOKEN"). Every object
 * that cannot leave the token is named on stderr and in --json; the
 * backup of the rest is made and the exit status is 0 (a warning, as a
 * partition backup's notes are): an HSM administrator sees the count in
 * the output and the names on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_p11.h"
#include "backupd.h"
#include "cli.h"
#include "cred.h"
#include "domain.h"
#include "err.h"
#include "kdf.h"
#include "p11mod.h"
#include "p11uri.h"
#include "secret.h"
#include "utc.h"

#define SKIPS_MAX 4096

struct skipped {
	char *label, *id, *reason;
	const char *cls;
};

struct report {
	struct skipped *s;
	size_t n;
};

static void
on_skip(void *ctx, const char *label, const char *idhex, const char *cls,
    const char *reason)
{
	struct report *rp = ctx;
	struct skipped *s;

	/* A warning, never silenced by --quiet. */
	fprintf(stderr, "%s: warning: not backed up: %s '%s'%s%s: %s\n", PROG,
	    cls, label, idhex[0] ? " id " : "", idhex, reason);
	if (rp->n == SKIPS_MAX ||
	    (s = realloc(rp->s, (rp->n + 1) * sizeof(*s))) == NULL)
		return;
	rp->s = s;
	s = &rp->s[rp->n];
	s->label = strdup(label);
	s->id = strdup(idhex);
	s->reason = strdup(reason);
	s->cls = cls;
	if (s->label != NULL && s->id != NULL && s->reason != NULL)
		rp->n++;
	else {
		free(s->label);
		free(s->id);
		free(s->reason);
	}
}

static void
on_note(void *ctx, const char *msg)
{
	(void)ctx;
	cli_note(PROG, "note: %s", msg);
}

/* The domain that seals the backup: its string and password. */
static int
read_domain(const struct opts *o, struct domain_spec *sp,
    struct secret **keyp)
{
	struct cli_secret_src src = { o->dpin_file, o->dpin_env };
	struct secret *pw = NULL;
	int r;

	if ((r = domain_string_parse(o->domain_string, sp)) != 0)
		return r;
	if ((r = cli_read_secret("password of the cloning domain: ", &src, 0,
	    &pw)) != 0)
		return r;
	r = domain_key_derive(sp, pw, keyp);
	secret_free(pw);
	return r;
}

static void
print_json(const struct opts *o, struct p11mod *m,
    const struct backup_p11_result *res, const struct report *rp)
{
	struct json *j = json_new(stdout);
	char t[21];
	size_t i;

	json_obj_begin(j, NULL);
	json_str(j, "name", res->b.name);
	json_str(j, "store", o->to);
	json_str(j, "source", o->from);
	utc_iso_show(res->b.created, t);
	json_str(j, "created", t);
	json_int(j, "objects", (int64_t)res->b.objects);
	json_int(j, "plain_bytes", (int64_t)res->b.plain_bytes);
	json_int(j, "records_size", (int64_t)res->b.records_size);
	json_int(j, "domains", (int64_t)res->b.ndomains);
	json_str(j, "token", p11mod_token(m)->label);
	json_str(j, "token_serial", p11mod_token(m)->serial);
	json_str(j, "transport", res->transport);
	json_int(j, "not_exported_count", (int64_t)res->not_exported);
	json_arr_begin(j, "not_exported");
	for (i = 0; i < rp->n; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "label", rp->s[i].label);
		json_str(j, "id", rp->s[i].id);
		json_str(j, "class", rp->s[i].cls);
		json_str(j, "reason", rp->s[i].reason);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	json_free(j);
}

int
cmd_backup_p11(struct opts *o)
{
	struct cred_src bcred = o->bshares;
	struct backup_p11_params p;
	struct backup_p11_result res;
	struct domain_spec spec;
	struct xfer_domain dom;
	struct p11uri u;
	struct report rp;
	struct bstore *s = NULL;
	struct p11mod *m = NULL;
	struct secret *pw = NULL, *dkey = NULL;
	size_t i;
	int r, kdf = KDF_INTERACTIVE;

	memset(&rp, 0, sizeof(rp));
	if (o->to == NULL || o->module == NULL || o->domain_string == NULL ||
	    o->nargs != 0)
		return cli_usage_error(PROG, "a token backup needs --from "
		    "pkcs11:token=LABEL --module PATH --to dir:PATH "
		    "--domain-string S (the password cloning domain that seals "
		    "it) and no other argument");
	if (o->nobjects != 0 || o->role != NULL || o->cred.nshare != 0 ||
	    o->cred.challenge_file != NULL || o->cred.challenge_env != NULL)
		return cli_usage_error(PROG, "a token is backed up whole, by "
		    "its user PIN (--pin-file): --object, --role, --share and "
		    "--challenge-* do not apply");
	if (p11uri_parse(o->from, &u) != 0)
		return cli_usage_error(PROG, "--from: %s", err_detail());
	if (domain_string_parse(o->domain_string, &spec) != 0)
		return cli_usage_error(PROG, "--domain-string: %s",
		    err_detail());
	if ((r = backup_store_open(o, &kdf, &s, &bcred)) != 0)
		goto out;
	/* The token is found before any secret is read: a typo in the URI
	 * or the module costs nothing. */
	if ((r = p11mod_open(o->module, &u, &m)) != 0) {
		r = cli_fail(PROG, r, "backup refused; nothing was created");
		goto out;
	}
	/* Every file secret before the login, as for a partition. */
	if ((r = read_domain(o, &spec, &dkey)) != 0) {
		r = cli_fail(PROG, r, "no cloning domain password");
		goto out;
	}
	if ((r = read_backup_password(&bcred, &pw)) != 0)
		goto out;
	if ((r = cred_p11_login(&o->cred, m)) != 0) {
		r = cli_fail(PROG, r, "backup refused; nothing was created");
		goto out;
	}
	memset(&dom, 0, sizeof(dom));
	dom.label = o->domain_label != NULL ? o->domain_label : "token";
	dom.key = dkey;
	memset(&p, 0, sizeof(p));
	p.password = pw;
	p.kdf = kdf;
	p.domain = &dom;
	p.spec = &spec;
	p.on_skip = on_skip;
	p.on_note = on_note;
	p.ctx = &rp;
	if ((r = backup_p11_make(m, s, &p, &res)) != 0) {
		r = cli_fail(PROG, r, "backup failed; nothing was created");
		goto out;
	}
	if (o->json)
		print_json(o, m, &res, &rp);
	else
		printf("%s\n", res.b.name);
	if (res.not_exported > 0)
		fprintf(stderr, "%s: warning: %llu object%s of token '%s' "
		    "(serial %s) could not leave it and %s not in the backup "
		    "(named above); %llu backed up\n", PROG,
		    (unsigned long long)res.not_exported,
		    res.not_exported == 1 ? "" : "s", p11mod_token(m)->label,
		    p11mod_token(m)->serial, res.not_exported == 1 ? "is" :
		    "are", (unsigned long long)res.b.objects);
	r = EXIT_DONE;
 out:
	for (i = 0; i < rp.n; i++) {
		free(rp.s[i].label);
		free(rp.s[i].id);
		free(rp.s[i].reason);
	}
	free(rp.s);
	p11mod_close(m);
	secret_free(pw);
	secret_free(dkey);
	bstore_close(s);
	return r;
}
