/*
 * bstore_hsm: the "hsm:DIR" store backend, an emulated Backup HSM
 * (docs/backup-hsm.md).
 *
 * A Backup HSM is an HSM directory made by 'hsm init --backup': hsm.db with
 * its own SO, lockout and audit chain, and no partition nor key use of its
 * own (lib/hsm.h hsm_refuse_backup). Its backup partitions live in
 * DIR/backup/, one sealed archive each, named and written exactly as in a
 * dir: store (bstore.c, bstore_write.c, bstore_retain.c do the work on the
 * same struct bstore), so listing, capacity, crash safety, verification and
 * retention are the dir: store's. What this backend adds is the HSM:
 *
 *   - open refuses a directory that is not an initialized Backup HSM;
 *   - every new backup partition is an audit event of the Backup HSM,
 *     written in one hsm.db transaction around the archive's rename, and a
 *     refused one (capacity, name taken) is a "fail" event and nothing else;
 *   - removing backup partitions (delete, prune, purge) needs the Backup
 *     HSM's SO, logged in by the tool and handed over with
 *     bstore_set_officer(); each removal is an audit event.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bstore_int.h"
#include "err.h"
#include "hsm.h"

#define HSM_SCHEME "hsm:"
#define BACKUP_SUBDIR "backup"

struct hsm_be {
	char dir[PATH_MAX];
	struct hsm *officer;  /* the SO logged in on it, or NULL */
	int ped;              /* a PED Backup HSM */
};

/* "hsm:DIR" (no "#LABEL": that names a partition, not a store). */
static int
parse(const char *uri, char dir[PATH_MAX])
{
	const char *p = uri + strlen(HSM_SCHEME);

	if (strncmp(uri, HSM_SCHEME, strlen(HSM_SCHEME)) != 0 || *p == '\0' ||
	    strchr(p, '#') != NULL) {
		err_set_detail("'%s' is not a Backup HSM; write hsm:DIR (no "
		    "#LABEL: a Backup HSM's partitions are its backups)", uri);
		return CE_USAGE;
	}
	if (strlen(p) + sizeof("/" BACKUP_SUBDIR) > PATH_MAX) {
		err_set_detail("Backup HSM path too long");
		return CE_TOO_LONG;
	}
	snprintf(dir, PATH_MAX, "%s", p);
	return 0;
}

/* The dir: URI of the backup partitions' directory. */
static void
inner_uri(const char *dir, char out[PATH_MAX + 16])
{
	snprintf(out, PATH_MAX + 16, "dir:%s/" BACKUP_SUBDIR, dir);
}

/* Opens dir as an initialized Backup HSM; pedp (may be NULL): PED. */
static int
backup_hsm_open(const char *dir, struct hsm **hp, int *pedp)
{
	struct hsm *h = NULL;
	struct hsm_info in;
	int r;

	if ((r = hsm_open(dir, &h)) != 0 || (r = hsm_get_info(h, &in)) != 0)
		goto out;
	if (in.state != HSM_STATE_INITIALIZED) {
		err_set_detail("the Backup HSM in %s is zeroized; re-initialize "
		    "it with 'hsm init --backup'", dir);
		r = CE_ZEROIZED;
		goto out;
	}
	if (!in.backup) {
		err_set_detail("%s is an HSM but not a Backup HSM; make one "
		    "with 'hsm init --backup DIR'", dir);
		r = CE_UNSUPPORTED;
		goto out;
	}
	if (pedp != NULL)
		*pedp = in.ped;
	*hp = h;
	h = NULL;
 out:
	hsm_close(h);
	return r;
}

/* One audit event on the Backup HSM h (in h's open transaction, if any). */
static int
audit(struct hsm *h, const char *event, int ok, const char *name,
    const char *detail, int64_t count)
{
	struct audit_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.ok = ok;
	ev.role = NULL;
	ev.object = name;
	ev.detail = detail;
	ev.count = count;
	return hsm_audit(h, &ev);
}

/* Records a refusal on a Backup HSM of its own (best effort: the refusal
 * is what the caller reports). */
static void
audit_refusal(struct bstore *s, const char *event, const char *name, int r)
{
	struct hsm_be *be = s->be;
	struct hsm *h = NULL;
	char why[320], detail[256];

	snprintf(detail, sizeof(detail), "%s", err_detail());
	snprintf(why, sizeof(why), "%s: %s", err_str(r), detail);
	if (backup_hsm_open(be->dir, &h, NULL) == 0)
		(void)audit(h, event, 0, name, why, -1);
	hsm_close(h);
	/* the caller's detail stays what it was */
	err_set_detail("%s", detail);
}

