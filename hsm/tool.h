/*
 * The `hsm` tool's own plumbing: one option table shared by every
 * subcommand (each subcommand lists the options it accepts), credential
 * input, and opening HSMs, partitions and sessions by URI.
 */
#ifndef COFFER_HSM_TOOL_TOOL_H
#define COFFER_HSM_TOOL_TOOL_H

#include <stdint.h>

#include "cred.h"

struct buf;
struct hsm;
struct secret;
struct session;

#define PROG "hsm"

/* Option bits: what a subcommand accepts. */
enum {
	O_PIN = 1u << 0,       /* --pin-file, --pin-env, --share,
	                          --share-pin-file, --challenge-file|env */
	O_NEWPIN = 1u << 1,    /* --new-pin-file, --new-pin-env; PED: --m, --n,
	                          --shares-out, --new-share-pin(-file) */
	O_DOMPIN = 1u << 2,    /* --domain-pin-file, --domain-pin-env; PED:
	                          --domain-share(-pin-file), --domain-shares-out,
	                          --domain-m, --domain-n */
	O_LABEL = 1u << 3,     /* --label */
	O_KDF = 1u << 4,       /* --kdf */
	O_JSON = 1u << 5,      /* --json */
	O_ROLE = 1u << 6,      /* --role */
	O_TYPE = 1u << 7,      /* --type */
	O_SIZE = 1u << 8,      /* --size */
	O_COUNT = 1u << 9,     /* --count, --first */
	O_IN = 1u << 10,       /* --in */
	O_OUT = 1u << 11,      /* --out */
	O_SIG = 1u << 12,      /* --signature */
	O_AAD = 1u << 13,      /* --aad */
	O_HASH = 1u << 14,     /* --hash */
	O_FORCE = 1u << 15,    /* --force */
	O_TAMPER = 1u << 16,   /* --tamper */
	O_PUBLIC = 1u << 17,   /* --public, --application */
	O_INIT = 1u << 18,     /* --serial, --no-cloning, --so-reset-pin,
	                          --backup, --capacity */
	O_DOMLABEL = 1u << 19, /* --domain-label */
	O_TAIL = 1u << 20,     /* --tail */
	O_PED = 1u << 21,      /* --ped */
	O_VERSION = 1u << 22,  /* --version (partition create) */
	O_AUTHPIN = 1u << 23,  /* --auth-pin-file, --auth-pin-env */
	O_OBJECT = 1u << 24,   /* --object (repeatable) */
	O_CONFLICT = 1u << 25, /* --conflict */
	O_BY = 1u << 26,       /* --by ROLE (who logs in) */
	O_ID = 1u << 27,       /* --id HEX (CKA_ID) */
	O_SIGFMT = 1u << 28,   /* --sig-format der|raw */
	O_HEAD = 1u << 29,     /* --head FILE (audit heads) */
};

#define OPTS_OBJECTS_MAX 256

struct opts {
	struct cred_src login;   /* the credential logging in */
	struct cred_new newc;    /* a credential being set */
	struct cred_src dom;     /* PED: an existing domain's shares */
	struct cred_new newdom;  /* PED: a new domain's set */
	struct cred_pins pins;   /* PINs of the share files written */
	const char *dom_pin_file, *dom_pin_env;
	const char *label, *kdf, *role, *type, *in, *out, *sig, *aad, *hash;
	const char *application, *domain_label, *domain_string;
	int new_domain, legacy_domain;
	const char *auth_pin_file, *auth_pin_env, *conflict, *by, *id;
	const char *sig_format;
	const char *head;
	struct cred_src auth_src;  /* sks insert: --auth-share (M-of-N) */
	struct cred_new auth_new;  /* sks extract: --auth-m/-n/-shares-out */
	const char *objects[OPTS_OBJECTS_MAX];
	int nobjects;
	int version;
	uint64_t size, count, first, serial, tail, capacity;
	int json, force, tamper, is_public, no_cloning, so_reset_pin, ped;
	int backup;             /* init --backup: a Backup HSM */
	int have_count;
	char **args;   /* positional arguments */
	int nargs;
};

/* A subcommand: name, handler, accepted options, synopsis. */
struct cmd {
	const char *name;
	int (*fn)(struct opts *o);
	unsigned allowed;
	int nargs;            /* positional arguments required */
	const char *synopsis;
};

/*
 * Parses argv (after the subcommand words) for cmd; prints usage and
 * returns EXIT_USAGE on a bad line, -1 when --help was answered, 0 to run.
 */
int opts_parse(const char *words, const struct cmd *c, int argc, char **argv,
    struct opts *o);

/*
 * Makes the credential being set (--new-pin-* on a password HSM; a new
 * share set from --m/--n/--shares-out on a PED HSM): lib/cred.h
 * cred_new_make. what names the share files ("so", "po", "co", "cu");
 * kdf is the Argon2id profile of share PINs (the credential's profile).
 */
int new_cred(struct opts *o, int ped, int kdf, const char *what,
    const char *prompt, struct cred_written *w, struct secret **sp);

/* Opens the HSM named by arg (hsm:DIR, DIR, or hsm:DIR#LABEL). *labelp
 * (may be NULL) gets the partition label (caller frees). */
int open_hsm(const char *arg, int need_label, struct hsm **hp, char **labelp);

/* Opens the HSM and logs the SO in with --pin-* or --share. */
int open_so(const struct opts *o, const char *arg, int need_label,
    struct hsm **hp, char **labelp);

/* Opens the partition of a URI and logs in as --role (default def_role)
 * with --pin-*, --share or --challenge-*. */
int open_session(const struct opts *o, const char *uri, int def_role,
    struct hsm **hp, struct session **sp);

/* Human helpers. */
void print_bytes(uint64_t n, char *out, size_t max);
int parse_u64(const char *s, uint64_t *vp);

/* hsm key sign|verify|encrypt|decrypt|export-public (cmd_keyuse.c). */
int cmd_key_sign(struct opts *o);
int cmd_key_verify(struct opts *o);
int cmd_key_encrypt(struct opts *o);
int cmd_key_decrypt(struct opts *o);
int cmd_key_export_public(struct opts *o);

/* Reads a whole input file (at most max bytes) for a key command. */
int read_input(const char *path, size_t max, struct buf **bp);
/* Writes bytes to path (0600, atomically) or to stdout when path is NULL. */
int write_output(const char *path, const void *p, size_t len);

/* Subcommand groups. */
int hsm_cmd_group(const char *group, const struct cmd *table, size_t n,
    int argc, char **argv);
extern const struct cmd cmds_hsm[], cmds_partition[], cmds_role[],
    cmds_key[], cmds_audit[], cmds_policy[], cmds_ppolicy[], cmds_sks[];
extern const size_t ncmds_hsm, ncmds_partition, ncmds_role, ncmds_key,
    ncmds_audit, ncmds_policy, ncmds_ppolicy, ncmds_sks;

#endif
