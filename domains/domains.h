/*
 * domains: the tool's subcommands and what they share (one option table,
 * credential input, opening a partition as its PO). Domain keys, the list
 * and its rules are lib/domain; share sets are lib/share.
 */
#ifndef COFFER_DOMAINS_DOMAINS_H
#define COFFER_DOMAINS_DOMAINS_H

#include "cred.h"
#include "share.h"

struct endpoint;
struct secret;

#define PROG "domains"

struct opts {
	struct cred_src login;                  /* the role's credential */
	const char *dom_pin_file, *dom_pin_env; /* a password domain */
	struct cred_src domain;                 /* a PED domain's shares */
	struct cred_pins new_pins;              /* PINs for new share files */
	const char *role, *label, *type, *kdf, *out_dir;
	const char *domain_string;              /* a form 2 password domain */
	int legacy_domain;                      /* --legacy-domain */
	unsigned m, n;
	int json, primary, force;
	char **args;                            /* positional arguments */
	int nargs;
};

/* Option bits: what a subcommand accepts. */
enum {
	O_LOGIN = 1u << 0,   /* --pin-file, --pin-env; PED: --share,
	                        --share-pin-file, --challenge-file/-env */
	O_ROLE = 1u << 1,    /* --role */
	O_DOMPIN = 1u << 2,  /* --domain-pin-file, --domain-pin-env */
	O_SHARE = 1u << 3,   /* --domain-share, --domain-share-pin-file */
	O_LABEL = 1u << 4,   /* --label */
	O_TYPE = 1u << 5,    /* --type */
	O_KDF = 1u << 6,     /* --kdf */
	O_PRIMARY = 1u << 7, /* --primary */
	O_JSON = 1u << 8,    /* --json */
	O_SPLIT = 1u << 9,   /* --m, --n, --out-dir, --force, --new-share-pin* */
	O_DOMSTR = 1u << 10, /* --domain-string, --legacy-domain */
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
 * A password domain's password (confirmed when typed), from
 * --domain-pin-file/--domain-pin-env or a prompt; never argv. Logins read
 * their credential in login() (lib/cred: a password, or shares on a PED
 * HSM); PED domains come from lib/cred's cred_domain_secret().
 */
int read_domain_password(const struct opts *o, const char *prompt,
    struct secret **sp);

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
