/*
 * The `restore` tool's plumbing: its options, and opening the backup store
 * and the target partition.
 */
#ifndef COFFER_RESTORE_TOOL_H
#define COFFER_RESTORE_TOOL_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "cbk_manifest.h"
#include "cred.h"

struct bstore;
struct endpoint;
struct secret;

#define PROG "restore"
#define MAX_OBJECTS 1024

struct opts {
	const char *from, *backup, *to, *role, *kdf;
	const char *source, *label; /* list: only backups of these */
	struct cred_src cred;   /* the role's: password, shares or challenge */
	struct cred_src po;     /* --po-*: the partition SO, for --with-* */
	const char *domain_dir; /* --domain-dir: the domains' secrets */
	const char *bpin_file, *bpin_env;
	struct cred_src bshares; /* --backup-share(-pin-file): a share set */
	const char *dpin_file, *dpin_env;
	const char *module;     /* --module: a pkcs11: target's module */
	const char *objects[MAX_OBJECTS];
	size_t nobjects;
	int json, deep, replace, add;
	int latest, verified_only;  /* list: the newest one; verified only */
	int names;                  /* list: names only, one per line */
	int all;                    /* verify: every backup of the store */
	int force;                  /* restore: take back a retired SMK */
	int with_domains, with_policies; /* restore: bring them back too */
	char **args;
	int nargs;
};

/* Parses argv after the subcommand; EXIT_USAGE, -1 after --help, or 0. */
int opts_parse(const char *cmd, int argc, char **argv, struct opts *o);

/* The usage of every restore command (restore --help, restore CMD --help). */
void restore_help(FILE *f);

/* Opens the store named by --from (required). Prints the failure. */
int open_store(const struct opts *o, struct bstore **sp);

/* EXIT_USAGE (printed) unless name has a backup's form; 0 otherwise. */
int check_backup_name(const char *name);

/* Reads the backup partition credential (--backup-pin-*, --backup-share
 * M times, or a prompt). */
int read_backup_pin(const struct opts *o, struct secret **sp);

/*
 * Opens the partition URI and logs in as --role (default co) with flags
 * (ENDPOINT_TX for a restore target).
 */
int open_target(const struct opts *o, const char *uri, int flags,
    struct endpoint **ep);

/* Progress-bar adapter for lib/backup's callbacks (ctx: struct progress). */
void progress_cb(void *ctx, uint64_t done, uint64_t total);

/*
 * restore --with-domains (cmd_source.c): the keys of the backup's domains
 * the target lacks (keys[i] NULL for those it has), each read from
 * --domain-dir or a prompt and checked against the backup before anything
 * is written; then, after the restore, the partition SO (--po-*) adds them
 * and, with --with-policies, sets the recorded policies, in one
 * transaction.
 */
struct backup_source_result;
int source_domains_read(const struct opts *o, struct endpoint *e,
    const struct cbk_manifest *m, struct secret *keys[CBK_DOMAINS_MAX]);
void source_domains_free(struct secret *keys[CBK_DOMAINS_MAX]);
int source_apply(const struct opts *o, const struct cbk_manifest *m,
    struct secret *const keys[CBK_DOMAINS_MAX],
    struct backup_source_result *res);

/*
 * The key of the backup's password domain whose password is pw (each of
 * m's password domains tried under its own profile; cmd_store.c).
 */
int password_domain_key(const struct opts *o, const struct cbk_manifest *m,
    const struct secret *pw, struct secret **dkeyp);

/* restore --to pkcs11:... (cmd_restore_p11.c). */
int cmd_restore_p11(struct opts *o);

int cmd_list(struct opts *o);
int cmd_show(struct opts *o);
int cmd_verify(struct opts *o);
int cmd_restore(struct opts *o);

#endif