/* The SO handed over by bstore_set_officer(), or a refusal saying so. */
static int
officer(struct bstore *s, const char *what, struct hsm **hp)
{
	struct hsm_be *be = s->be;

	if (be->officer == NULL) {
		err_set_detail("%s a backup partition of the Backup HSM %s needs "
		    "its SO: give the SO credential (--pin-file, --pin-env or "
		    "--share)", what, be->dir);
		return CE_NOT_LOGGED_IN;
	}
	*hp = be->officer;
	return 0;
}

static int
hsm_init_store(const char *uri, const struct bstore_config *cfg)
{
	struct hsm *h = NULL;
	char dir[PATH_MAX], inner[PATH_MAX + 16], d[64];
	int r;

	if ((r = parse(uri, dir)) != 0 ||
	    (r = backup_hsm_open(dir, &h, NULL)) != 0)
		goto out;
	inner_uri(dir, inner);
	if ((r = bstore_dir_init(inner, cfg)) != 0)
		goto out;
	snprintf(d, sizeof(d), "capacity %u backup partitions",
	    cfg != NULL ? cfg->capacity : BSTORE_CAPACITY_DEFAULT);
	r = audit(h, "backup-hsm-ready", 1, NULL, d, -1);
 out:
	hsm_close(h);
	return r;
}

static int
hsm_open_store(const char *uri, struct bstore *s)
{
	struct hsm_be *be;
	struct hsm *h = NULL;
	char inner[PATH_MAX + 16];
	int r;

	if ((be = calloc(1, sizeof(*be))) == NULL)
		return CE_NOMEM;
	s->be = be;
	if ((r = parse(uri, be->dir)) != 0 ||
	    (r = backup_hsm_open(be->dir, &h, &be->ped)) != 0)
		goto out;
	inner_uri(be->dir, inner);
	if ((r = bstore_dir_open(inner, s)) == CE_NOT_FOUND)
		err_set_detail("the Backup HSM %s has no backup area; make it "
		    "with 'backupd init %s'", be->dir, uri);
 out:
	hsm_close(h);
	return r;
}

static void
hsm_close_store(struct bstore *s)
{
	struct hsm_be *be = s->be;

	bstore_dir_close(s);
	if (be != NULL)
		hsm_close(be->officer);
	free(be);
	s->be = NULL;
}

static int
hsm_begin(struct bstore *s, const struct cbk_manifest *m, uint64_t estimate,
    struct bstore_txn *t)
{
	int r;

	if ((r = bstore_dir_begin(s, m, estimate, t)) != 0 && r != CE_INVALID)
		audit_refusal(s, "backup-partition-create", m->label, r);
	return r;
}

/*
 * The archive's rename into the store and its audit event are one step:
 * the event is written in an hsm.db transaction that commits only after
 * the rename, and a failed rename rolls the event back (audit.log and
 * hsm.db as they were).
 */
static int
hsm_commit(struct bstore_txn *t, const struct cbk_manifest *m,
    const void *hdr, size_t hlen, char name[BSTORE_NAME_MAX])
{
	struct hsm_be *be = t->s->be;
	struct hsm *h = NULL;
	char d[CBK_LABEL_MAX + CBK_SERIAL_MAX + 64];
	int r;

	if ((r = backup_hsm_open(be->dir, &h, NULL)) != 0 ||
	    (r = hsm_tx_begin(h)) != 0)
		goto out;
	snprintf(d, sizeof(d), "from partition '%s' serial %s", m->label,
	    m->serial);
	if ((r = audit(h, "backup-partition-create", 1, t->name, d,
	    (int64_t)m->object_count)) != 0 ||
	    (r = bstore_dir_commit(t, m, hdr, hlen, name)) != 0) {
		hsm_tx_rollback(h);
		goto out;
	}
	if ((r = hsm_tx_commit(h)) != 0)
		/* no event, no backup partition */
		(void)unlinkat(t->s->dirfd, t->name, 0);
 out:
	hsm_close(h);
	return r;
}

/* op on backup partition name and its audit event, in one transaction. */
static int
audited(struct hsm *h, struct bstore *s, const char *name, const char *event,
    const char *detail, int (*op)(struct bstore *, const char *))
{
	int r;

	if ((r = hsm_tx_begin(h)) != 0)
		return r;
	if ((r = audit(h, event, 1, name, detail, -1)) != 0 ||
	    (r = op(s, name)) != 0) {
		hsm_tx_rollback(h);
		return r;
	}
	return hsm_tx_commit(h);
}

