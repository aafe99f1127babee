/*
 * domains create: make a new cloning domain for people to hold.
 *
 * A password domain is its password plus a public domain string (the
 * Argon2id profile and a random salt, lib/domain.h): create reads the
 * password, draws the salt, derives the key exactly as a partition will,
 * and prints the string, fingerprint and profile for the credential
 * inventory. Nothing is stored anywhere; the domain exists on an HSM only
 * once `domains add` or `hsm partition init` puts it on a partition with
 * the string, and the fingerprints let people check they typed the same
 * password.
 *
 * A PED domain is 32 random bytes that no person types: create draws them,
 * splits them into an M-of-N share set and writes the share files (0600,
 * never overwriting); the random secret exists nowhere else afterwards.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "buf.h"
#include "cred.h"
#include "file.h"
#include "domain.h"
#include "domains.h"
#include "err.h"
#include "kdf.h"
#include "secret.h"
#include "share.h"

/* The set identifier of a share file just written (no PIN needed). */
static void
set_id_of(const char *path, char id[SHARE_SET_ID_STR])
{
	struct share_info info;
	struct buf *b = NULL;

	snprintf(id, SHARE_SET_ID_STR, "?");
	if (file_read(path, 64 * 1024, &b) == 0 &&
	    share_file_peek(buf_ptr(b), buf_len(b), &info) == 0)
		share_set_id_str(info.set_id, id);
	buf_free(b);
}

static void
report(const struct opts *o, const struct domain_spec *sp, const char *fp,
    const struct cred_written *w)
{
	char id[SHARE_SET_ID_STR], str[DOMAIN_STRING_MAX] = "";
	int type = sp->type, kdf = sp->kdf;
	struct json *j;
	unsigned i;

	if (w != NULL)
		set_id_of(w->path[0], id);
	if (type == DOMAIN_PASSWORD)
		(void)domain_string_format(sp, str);
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "type", domain_type_name(type));
		json_str(j, "fingerprint", fp);
		if (type == DOMAIN_PASSWORD) {
			json_str(j, "kdf", kdf_profile_name(kdf));
			json_str(j, "domain_string", str);
		}
		if (w != NULL) {
			json_str(j, "set", id);
			json_int(j, "m", o->m);
			json_int(j, "n", o->n);
			json_arr_begin(j, "files");
			for (i = 0; i < w->n; i++)
				json_str(j, NULL, w->path[i]);
			json_arr_end(j);
		}
		json_obj_end(j);
		json_free(j);
		return;
	}
	if (type == DOMAIN_PASSWORD) {
		printf("password domain\n  string       %s\n  fingerprint  %s\n"
		    "  KDF profile  %s\n", str, fp, kdf_profile_name(kdf));
		printf("Nothing was stored. Record the string (public, like a "
		    "label) and the\nfingerprint in the credential inventory; "
		    "the password goes to its holders\nonly. Put the domain on a "
		    "partition with\n  domains add hsm:DIR#PARTITION --label "
		    "LABEL --domain-string %s\n", str);
		return;
	}
	printf("PED domain\n  fingerprint  %s\n  share set    %s (any %u of "
	    "%u)\n", fp, id, o->m, o->n);
	for (i = 0; i < w->n; i++)
		printf("  share #%u     %s\n", i + 1, w->path[i]);
	printf("The domain exists only in these shares: give each to a "
	    "different holder.\nPut it on a partition with\n  domains add "
	    "hsm:DIR#PARTITION --label LABEL --domain-share FILE ... "
	    "(any %u)\n", o->m);
}

static int
create_password(struct opts *o, int kdf)
{
	struct secret *pw = NULL, *key = NULL;
	struct domain_spec sp;
	char fp[DOMAIN_FP_LEN];
	int r;

	domain_spec_new(kdf, &sp);
	if ((r = read_domain_password(o, "New domain password: ", &pw)) != 0)
		return cli_fail(PROG, r, "reading the domain password");
	if ((r = kdf_password_check(pw, "a cloning domain password")) != 0) {
		secret_free(pw);
		return cli_fail(PROG, r, "domain password refused");
	}
	if ((r = domain_key_derive(&sp, pw, &key)) != 0 ||
	    (r = domain_fingerprint(&sp, key, fp)) != 0) {
		r = cli_fail(PROG, r, "deriving the domain key");
		goto out;
	}
	report(o, &sp, fp, NULL);
	r = EXIT_DONE;
 out:
	secret_free(pw);
	secret_free(key);
	return r;
}

/* 32 random bytes as a new M-of-N set of share files (lib/cred, as `hsm
 * partition init` makes a PED partition's first domain). */
static int
create_ped(struct opts *o)
{
	struct cred_new nc;
	struct cred_written w;
	struct secret *raw = NULL, *key = NULL;
	struct domain_spec sp = { .type = DOMAIN_PED };
	char fp[DOMAIN_FP_LEN];
	int r;

	if (o->m == 0 || o->n == 0 || o->out_dir == NULL)
		return cli_usage_error(PROG, "a PED domain is a share set: give "
		    "--m M --n N --out-dir DIR");
	memset(&nc, 0, sizeof(nc));
	nc.m = o->m;
	nc.n = o->n;
	nc.dir = o->out_dir;
	nc.force = o->force;
	if ((r = cred_new_check(&nc, "domain")) != 0 ||
	    (r = cred_pins_check(&o->new_pins, o->n)) != 0)
		return cli_fail(PROG, r, "create");
	if ((r = cred_domain_secret(PROG, NULL, &nc, &o->new_pins, &w,
	    &raw)) != 0)
		return cli_fail(PROG, r, "writing the domain's shares");
	if ((r = domain_key_derive(&sp, raw, &key)) != 0 ||
	    (r = domain_fingerprint(&sp, key, fp)) != 0) {
		cred_written_undo(&w);
		r = cli_fail(PROG, r, "making the domain");
		goto out;
	}
	report(o, &sp, fp, &w);
	r = EXIT_DONE;
 out:
	secret_free(raw);
	secret_free(key);
	return r;
}

int
cmd_create(struct opts *o)
{
	int type = DOMAIN_PASSWORD, kdf = KDF_INTERACTIVE, r;

	if (o->type != NULL && (r = domain_type_parse(o->type, &type)) != 0)
		return cli_usage_error(PROG, "--type wants password or ped, not "
		    "'%s'", o->type);
	if (o->kdf != NULL && (r = kdf_profile_choose(o->kdf, &kdf)) != 0)
		return r == CE_POLICY ? cli_fail(PROG, r, "--kdf") :
		    cli_usage_error(PROG, "--kdf wants interactive, "
		    "moderate or sensitive, not '%s'", o->kdf);
	if (type == DOMAIN_PASSWORD) {
		if (o->m || o->n || o->out_dir || o->force || o->new_pins.n ||
		    o->new_pins.prompt)
			return cli_usage_error(PROG, "--m, --n, --out-dir, "
			    "--force and --new-share-pin* are for PED domains "
			    "(--type ped)");
		return create_password(o, kdf);
	}
	if (o->new_pins.n > 0 || o->new_pins.prompt)
		o->new_pins.kdf = KDF_INTERACTIVE;
	if (o->kdf != NULL || o->dom_pin_file || o->dom_pin_env)
		return cli_usage_error(PROG, "a PED domain takes no password "
		    "and no --kdf (it is random)");
	return create_ped(o);
}
