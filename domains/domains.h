/*
 * domains: the tool's subcommands and what they share (one option table,
 * credential input, opening a partition as its PO). Domain keys, the list
 * and its rules are lib/domain; share sets are lib/share.
 */
#ifndef COFFER_DOMAINS_DOMAINS_H
#define COFFER_DOMAINS_DOMAINS_H

#include "share.h"

struct endpoint;
struct secret;

#define PROG "domains"

struct opts {
	const char *pin_file, *pin_env;         /* the role's login */
	const char *dom_pin_file, *dom_pin_env; /* a password domain */
	const char *shares[SHARE_MAX_INPUTS];   /* a PED domain's share files */
	int nshares;
	const char *role, *label, *type, *kdf, *out_dir;
	unsigned m, n;
	int json, primary, force;
	char **args;                            /* positional arguments */
	int nargs;
};

/* Option bits: what a subcommand accepts. */
enum {
	O_LOGIN = 1u << 0,   /* --pin-file, --pin-env */
	O_ROLE = 1u << 1,    /* --role */
	O_DOMPIN = 1u << 2,  /* --domain-pin-file, --domain-pin-env */
	O_SHARE = 1u << 3,   /* --share (repeatable) */
	O_LABEL = 1u << 4,   /* --label */
	O_TYPE = 1u << 5,    /* --type */
	O_KDF = 1u << 6,     /* --kdf */
	O_PRIMARY = 1u << 7, /* --primary */
	O_JSON = 1u << 8,    /* --json */
	O_SPLIT = 1u << 9,   /* --m, --n, --out-dir, --force */
};

struct cmd {
	const char *name;
	int (*fn)(struct opts *o);
	unsigned allowed;
	int nargs;
	const char *synopsis;
	const char *help;
};

/* Parses argv (after the subcommand) for c: 0 to run, -1 after --help,
 * else the usage exit status (printed). */
int opts_parse(const struct cmd *c, int argc, char **argv, struct opts *o);

/*
 * The one place credentials are read (never argv): CRED_LOGIN from
 * --pin-file/--pin-env or a prompt, CRED_DOMAIN (a domain password,
 * confirmed when typed) from --domain-pin-file/--domain-pin-env or a
 * prompt. PED domains come from share files: read_ped_secret().
 */
enum { CRED_LOGIN, CRED_DOMAIN };
int read_cred(const struct opts *o, int which, const char *prompt,
    struct secret **sp);

/* Combines the --share files into a PED domain's 32-byte secret. */
int read_ped_secret(const struct opts *o, struct secret **sp);

/*
 * Logs in to e as --role (default def_role) under ENDPOINT_TX: the login
 * and what the command changes are one transaction, kept by
 * endpoint_commit(), so a refused change leaves the HSM byte for byte as
 * it was (a failed login is still counted).
 */
int login(const struct opts *o, struct endpoint *e, int def_role);

/* Both: endpoint_open(uri) and login(). */
int open_session(const struct opts *o, const char *uri, int def_role,
    struct endpoint **ep);

int cmd_create(struct opts *o);
int cmd_list(struct opts *o);
int cmd_add(struct opts *o);
int cmd_remove(struct opts *o);
int cmd_relabel(struct opts *o);
int cmd_primary(struct opts *o);

#endif
