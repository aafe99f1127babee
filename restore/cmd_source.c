/*
 * restore --with-domains --with-policies: bringing back, after the keys,
 * what a format 2 backup records of its source (lib/backup_source.h).
 *
 * The secret of every cloning domain the target lacks is read and checked
 * against the backup's salted check while the restore's transaction is
 * still open, so a wrong one refuses the whole restore with nothing
 * changed. Domains and policies are then set by the partition SO in a
 * transaction of their own, after the keys are committed: a refused SO
 * login there leaves the keys restored and says how to finish.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_source.h"
#include "cli.h"
#include "domain.h"
#include "endpoint.h"
#include "err.h"
#include "kdf.h"
#include "role.h"
#include "secret.h"
#include "tool.h"

/* A domain label names a file or directory under --domain-dir. */
static int
label_is_file_name(const char *label)
{
	return label[0] != '.' && strchr(label, '/') == NULL;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The share files (*.cshare) in dir, in name order, into c. */
static int
shares_in(const char *dir, struct cred_src *c, char paths[][PATH_MAX])
{
	struct dirent *de;
	const char *sorted[SHARE_MAX_INPUTS];
	size_t n = 0, i, len;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		err_set_detail("cannot read %s: put M share files of the PED "
		    "domain there", dir);
		return CE_NOT_FOUND;
	}
	while ((de = readdir(d)) != NULL && n < SHARE_MAX_INPUTS) {
		len = strlen(de->d_name);
		if (len < 8 || strcmp(de->d_name + len - 7, ".cshare") != 0)
			continue;
		if (snprintf(paths[n], PATH_MAX, "%s/%s", dir, de->d_name) >=
		    PATH_MAX)
			continue;
		sorted[n] = paths[n];
		n++;
	}
	closedir(d);
	qsort(sorted, n, sizeof(sorted[0]), by_name);
	for (i = 0; i < n; i++)
		c->share[i] = sorted[i];
	c->nshare = n;
	if (n == 0) {
		err_set_detail("no share files (*.cshare) in %s", dir);
		return CE_NOT_FOUND;
	}
	return 0;
}

/* The key of domain d from --domain-dir, or a prompt for a password. */
static int
domain_key_of(const struct opts *o, const struct cbk_domain *d,
    struct secret **keyp)
{
	static char paths[SHARE_MAX_INPUTS][PATH_MAX];
	char path[PATH_MAX], prompt[96];
	struct cli_secret_src src = { NULL, NULL };
	struct cred_src c;
	struct secret *m = NULL;
	struct domain_spec sp;
	int r, type;

	if ((r = backup_domain_spec(d, &sp)) != 0)
		return r;
	type = sp.type;
	if (o->domain_dir != NULL && !label_is_file_name(d->label)) {
		err_set_detail("domain '%s' cannot name a file in %s; add it "
		    "with 'domains add' instead", d->label, o->domain_dir);
		return CE_USAGE;
	}
	if (type == DOMAIN_PED) {
		if (o->domain_dir == NULL) {
			err_set_detail("PED domain '%s' comes from its share "
			    "files: give --domain-dir DIR with them in DIR/%s/",
			    d->label, d->label);
			return CE_USAGE;
		}
		memset(&c, 0, sizeof(c));
		snprintf(path, sizeof(path), "%s/%s", o->domain_dir, d->label);
		if ((r = shares_in(path, &c, paths)) != 0 ||
		    (r = cred_read_shares(PROG, &c, &m)) != 0)
			return r;
	} else {
		if (o->domain_dir != NULL) {
			snprintf(path, sizeof(path), "%s/%s.pin", o->domain_dir,
			    d->label);
			src.file = path;
		}
		snprintf(prompt, sizeof(prompt), "password of cloning domain "
		    "'%s' (profile %s): ", d->label, d->kdf);
		if ((r = cli_read_secret(prompt, &src, 0, &m)) != 0)
			return r;
	}
	r = domain_key_derive(&sp, m, keyp);
	secret_free(m);
	return r;
}

int
source_domains_read(const struct opts *o, struct endpoint *e,
    const struct cbk_manifest *m, struct secret *keys[CBK_DOMAINS_MAX])
{
	const struct xfer_domain *doms;
	int present[CBK_DOMAINS_MAX];
	size_t n, i;
	int r;

	memset(keys, 0, CBK_DOMAINS_MAX * sizeof(keys[0]));
	doms = endpoint_domains(e, &n);
	if ((r = backup_domains_present(m, doms, n, present)) != 0)
		return r;
	for (i = 0; i < m->ndomains; i++) {
		if (present[i])
			continue;
		if ((r = domain_key_of(o, &m->domains[i], &keys[i])) != 0 ||
		    (r = backup_domain_matches(m, i, keys[i])) != 0)
			return r;
	}
	return 0;
}

void
source_domains_free(struct secret *keys[CBK_DOMAINS_MAX])
{
	size_t i;

	for (i = 0; i < CBK_DOMAINS_MAX; i++) {
		secret_free(keys[i]);
		keys[i] = NULL;
	}
}

int
source_apply(const struct opts *o, const struct cbk_manifest *m,
    struct secret *const keys[CBK_DOMAINS_MAX],
    struct backup_source_result *res)
{
	struct endpoint *e = NULL;
	int r;

	if ((r = endpoint_open(o->to, &e)) == 0 &&
	    (r = cred_endpoint_login(PROG, e, ROLE_PO, &o->po,
	    ENDPOINT_TX)) == 0 &&
	    (r = backup_apply_source(endpoint_session(e), m, keys,
	    o->with_policies, res)) == 0)
		r = endpoint_commit(e);
	endpoint_close(e);
	return r;
}
