/*
 * object_info: reading the one row shape that describes an object (V0
 * rows in hsm.db and V1 rows in sks.db alike). Below both object.c and
 * sks_obj.c in the layers (docs/architecture.md), so the V1 code reads its
 * rows without calling back up into object.c.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "err.h"
#include "hsm_int.h"
#include "object_int.h"
#include "store.h"

void
object_info_row(sqlite3_stmt *q, struct object_info *in)
{
	const unsigned char *label = sqlite3_column_text(q, 1);
	size_t n = (size_t)sqlite3_column_bytes(q, 1);

	memset(in, 0, sizeof(*in));
	in->id = (uint64_t)sqlite3_column_int64(q, 0);
	/* Copied, cut to fit as snprintf would (one row per object: a
	 * formatted copy was a twentieth of a backup's reading thread). */
	if (label == NULL)
		n = 0;
	if (n > sizeof(in->label) - 1)
		n = sizeof(in->label) - 1;
	memcpy(in->label, label != NULL ? (const char *)label : "", n);
	in->label[n] = '\0';
	in->cls = (uint32_t)sqlite3_column_int64(q, 2);
	in->key_type = (uint32_t)sqlite3_column_int64(q, 3);
	in->bits = (uint32_t)sqlite3_column_int64(q, 4);
	in->size = (uint64_t)sqlite3_column_int64(q, 5);
	in->created = sqlite3_column_int64(q, 6);
}

int
object_info_one(struct session *s, struct store *st, sqlite3_stmt *q,
    const char *label, struct object_info *ip)
{
	int rc;

	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		object_info_row(q, ip);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE) {
		err_set_detail("no object '%s' in partition '%s'", label,
		    s->label);
		return CE_NOT_FOUND;
	}
	return rc == SQLITE_ROW ? 0 : store_err(st, rc);
}
