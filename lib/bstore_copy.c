/*
 * bstore_copy: one backup from a store to another, of any kinds (a Backup
 * HSM's backup partition into a dir: store, and back), as the sealed
 * archive it is: nothing is decrypted, so no key leaves a partition. The
 * copy is written through the target's own begin/commit, so its capacity,
 * name, crash safety and audit (a Backup HSM's) hold as for a new backup.
 */
#include <string.h>
#include <unistd.h>

#include "bstore.h"
#include "cbk.h"
#include "err.h"

int
bstore_copy(struct bstore *from, const char *name, struct bstore *to,
    char out[BSTORE_NAME_MAX])
{
	struct cbk_reader *rd = NULL;
	struct bstore_txn *t = NULL;
	struct cbk_manifest m;
	char want[BSTORE_NAME_MAX];
	const uint8_t *hdr;
	size_t hlen;
	int r, fd = -1;

	if ((r = bstore_name_parse(name, NULL, NULL)) != 0) {
		err_set_detail("'%s' is not a backup name", name);
		return r;
	}
	if ((r = bstore_open_backup(from, name, &fd)) != 0 ||
	    (r = cbk_reader_open(fd, &rd)) != 0)
		goto out;
	m = *cbk_reader_manifest(rd);
	/* A renamed file would land under its manifest's name: refused, so
	 * a copy never differs from its original by name. */
	if ((r = bstore_manifest_name(&m, want)) != 0)
		goto out;
	if (strcmp(want, name) != 0) {
		err_set_detail("%s disagrees with its manifest (%s); 'restore "
		    "verify' it", name, want);
		r = CE_INTEGRITY;
		goto out;
	}
	cbk_reader_header(rd, &hdr, &hlen);
	if ((r = bstore_begin(to, &m, m.records_size, &t)) != 0 ||
	    (r = cbk_reader_records(rd, bstore_txn_sink, t)) != 0 ||
	    (r = cbk_reader_finish(rd)) != 0 ||
	    (r = bstore_commit(t, &m, hdr, hlen, out)) != 0)
		goto out;
	r = 0;
 out:
	bstore_txn_free(t);
	cbk_reader_free(rd);
	if (fd >= 0)
		close(fd);
	return r;
}
