/* domains add, remove, relabel, primary: the PO changes a partition's list
 * (the rules - at most three, never the last, unique labels, one primary -
 * are lib/domain's). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "domain.h"
#include "domains.h"
#include "err.h"
#include "endpoint.h"
#include "kdf.h"
#include "partition.h"
#include "role.h"
#include "secret.h"

/* The new domain's key, from its password or its share files. */
static int
new_domain_key(const struct opts *o, const struct domain_spec *sp,
    struct secret **keyp)
{
	struct cred_written w;
	struct cred_new none;
	struct secret *m = NULL;
	int r;

	memset(&none, 0, sizeof(none));
	if (sp->type == DOMAIN_PED)
		r = cred_domain_secret(PROG, &o->domain, &none, NULL, &w, &m);
	else
		r = read_domain_password(o, "Password of the domain to add: ",
		    &m);
	if (r == 0)
		r = domain_key_derive(sp, m, keyp);
	secret_free(m);
	return r;
}

int
cmd_add(struct opts *o)
{
	struct endpoint *e = NULL;
	struct secret *key = NULL;
	struct domain_spec sp = { .type = DOMAIN_PED };
	char fp[DOMAIN_FP_LEN] = "none (legacy)";
	int r, type, kdf = 0;

	if (o->label == NULL)
		return cli_usage_error(PROG, "give the new domain a --label (1 "
		    "to %d characters, unique on the partition)",
		    DOMAIN_LABEL_MAX);
	if (domain_label_check(o->label) != 0)
		return cli_fail(PROG, CE_USAGE, "--label");
	type = o->domain.nshare > 0 ? DOMAIN_PED : DOMAIN_PASSWORD;
	if (o->type != NULL && domain_type_parse(o->type, &type) != 0)
		return cli_usage_error(PROG, "--type wants password or ped, not "
		    "'%s'", o->type);
	if (type == DOMAIN_PED && o->domain.nshare == 0)
		return cli_usage_error(PROG, "a PED domain comes from its share "
		    "files: give --domain-share FILE for each of M shares");
	if (type == DOMAIN_PED && (o->dom_pin_file || o->dom_pin_env ||
	    o->kdf || o->domain_string || o->legacy_domain))
		return cli_usage_error(PROG, "a PED domain takes --domain-share "
		    "files, not a password, --kdf or a domain string");
	if (o->domain_string != NULL && o->kdf != NULL)
		return cli_usage_error(PROG, "the domain string names the "
		    "domain's KDF profile: --kdf is for --legacy-domain");
	if (type == DOMAIN_PASSWORD && o->domain.nshare > 0)
		return cli_usage_error(PROG, "--domain-share is for PED "
		    "domains");
	if (o->kdf != NULL && (r = kdf_profile_choose(o->kdf, &kdf)) != 0)
		return r == CE_POLICY ? cli_fail(PROG, r, "--kdf") :
		    cli_usage_error(PROG, "--kdf wants interactive, "
		    "moderate or sensitive, not '%s'", o->kdf);
	/* The new domain is read before the PO logs in, so a bad share set
	 * or password leaves the store untouched. A password domain defaults
	 * to the partition's own profile, the one `hsm partition init` used
	 * for its first domain (facts readable without a login). */
	if ((r = endpoint_open(o->args[0], &e)) != 0) {
		r = cli_fail(PROG, r, "opening the partition");
		goto out;
	}
	if (type == DOMAIN_PASSWORD && o->kdf == NULL)
		kdf = endpoint_info(e)->kdf;
	if (type == DOMAIN_PASSWORD && (r = domain_spec_choose(o->domain_string,
	    0, o->legacy_domain, kdf, &sp)) != 0) {
		r = cli_fail(PROG, r, "which domain");
		goto out;
	}
	if ((r = new_domain_key(o, &sp, &key)) != 0) {
		r = cli_fail(PROG, r, "reading the new domain");
		goto out;
	}
	if ((r = login(o, e, ROLE_PO)) != 0) {
		r = cli_fail(PROG, r, "login");
		goto out;
	}
	if ((sp.type == DOMAIN_PED || sp.salted) &&
	    (r = domain_fingerprint(&sp, key, fp)) != 0) {
		r = cli_fail(PROG, r, "fingerprint");
		goto out;
	}
	if ((r = domain_add(endpoint_session(e), o->label, &sp, key,
	    o->primary)) != 0 || (r = endpoint_commit(e)) != 0) {
		r = cli_fail(PROG, r, "adding the domain");
		goto out;
	}
	printf("domain '%s' (%s, fingerprint %s) added to '%s'%s\n", o->label,
	    domain_type_name(type), fp, endpoint_label(e), o->primary ?
	    " as primary" : "");
	r = EXIT_DONE;
 out:
	secret_free(key);
	endpoint_close(e);
	return r;
}

/* remove, relabel, primary: a PO login and one lib/domain call. */
static int
po_change(struct opts *o, const char *what)
{
	struct endpoint *e = NULL;
	struct session *s;
	int r;

	if ((r = open_session(o, o->args[0], ROLE_PO, &e)) != 0) {
		r = cli_fail(PROG, r, "login");
		goto out;
	}
	s = endpoint_session(e);
	if (strcmp(what, "remove") == 0)
		r = domain_remove(s, o->args[1]);
	else if (strcmp(what, "relabel") == 0)
		r = domain_relabel(s, o->args[1], o->args[2]);
	else
		r = domain_set_primary(s, o->args[1]);
	if (r != 0 || (r = endpoint_commit(e)) != 0) {
		r = cli_fail(PROG, r, what);
		goto out;
	}
	if (strcmp(what, "remove") == 0)
		printf("domain '%s' removed from '%s'\n", o->args[1],
		    endpoint_label(e));
	else if (strcmp(what, "relabel") == 0)
		printf("domain '%s' is now '%s' on '%s'\n", o->args[1],
		    o->args[2], endpoint_label(e));
	else
		printf("domain '%s' is the primary of '%s'\n", o->args[1],
		    endpoint_label(e));
	r = EXIT_DONE;
 out:
	endpoint_close(e);
	return r;
}

int
cmd_remove(struct opts *o)
{
	return po_change(o, "remove");
}

int
cmd_relabel(struct opts *o)
{
	if (domain_label_check(o->args[2]) != 0)
		return cli_fail(PROG, CE_USAGE, "new label");
	return po_change(o, "relabel");
}

int
cmd_primary(struct opts *o)
{
	return po_change(o, "primary");
}
