/*
 * domains create: make a new cloning domain for people to hold.
 *
 * A password domain is nothing but its password (and the Argon2id profile
 * it is stretched under): create reads it, derives the key exactly as a
 * partition will, and prints the fingerprint and profile for the
 * credential inventory. Nothing is stored anywhere; the domain exists on
 * an HSM only once `domains add` or `hsm partition init` puts it on a
 * partition, and the fingerprints let people check they typed the same one.
 *
 * A PED domain is 32 random bytes that no person types: create draws them,
 * splits them into an M-of-N share set and writes the share files (0600,
 * never overwriting); the random secret exists nowhere else afterwards.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "domain.h"
#include "domains.h"
#include "err.h"
#include "kdf.h"
#include "secret.h"
#include "share.h"

static void
report(const struct opts *o, int type, int kdf, const char *fp,
    struct share *const set[], char paths[][SHARE_PATH_MAX])
{
	struct share_info info;
	char id[SHARE_SET_ID_STR];
	struct json *j;
	unsigned i;

	if (set != NULL) {
		share_get_info(set[0], &info);
		share_set_id_str(info.set_id, id);
	}
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "type", domain_type_name(type));
		json_str(j, "fingerprint", fp);
		if (type == DOMAIN_PASSWORD)
			json_str(j, "kdf", kdf_profile_name(kdf));
		if (set != NULL) {
			json_str(j, "set", id);
			json_int(j, "m", o->m);
			json_int(j, "n", o->n);
			json_arr_begin(j, "files");
			for (i = 0; i < o->n; i++)
				json_str(j, NULL, paths[i]);
			json_arr_end(j);
		}
		json_obj_end(j);
		json_free(j);
		return;
	}
	if (type == DOMAIN_PASSWORD) {
		printf("password domain\n  fingerprint  %s\n  KDF profile  %s\n",
		    fp, kdf_profile_name(kdf));
		printf("Nothing was stored. Record the fingerprint and profile "
		    "in the credential\ninventory; put the domain on a "
		    "partition with\n  domains add hsm:DIR#PARTITION --label "
		    "LABEL --kdf %s\n", kdf_profile_name(kdf));
		return;
	}
	printf("PED domain\n  fingerprint  %s\n  share set    %s (any %u of "
	    "%u)\n", fp, id, o->m, o->n);
	for (i = 0; i < o->n; i++)
		printf("  share #%u     %s\n", i + 1, paths[i]);
	printf("The domain exists only in these shares: give each to a "
	    "different holder.\nPut it on a partition with\n  domains add "
	    "hsm:DIR#PARTITION --label LABEL --share FILE ... (any %u)\n",
	    o->m);
}

static int
create_password(struct opts *o, int kdf)
{
	struct secret *pw = NULL, *key = NULL;
	char fp[DOMAIN_FP_LEN];
	int r;

	if ((r = read_cred(o, CRED_DOMAIN, "New domain password: ", &pw)) != 0)
		return cli_fail(PROG, r, "reading the domain password");
	if ((r = domain_key_derive(DOMAIN_PASSWORD, kdf, pw, &key)) != 0 ||
	    (r = domain_fingerprint(key, fp)) != 0) {
		r = cli_fail(PROG, r, "deriving the domain key");
		goto out;
	}
	report(o, DOMAIN_PASSWORD, kdf, fp, NULL, NULL);
	r = EXIT_DONE;
 out:
	secret_free(pw);
	secret_free(key);
	return r;
}

static int
create_ped(struct opts *o)
{
	struct share *set[SHARE_MAX_N] = { NULL };
	char paths[SHARE_MAX_N][SHARE_PATH_MAX];
	struct secret *raw = NULL, *key = NULL;
	char fp[DOMAIN_FP_LEN];
	int r;

	if (o->m == 0 || o->n == 0 || o->out_dir == NULL)
		return cli_usage_error(PROG, "a PED domain is a share set: give "
		    "--m M --n N --out-dir DIR");
	if (o->m > o->n)
		return cli_usage_error(PROG, "--m %u is more than --n %u: the "
		    "threshold cannot exceed the number of shares", o->m, o->n);
	if ((raw = secret_new(DOMAIN_PED_SECRET_LEN)) == NULL)
		return cli_fail(PROG, CE_NOMEM, "create");
	cc_random(secret_ptr(raw), DOMAIN_PED_SECRET_LEN);
	if ((r = domain_key_derive(DOMAIN_PED, 0, raw, &key)) != 0 ||
	    (r = domain_fingerprint(key, fp)) != 0 ||
	    (r = share_set_new(raw, o->m, o->n, set)) != 0) {
		r = cli_fail(PROG, r, "making the domain");
		goto out;
	}
	if ((r = share_dir_write(o->out_dir, set, o->n, NULL, 0, o->force,
	    paths)) != 0) {
		r = cli_fail(PROG, r, "writing the shares");
		goto out;
	}
	report(o, DOMAIN_PED, 0, fp, set, paths);
	r = EXIT_DONE;
 out:
	share_set_free(set, o->n);
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
	if (o->kdf != NULL && kdf_profile_parse(o->kdf, &kdf) != 0)
		return cli_usage_error(PROG, "--kdf wants interactive, "
		    "moderate, sensitive or test, not '%s'", o->kdf);
	if (type == DOMAIN_PASSWORD) {
		if (o->m || o->n || o->out_dir || o->force)
			return cli_usage_error(PROG, "--m, --n, --out-dir and "
			    "--force are for PED domains (--type ped)");
		return create_password(o, kdf);
	}
	if (o->kdf != NULL || o->dom_pin_file || o->dom_pin_env)
		return cli_usage_error(PROG, "a PED domain takes no password "
		    "and no --kdf (it is random)");
	return create_ped(o);
}
