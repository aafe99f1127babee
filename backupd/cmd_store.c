/*
 * backupd's store upkeep (docs/backup-store.md): init, gc, and retention by
 * hand — prune (restic-style keep rules), delete (a soft delete), undelete
 * within the grace period, trash (what is soft-deleted, until when), purge
 * (what is past its grace period). Coffer never removes the last good
 * backup of a label (bstore_trash).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backupd.h"
#include "cli.h"
#include "err.h"
#include "utc.h"

int
cmd_init(struct opts *o)
{
	struct bstore_config cfg = {
	    .capacity = BSTORE_CAPACITY_DEFAULT,
	    .grace_days = BSTORE_GRACE_DAYS_DEFAULT };
	int r;

	if (o->nargs != 1)
		return cli_usage_error(PROG, "init: name the store: dir:PATH "
		    "or s3://BUCKET/PREFIX");
	if (o->lock_mode != NULL && o->lock_days == 0)
		return cli_usage_error(PROG, "init: --lock-mode goes with "
		    "--object-lock DAYS");
	if (o->have_capacity)
		cfg.capacity = (unsigned)(o->capacity > BSTORE_CAPACITY_MAX ?
		    BSTORE_CAPACITY_MAX + 1 : o->capacity);
	if (o->have_grace)
		cfg.grace_days = (unsigned)(o->grace > BSTORE_GRACE_DAYS_MAX ?
		    BSTORE_GRACE_DAYS_MAX + 1 : o->grace);
	if (o->lock_days > 0) {
		cfg.lock_days = (unsigned)o->lock_days;
		/* COMPLIANCE unless asked: not even the bucket's owner may
		 * shorten it, which is what an immutable backup means */
		snprintf(cfg.lock_mode, sizeof(cfg.lock_mode), "%s",
		    o->lock_mode != NULL && strcmp(o->lock_mode,
		    "governance") == 0 ? "GOVERNANCE" : "COMPLIANCE");
	}
	if ((r = bstore_init(o->args[0], &cfg)) != 0)
		return cli_fail(PROG, r, "cannot create the backup store");
	printf("backup store %s: capacity %u backup partitions, %u grace "
	    "days", o->args[0], cfg.capacity, cfg.grace_days);
	if (cfg.lock_days > 0)
		printf(", S3 Object Lock %s %u days", cfg.lock_mode,
		    cfg.lock_days);
	printf("\n");
	return EXIT_DONE;
}

/* Removes what killed writers left in the store's .tmp/. */
int
cmd_gc(struct opts *o)
{
	struct bstore *s = NULL;
	size_t n = 0;
	int r;

	if (o->nargs != 1)
		return cli_usage_error(PROG, "gc: name the store: dir:PATH");
	if ((r = bstore_open(o->args[0], &s)) != 0)
		return cli_fail(PROG, r, "cannot open the backup store");
	r = bstore_gc(s, &n);
	bstore_close(s);
	if (r != 0)
		return cli_fail(PROG, r, "gc failed");
	if (o->json) {
		struct json *j = json_new(stdout);

		json_obj_begin(j, NULL);
		json_int(j, "removed", (int64_t)n);
		json_obj_end(j);
		json_free(j);
	} else
		printf("removed %zu temporar%s of interrupted backups\n", n,
		    n == 1 ? "y" : "ies");
	return EXIT_DONE;
}


/*
 * Opens the store named by the one argument; prints the failure. With
 * officer set, a store whose removals need an HSM SO (a Backup HSM) has
 * the SO logged in with --pin-file/--pin-env/--share first.
 */
static int
open_arg(struct opts *o, int nargs, const char *what, int officer,
    struct bstore **sp)
{
	int r;

	if (o->nargs != nargs)
		return cli_usage_error(PROG, "%s: %s", what, nargs == 1 ?
		    "name the store: dir:PATH" : "name the store and the backup: "
		    "dir:PATH NAME");
	if (nargs == 2 && bstore_name_parse(o->args[1], NULL, NULL) != 0)
		return cli_usage_error(PROG, "'%s' is not a backup name "
		    "(<label>_<yyyymmddThhmmssZ>.cbk)", o->args[1]);
	if ((r = bstore_open(o->args[0], sp)) != 0)
		return cli_fail(PROG, r, "cannot open the backup store");
	if (officer && (r = cred_store_officer(PROG, *sp, &o->cred)) != 0) {
		bstore_close(*sp);
		*sp = NULL;
		return cli_fail(PROG, r, "refused: the Backup HSM's SO did "
		    "not log in; nothing was deleted");
	}
	return 0;
}

int
cmd_prune(struct opts *o)
{
	char (*names)[BSTORE_NAME_MAX] = NULL;
	struct bstore *s = NULL;
	struct json *j;
	size_t n = 0, i;
	int r;

	if ((r = open_arg(o, 1, "prune", !o->dry_run, &s)) != 0)
		return r;
	if ((r = bstore_prune(s, &o->keep, o->dry_run, &names, &n)) != 0) {
		r = cli_fail(PROG, r, "prune refused; nothing was deleted");
		goto out;
	}
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_bool(j, "dry_run", o->dry_run);
		/* one spelling: dry_run says whether they went */
		json_arr_begin(j, "pruned");
		for (i = 0; i < n; i++)
			json_str(j, NULL, names[i]);
		json_arr_end(j);
		json_obj_end(j);
		json_free(j);
	} else {
		for (i = 0; i < n; i++)
			printf("%s %s\n", o->dry_run ? "would delete" : "deleted",
			    names[i]);
		printf("%zu backup%s %s%s\n", n, n == 1 ? "" : "s",
		    o->dry_run ? "would be soft-deleted" : "soft-deleted",
		    o->dry_run || n == 0 ? "" : " ('backupd undelete' brings "
		    "one back within the grace period)");
	}
	r = EXIT_DONE;
 out:
	free(names);
	bstore_close(s);
	return r;
}

