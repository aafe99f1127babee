/*
 * backupd's plumbing: its options (one table for every subcommand) and the
 * subcommands, each in its own file: backup (cmd_backup.c), the store's
 * upkeep (cmd_store.c: init, gc, prune, delete, undelete, trash, purge),
 * and the scheduled daemon (run.c, metrics.c).
 */
#ifndef COFFER_BACKUPD_H
#define COFFER_BACKUPD_H

#include <stddef.h>
#include <stdint.h>

#include "bdconf.h"
#include "bstore.h"
#include "cred.h"

#define PROG "backupd"
#define MAX_OBJECTS 1024

struct opts {
	const char *from, *to, *role, *kdf, *config;
	struct cred_src cred;   /* the role's: password, shares or challenge */
	const char *bpin_file, *bpin_env;
	struct cred_src bshares; /* --backup-share(-pin-file): a share set */
	const char *objects[MAX_OBJECTS];
	size_t nobjects;
	/* A pkcs11: source: the module, and the domain that seals it. */
	const char *module, *domain_string, *domain_label;
	const char *dpin_file, *dpin_env;
	unsigned long capacity, grace;
	unsigned long lock_days;  /* init --object-lock DAYS (s3://) */
	const char *lock_mode;    /* init --lock-mode compliance|governance */
	struct bstore_keep keep; /* prune: --keep-last/-daily/-weekly/-monthly */
	int json, have_capacity, have_grace, once, dry_run;
	char **args;
	int nargs;
};

int cmd_backup(struct opts *o);
int cmd_backup_p11(struct opts *o);
/* The backup partition password (or share set), checked; prints a
 * failure and returns its exit status (cmd_backup.c). */
struct secret;
int read_backup_password(const struct cred_src *bcred, struct secret **pwp);
/* --kdf, then the store of --to (or why not, with a hint), then the kind
 * of credential it takes into *bcred: every check a backup makes before
 * it reads a secret or logs in. Prints a failure and returns its exit
 * status (cmd_backup.c; a partition's and a token's backup both). */
struct bstore;
int backup_store_open(struct opts *o, int *kdfp, struct bstore **sp,
    struct cred_src *bcred);
int cmd_init(struct opts *o);
int cmd_gc(struct opts *o);
int cmd_prune(struct opts *o);
int cmd_delete(struct opts *o);
int cmd_undelete(struct opts *o);
int cmd_trash(struct opts *o);
int cmd_purge(struct opts *o);
int cmd_copy(struct opts *o);

/* bd_log: one log line with a syslog priority (LOG_ERR...), log.c. */
void bd_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Disabled jobs on disk (jobstate.c): a refused credential disables a job
 * until `backupd enable` or a change of its configuration line.
 */
#define JOB_FP_LEN 32
struct job_disabled {
	int disabled;
	int changed;           /* a mark of an older configuration was dropped */
	int64_t since;
	char why[256];
};
int jobstate_dir(const struct bdconf *c, const char *config, char out[4096]);
void job_fingerprint(const struct bdconf_job *j, char out[JOB_FP_LEN + 1]);
int jobstate_get(const char *dir, const struct bdconf_job *j,
    struct job_disabled *d);
int jobstate_disable(const char *dir, const struct bdconf_job *j,
    const char *why);
int jobstate_enable(const char *dir, const char *job);

/* What the last run of a job did (for the log and the metrics). */
struct job_state {
	int64_t next;          /* when it is due (UTC seconds) */
	int64_t last_run;      /* 0: never ran */
	int64_t last_success;  /* 0: never succeeded */
	double last_duration;  /* seconds */
	uint64_t last_objects;
	int last_exit;         /* exit status of the last run: 0..4 */
	uint64_t failures;     /* runs that failed since the daemon started */
	uint64_t pruned;       /* backups soft-deleted by retention */
	int64_t last_failure;  /* 0: never failed */
	uint64_t last_bytes;   /* the last backup's file size */
	int64_t last_verified; /* newest verified mark of its series (0: none) */
	struct job_disabled off;
};

/* The verify job's last run (verify every N). */
struct verify_state {
	int64_t last_run;
	int last_exit;
	size_t checked, failed;
};

/*
 * backupd enable JOB --config FILE: removes JOB's disabled mark (jobstate.c)
 * so the scheduler runs it again.
 */
int backupd_enable(const char *config, const char *job);

/*
 * backupd check --config FILE: validates a configuration without touching
 * a partition (check.c).
 */
int backupd_check(const char *config, int json);

/*
 * backupd run --config FILE [--once]: runs every due job, then sleeps until
 * the next one is due, until SIGTERM or SIGINT; --once runs every job once
 * and returns the worst exit status.
 */
int backupd_run(const char *config, int once);

/* Writes the metrics of every job to c->metrics (atomically). */
int metrics_write(const struct bdconf *c, const struct job_state *st,
    const struct verify_state *v, uint64_t backups, unsigned capacity);

#endif
