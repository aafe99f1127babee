/*
 * The `hsm` tool's own plumbing: one option table shared by every
 * subcommand (each subcommand lists the options it accepts), credential
 * input, and opening HSMs, partitions and sessions by URI.
 */
#ifndef COFFER_HSM_TOOL_TOOL_H
#define COFFER_HSM_TOOL_TOOL_H

#include <stdint.h>

struct buf;
struct hsm;
struct secret;
struct session;

#define PROG "hsm"

/* Option bits: what a subcommand accepts. */
enum {
	O_PIN = 1u << 0,       /* --pin-file, --pin-env */
	O_NEWPIN = 1u << 1,    /* --new-pin-file, --new-pin-env */
	O_DOMPIN = 1u << 2,    /* --domain-pin-file, --domain-pin-env */
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
	O_INIT = 1u << 18,     /* --serial, --no-cloning, --so-reset-pin */
	O_DOMLABEL = 1u << 19, /* --domain-label */
	O_TAIL = 1u << 20,     /* --tail */
	O_VERSION = 1u << 21,  /* --version (partition create) */
	O_AUTHPIN = 1u << 22,  /* --auth-pin-file, --auth-pin-env */
	O_OBJECT = 1u << 23,   /* --object (repeatable) */
	O_CONFLICT = 1u << 24, /* --conflict */
};

#define OPTS_OBJECTS_MAX 256

struct opts {
	const char *pin_file, *pin_env;
	const char *new_pin_file, *new_pin_env;
	const char *dom_pin_file, *dom_pin_env;
	const char *label, *kdf, *role, *type, *in, *out, *sig, *aad, *hash;
	const char *application, *domain_label;
	const char *auth_pin_file, *auth_pin_env, *conflict;
	const char *objects[OPTS_OBJECTS_MAX];
	int nobjects;
	int version;
	uint64_t size, count, first, serial, tail;
	int json, force, tamper, is_public, no_cloning, so_reset_pin;
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

/* Which credential to read. */
enum { CRED_LOGIN, CRED_NEW, CRED_DOMAIN, CRED_AUTH, CRED_AUTH_NEW };
int read_cred(const struct opts *o, int which, const char *prompt,
    struct secret **sp);

/* Opens the HSM named by arg (hsm:DIR, DIR, or hsm:DIR#LABEL). *labelp
 * (may be NULL) gets the partition label (caller frees). */
int open_hsm(const char *arg, int need_label, struct hsm **hp, char **labelp);

/* Opens the HSM and logs the SO in with --pin-*. */
int open_so(const struct opts *o, const char *arg, int need_label,
    struct hsm **hp, char **labelp);

/* Opens the partition of a URI and logs in as --role (default def_role). */
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
