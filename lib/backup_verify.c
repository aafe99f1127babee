/*
 * Verifying a whole store: `restore verify --all` and the verify job of
 * `backupd run`. Each backup gets the structure check of backup_verify()
 * (no secret); one that fails loses its verified mark, so retention no
 * longer counts it as anyone's last good backup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "err.h"

/* The worst of two results: integrity first, then any other failure. */
static int
worse(int a, int b)
{
	if (a == CE_INTEGRITY || b == CE_INTEGRITY)
		return CE_INTEGRITY;
	return a != 0 ? a : b;
}

int
backup_verify_all(struct bstore *st, backup_verify_fn *each, void *ctx,
    struct backup_verify_report *rep)
{
	struct bstore_entry *v = NULL, e;
	size_t n = 0, i;
	int r, worst = 0;

	memset(rep, 0, sizeof(*rep));
	if ((r = bstore_list(st, NULL, &v, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		err_set_detail(NULL);
		r = backup_verify(st, v[i].name, &e);
		rep->checked++;
		if (r == 0)
			rep->passed++;
		else
			rep->failed++;
		if (each != NULL)
			each(ctx, v[i].name, r);
		/* A vanished backup (pruned meanwhile) is no failure. */
		if (r != CE_NOT_FOUND)
			worst = worse(worst, r);
	}
	free(v);
	return worst;
}
