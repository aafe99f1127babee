/*
 * backup_source: what a format 2 backup records of its source partition
 * beyond the keys (docs/formats.md 7.3) and bringing it back on a restore
 * into a rebuilt partition: every cloning domain (checked against the
 * backup's salted check before anything changes) and the partition
 * policies (`restore --with-domains --with-policies`, docs/restore.md).
 */
#ifndef COFFER_BACKUP_SOURCE_H
#define COFFER_BACKUP_SOURCE_H

#include <stddef.h>

#include "cbk_manifest.h"
#include "xfer.h"

struct secret;
struct session;

/*
 * present[i] = 1 for each domain of m that one of doms (a partition's
 * domains, with their keys) is. Compared by key, not label: labels are
 * local and a rebuilt partition may name a domain differently.
 */
int backup_domains_present(const struct cbk_manifest *m,
    const struct xfer_domain *doms, size_t ndoms,
    int present[CBK_DOMAINS_MAX]);

/*
 * 0 when key is domain i of m; CE_BAD_CREDENTIAL naming the domain
 * otherwise (a wrong password, the right password under another profile,
 * or shares of another set).
 */
int backup_domain_matches(const struct cbk_manifest *m, size_t i,
    const struct secret *key);

/*
 * The public spec of domain d as a backup recorded it: type, profile and
 * (format 3) a form 2 password domain's salt. CE_FORMAT naming the domain
 * for an unknown type or profile.
 */
struct domain_spec;
int backup_domain_spec(const struct cbk_domain *d, struct domain_spec *sp);

struct backup_source_result {
	size_t domains_added;
	size_t policies_set;
	char note[160];   /* a policy left as it is, and why ("" if none) */
};

/*
 * PO session s on the restored partition: adds domain i of m for each
 * keys[i] != NULL (in m's order, none primary), and with policies set
 * every policy of m that differs from the partition's, except
 * allow-cloning (changing it erases every object; a backup was made with
 * it on, and a restore needs it on). In the session's transaction: the
 * caller commits. Errors as domain_add() and partition_policy_set().
 */
int backup_apply_source(struct session *s, const struct cbk_manifest *m,
    struct secret *const keys[CBK_DOMAINS_MAX], int policies,
    struct backup_source_result *res);

#endif
