/* domains list: a partition's domains with their local fingerprints. */
#include <stdio.h>

#include "cli.h"
#include "domain.h"
#include "domains.h"
#include "err.h"
#include "endpoint.h"
#include "kdf.h"
#include "role.h"
#include "utc.h"

static const char *
kdf_of(const struct domain_entry *d)
{
	const char *n;

	if (d->spec.type != DOMAIN_PASSWORD)
		return "-";
	n = kdf_profile_name(d->spec.kdf);
	return n ? n : "?";
}

static void
print_human(const char *label, const struct domain_list *l,
    char fps[][DOMAIN_FP_LEN])
{
	size_t i;

	printf("Cloning domains of partition '%s' (%zu of %d):\n", label, l->n,
	    DOMAIN_MAX);
	printf("  %-32s  %-8s  %-7s  %-19s  %s\n", "LABEL", "TYPE", "PRIMARY",
	    "FINGERPRINT", "KDF");
	for (i = 0; i < l->n; i++)
		printf("  %-32s  %-8s  %-7s  %-19s  %s%s\n", l->d[i].label,
		    domain_type_name(l->d[i].spec.type), l->d[i].primary ? "yes" :
		    "no", fps[i], kdf_of(&l->d[i]), l->d[i].spec.type ==
		    DOMAIN_PASSWORD && !l->d[i].spec.salted ? "  (legacy "
		    "unsalted: roll over)" : "");
}

static void
print_json(const char *label, const struct domain_list *l,
    char fps[][DOMAIN_FP_LEN])
{
	struct json *j = json_new(stdout);
	char t[21], str[DOMAIN_STRING_MAX];
	size_t i;

	json_obj_begin(j, NULL);
	json_str(j, "partition", label);
	json_arr_begin(j, "domains");
	for (i = 0; i < l->n; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "label", l->d[i].label);
		json_str(j, "type", domain_type_name(l->d[i].spec.type));
		json_bool(j, "primary", l->d[i].primary);
		if (fps[i][0] != '-')  /* a legacy domain has none */
			json_str(j, "fingerprint", fps[i]);
		if (l->d[i].spec.type == DOMAIN_PASSWORD) {
			json_str(j, "kdf", kdf_of(&l->d[i]));
			json_str(j, "form", l->d[i].spec.salted ? "salted" :
			    "legacy");
		}
		if (domain_string_format(&l->d[i].spec, str) == 0)
			json_str(j, "domain_string", str);
		utc_iso_show(l->d[i].created, t);
		json_str(j, "created", t);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	json_free(j);
}

int
cmd_list(struct opts *o)
{
	struct endpoint *e = NULL;
	struct domain_list l = { 0 };
	char fps[DOMAIN_MAX][DOMAIN_FP_LEN];
	size_t i;
	int r;

	if ((r = open_session(o, o->args[0], ROLE_PO, &e)) != 0) {
		r = cli_fail(PROG, r, "login");
		goto out;
	}
	if ((r = domain_list_get(endpoint_session(e), &l)) != 0) {
		r = cli_fail(PROG, r, "reading the domains");
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		/* A legacy password domain has no fingerprint (lib/domain.h). */
		if (l.d[i].spec.type == DOMAIN_PASSWORD && !l.d[i].spec.salted) {
			snprintf(fps[i], DOMAIN_FP_LEN, "-");
			continue;
		}
		if ((r = domain_fingerprint(&l.d[i].spec, l.d[i].key,
		    fps[i])) != 0) {
			r = cli_fail(PROG, r, "fingerprint");
			goto out;
		}
	}
	if ((r = endpoint_commit(e)) != 0) {
		r = cli_fail(PROG, r, "list");
		goto out;
	}
	if (o->json)
		print_json(endpoint_label(e), &l, fps);
	else
		print_human(endpoint_label(e), &l, fps);
	r = EXIT_DONE;
 out:
	domain_list_clear(&l);
	endpoint_close(e);
	return r;
}
