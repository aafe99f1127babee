/*
 * What backup.c and backup_restore.c share: a partition's domains as the
 * sealed stream wants them, and a selection of object labels.
 */
#ifndef COFFER_BACKUP_INT_H
#define COFFER_BACKUP_INT_H

#include <stddef.h>

#include "domain.h"
#include "xfer.h"

struct session;

/* A partition's domains with their keys, and the same as xfer_domains. */
struct backup_doms {
	struct domain_list list;
	struct xfer_domain x[DOMAIN_MAX];
	size_t n;
};

/* Reads the domains of the partition of s (wipe with backup_doms_clear). */
int backup_doms_get(struct session *s, struct backup_doms *d);
void backup_doms_clear(struct backup_doms *d);

/* A selection of labels; found[i] is set when labels[i] was seen. */
struct backup_sel {
	const char *const *labels;
	size_t n;
	unsigned char *found;
};

/*
 * Starts a selection (n 0: everything). CE_INVALID when a label is given
 * twice or is empty.
 */
int backup_sel_init(struct backup_sel *sel, const char *const *labels,
    size_t n);
/* Returns 1 when label is selected (and marks it found). */
int backup_sel_take(struct backup_sel *sel, const char *label);
/* CE_NOT_FOUND, naming the first label never seen, or 0. */
int backup_sel_check(const struct backup_sel *sel, const char *where);
void backup_sel_free(struct backup_sel *sel);

#endif
