/*
 * Bringing back what a backup records of its source beyond the keys: the
 * cloning domains and the partition policies.
 */
#include <stdio.h>
#include <string.h>

#include "backup_source.h"
#include "crypto.h"
#include "domain.h"
#include "err.h"
#include "kdf.h"
#include "partition.h"
#include "secret.h"

int
backup_domains_present(const struct cbk_manifest *m,
    const struct xfer_domain *doms, size_t ndoms,
    int present[CBK_DOMAINS_MAX])
{
	uint8_t c[DOMAIN_CHECK_LEN];
	size_t i, k;
	int r;

	memset(present, 0, CBK_DOMAINS_MAX * sizeof(present[0]));
	for (k = 0; k < ndoms; k++) {
		if ((r = domain_check(doms[k].key, m->domain_salt, c)) != 0)
			return r;
		for (i = 0; i < m->ndomains; i++)
			if (cc_memeq(c, m->domains[i].check, sizeof(c)))
				present[i] = 1;
	}
	return 0;
}

int
backup_domain_spec(const struct cbk_domain *d, struct domain_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	if (domain_type_parse(d->type, &sp->type) != 0 ||
	    (sp->type == DOMAIN_PASSWORD &&
	    kdf_profile_parse(d->kdf, &sp->kdf) != 0)) {
		err_set_detail("domain '%s': unknown type or profile", d->label);
		return CE_FORMAT;
	}
	if (sp->type == DOMAIN_PASSWORD && d->salted) {
		sp->salted = 1;
		memcpy(sp->salt, d->salt, DOMAIN_SALT_LEN);
	}
	return 0;
}

int
backup_domain_matches(const struct cbk_manifest *m, size_t i,
    const struct secret *key)
{
	uint8_t c[DOMAIN_CHECK_LEN];
	int r;

	if ((r = domain_check(key, m->domain_salt, c)) != 0)
		return r;
	if (!cc_memeq(c, m->domains[i].check, sizeof(c))) {
		err_set_detail("the secret given for cloning domain '%s' is not "
		    "the one the backup recorded (%s%s%s): check the password "
		    "and its profile, or the share set", m->domains[i].label,
		    m->domains[i].type, strcmp(m->domains[i].type,
		    "password") == 0 ? ", profile " : "",
		    strcmp(m->domains[i].type, "password") == 0 ?
		    m->domains[i].kdf : "");
		return CE_BAD_CREDENTIAL;
	}
	return 0;
}

/* Sets policy to v when the partition's value is another. */
static int
set_if_differs(struct session *s, int policy, uint64_t have, uint64_t v,
    struct backup_source_result *res)
{
	int r;

	if (have == v)
		return 0;
	if ((r = partition_policy_set(s, policy, v)) != 0)
		return r;
	res->policies_set++;
	return 0;
}

static int
apply_policies(struct session *s, const struct cbk_manifest *m,
    struct backup_source_result *res)
{
	const struct cbk_policies *p = &m->policies;
	struct partition_info pi;
	int r;

	if ((r = partition_session_info(s, &pi)) != 0)
		return r;
	if ((r = set_if_differs(s, PPOL_STORAGE_SIZE, pi.capacity,
	    p->storage_size, res)) != 0 ||
	    (r = set_if_differs(s, PPOL_LOCKOUT, (uint64_t)pi.lockout,
	    p->lockout, res)) != 0)
		return r;
	/* Activation exists on PED HSMs only; a password HSM has it off. */
	if (p->activation != (pi.allow_activation != 0) &&
	    (r = set_if_differs(s, PPOL_ACTIVATION, (uint64_t)
	    (pi.allow_activation != 0), (uint64_t)p->activation, res)) != 0)
		return r;
	if (p->allow_cloning != (pi.allow_cloning != 0))
		snprintf(res->note, sizeof(res->note), "allow-cloning is %s "
		    "here and was %s at the source; left as it is (changing it "
		    "erases every object)", pi.allow_cloning ? "on" : "off",
		    p->allow_cloning ? "on" : "off");
	return 0;
}

int
backup_apply_source(struct session *s, const struct cbk_manifest *m,
    struct secret *const keys[CBK_DOMAINS_MAX], int policies,
    struct backup_source_result *res)
{
	struct domain_spec sp;
	size_t i;
	int r;

	memset(res, 0, sizeof(*res));
	if (m->format_version < 2) {
		err_set_detail("a format 1 backup records no domains nor "
		    "policies; set them with 'domains add' and 'hsm partition "
		    "policy set'");
		return CE_UNSUPPORTED;
	}
	for (i = 0; i < m->ndomains; i++) {
		if (keys[i] == NULL)
			continue;
		if ((r = backup_domain_spec(&m->domains[i], &sp)) != 0)
			return r;
		if ((r = domain_add(s, m->domains[i].label, &sp, keys[i],
		    0)) != 0)
			return r;
		res->domains_added++;
	}
	return policies ? apply_policies(s, m, res) : 0;
}