static int
hsm_trash(struct bstore *s, const char *name)
{
	struct hsm *h;
	int r;

	if ((r = officer(s, "deleting", &h)) != 0)
		return r;
	return audited(h, s, name, "backup-partition-delete",
	    "soft delete (undo: backupd undelete)", bstore_dir_trash);
}

static int
hsm_untrash(struct bstore *s, const char *name)
{
	struct hsm_be *be = s->be;
	struct hsm *h = NULL;
	int r;

	if ((r = backup_hsm_open(be->dir, &h, NULL)) == 0)
		r = audited(h, s, name, "backup-partition-undelete", NULL,
		    bstore_dir_untrash);
	hsm_close(h);
	return r;
}

/*
 * Removals that cannot be undone are announced first: the audit event
 * (with the count a look without changes finds) is written in the hsm.db
 * transaction, then the removal runs, then the transaction commits. Every
 * writer and remover of a Backup HSM holds that transaction around its
 * change, so the count cannot move in between; a failed event removes
 * nothing.
 */
static int
hsm_purge(struct bstore *s, int64_t now, size_t *purgedp)
{
	struct bstore_trashed *t = NULL;
	struct hsm *h;
	size_t n = 0, due = 0, i;
	int r;

	if ((r = officer(s, "purging", &h)) != 0 ||
	    (r = hsm_tx_begin(h)) != 0)
		return r;
	if ((r = bstore_dir_trash_list(s, &t, &n)) != 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (t[i].purge_after <= now)
			due++;
	free(t);
	if ((due > 0 && (r = audit(h, "backup-partition-purge", 1, NULL,
	    "past the grace period", (int64_t)due)) != 0) ||
	    (r = bstore_dir_purge(s, now, &n)) != 0)
		goto fail;
	if ((r = hsm_tx_commit(h)) != 0)
		return r;
	if (purgedp != NULL)
		*purgedp = n;
	return 0;
 fail:
	hsm_tx_rollback(h);
	return r;
}

static int
hsm_prune(struct bstore *s, const struct bstore_keep *keep, int dry_run,
    char (**namesp)[BSTORE_NAME_MAX], size_t *np)
{
	char (*would)[BSTORE_NAME_MAX] = NULL;
	struct hsm *h;
	size_t n = 0;
	int r;

	if (dry_run)
		return bstore_dir_prune(s, keep, dry_run, namesp, np);
	if ((r = officer(s, "pruning", &h)) != 0 ||
	    (r = hsm_tx_begin(h)) != 0)
		return r;
	if ((r = bstore_dir_prune(s, keep, 1, &would, &n)) != 0 ||
	    (n > 0 && (r = audit(h, "backup-partition-delete", 1, NULL,
	    keep->series[0] ? keep->series : "retention", (int64_t)n)) != 0) ||
	    (r = bstore_dir_prune(s, keep, 0, namesp, np)) != 0) {
		free(would);
		hsm_tx_rollback(h);
		return r;
	}
	free(would);
	return hsm_tx_commit(h);
}

static const char *
hsm_officer_dir(const struct bstore *s)
{
	const struct hsm_be *be = s->be;

	return be->dir;
}

static int
hsm_ped(const struct bstore *s)
{
	const struct hsm_be *be = s->be;

	return be->ped;
}

static int
hsm_set_officer(struct bstore *s, struct hsm *h)
{
	struct hsm_be *be = s->be;

	if (!hsm_so_ok(h) || !hsm_is_backup(h) ||
	    strcmp(hsm_dir(h), be->dir) != 0) {
		err_set_detail("the SO of the Backup HSM %s is not logged in",
		    be->dir);
		return CE_NOT_LOGGED_IN;
	}
	hsm_close(be->officer);
	be->officer = h;
	return 0;
}

const struct bstore_ops bstore_hsm_ops = {
	.scheme = HSM_SCHEME,
	.init = hsm_init_store,
	.open = hsm_open_store,
	.close = hsm_close_store,
	.list = bstore_dir_list,
	.count = bstore_dir_count,
	.show = bstore_dir_show,
	.verify = bstore_dir_verify,
	.mark_verified = bstore_dir_mark_verified,
	.open_backup = bstore_dir_open_backup,
	.begin = hsm_begin,
	.txn_write = bstore_dir_txn_write,
	.commit = hsm_commit,
	.txn_free = bstore_dir_txn_free,
	.trash = hsm_trash,
	.untrash = hsm_untrash,
	.trash_list = bstore_dir_trash_list,
	.purge = hsm_purge,
	.prune = hsm_prune,
	.gc = bstore_dir_gc,
	.run_lock = bstore_dir_run_lock,
	.officer_dir = hsm_officer_dir,
	.set_officer = hsm_set_officer,
	.ped = hsm_ped,
};