int
cmd_delete(struct opts *o)
{
	struct bstore *s = NULL;
	int r;

	if ((r = open_arg(o, 2, "delete", 1, &s)) != 0)
		return r;
	if ((r = bstore_trash(s, o->args[1])) != 0)
		r = cli_fail(PROG, r, "delete refused");
	else {
		printf("%s moved to the trash; 'backupd undelete %s %s' brings "
		    "it back within %u days\n", o->args[1], o->args[0],
		    o->args[1], bstore_config(s)->grace_days);
		r = EXIT_DONE;
	}
	bstore_close(s);
	return r;
}

int
cmd_undelete(struct opts *o)
{
	struct bstore *s = NULL;
	int r;

	if ((r = open_arg(o, 2, "undelete", 0, &s)) != 0)
		return r;
	if ((r = bstore_untrash(s, o->args[1])) != 0)
		r = cli_fail(PROG, r, "undelete refused");
	else {
		printf("%s is back in the store\n", o->args[1]);
		r = EXIT_DONE;
	}
	bstore_close(s);
	return r;
}

int
cmd_trash(struct opts *o)
{
	struct bstore_trashed *t = NULL;
	struct bstore *s = NULL;
	struct json *j;
	char d[21], p[21];
	size_t n = 0, i;
	int r;

	if ((r = open_arg(o, 1, "trash", 0, &s)) != 0)
		return r;
	if ((r = bstore_trash_list(s, &t, &n)) != 0) {
		r = cli_fail(PROG, r, "cannot list the trash");
		goto out;
	}
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_arr_begin(j, "trash");
		for (i = 0; i < n; i++) {
			json_obj_begin(j, NULL);
			json_str(j, "name", t[i].name);
			utc_iso_show(t[i].deleted, d);
			json_str(j, "deleted", d);
			utc_iso_show(t[i].purge_after, p);
			json_str(j, "purge_after", p);
			json_int(j, "file_size", (int64_t)t[i].file_size);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
		json_free(j);
	} else {
		printf("%-40s %-20s %s\n", "NAME", "DELETED", "PURGED AFTER");
		for (i = 0; i < n; i++) {
			utc_iso_show(t[i].deleted, d);
			utc_iso_show(t[i].purge_after, p);
			printf("%-40s %-20s %s\n", t[i].name, d, p);
		}
	}
	r = EXIT_DONE;
 out:
	free(t);
	bstore_close(s);
	return r;
}

int
cmd_purge(struct opts *o)
{
	struct bstore *s = NULL;
	size_t n = 0;
	int r;

	if ((r = open_arg(o, 1, "purge", 1, &s)) != 0)
		return r;
	if ((r = bstore_purge(s, (int64_t)time(NULL), &n)) != 0)
		r = cli_fail(PROG, r, "purge failed");
	else if (o->json) {
		struct json *j = json_new(stdout);

		json_obj_begin(j, NULL);
		json_int(j, "purged", (int64_t)n);
		json_int(j, "grace_days", bstore_config(s)->grace_days);
		json_obj_end(j);
		json_free(j);
		r = EXIT_DONE;
	} else {
		printf("purged %zu backup%s past the %u-day grace period\n", n,
		    n == 1 ? "" : "s", bstore_config(s)->grace_days);
		r = EXIT_DONE;
	}
	bstore_close(s);
	return r;
}

/*
 * backupd copy --from STORE --to STORE NAME: one backup partition between
 * stores of any kinds (a Backup HSM and a dir: store, either way) as its
 * sealed archive (lib/bstore.h bstore_copy): nothing is decrypted.
 */
int
cmd_copy(struct opts *o)
{
	struct bstore *from = NULL, *to = NULL;
	char name[BSTORE_NAME_MAX];
	struct json *j;
	int r;

	if (o->from == NULL || o->to == NULL || o->nargs != 1)
		return cli_usage_error(PROG, "copy needs --from STORE --to "
		    "STORE and the backup's NAME");
	if (bstore_name_parse(o->args[0], NULL, NULL) != 0)
		return cli_usage_error(PROG, "'%s' is not a backup name "
		    "(<label>_<serial>_<yyyymmddThhmmssZ>.cbk)", o->args[0]);
	if ((r = bstore_open(o->from, &from)) != 0) {
		r = cli_fail(PROG, r, "cannot open the store to copy from");
		goto out;
	}
	if ((r = bstore_open(o->to, &to)) != 0) {
		r = cli_fail(PROG, r, "cannot open the store to copy to");
		goto out;
	}
	if ((r = bstore_copy(from, o->args[0], to, name)) != 0) {
		r = cli_fail(PROG, r, "copy refused; nothing was created");
		goto out;
	}
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "name", name);
		json_str(j, "from", o->from);
		json_str(j, "to", o->to);
		json_obj_end(j);
		json_free(j);
	} else
		printf("%s\n", name);
	r = EXIT_DONE;
 out:
	bstore_close(from);
	bstore_close(to);
	return r;
}
