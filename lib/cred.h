/*
 * cred: how every tool gets a credential from its user, on password and
 * PED (multifactor) HSMs alike.
 *
 * A password HSM takes typed secrets (lib/cli: --pin-file, --pin-env or a
 * prompt). A PED HSM takes M share files of the role's set (--share FILE,
 * repeatable; a share file or a file holding one share line), each
 * PIN-protected file with the next --share-pin-file (or a prompt), and
 * recombines them with share_combine(): too few shares, shares of two
 * sets, a duplicate, a corrupt share or a wrong share PIN is a named error
 * before any login is attempted, so none of them counts toward a lockout.
 * Only shares that combine into a secret the HSM does not accept count, as
 * a wrong password does. An activated CO or CU (lib/activation.h) also
 * logs in with --challenge-file / --challenge-env alone.
 *
 * New credentials on a PED HSM are 32 random bytes split into a new M-of-N
 * set, written as share files (0600, O_EXCL) `DIR/<what>-<i>-of-<n>.cshare`
 * before the HSM operation and removed again if it fails.
 *
 * This is CLI plumbing like lib/cli: it may prompt on the terminal and
 * prints warnings (a corrupt extra share, the share files written) to
 * stderr under the tool's name. Errors are returned as CE_* codes with a
 * detail line, as everywhere.
 */
#ifndef COFFER_CRED_H
#define COFFER_CRED_H

#include <limits.h>
#include <stddef.h>

#include "share.h"

struct endpoint;
struct hsm;
struct secret;
struct session;

#define CRED_PED_SECRET_LEN 32

/* The tag of a share set (lib/share.h share_set_tag), when there is one. */
struct cred_tag {
	int have;
	uint8_t v[SHARE_TAG_LEN];
};
/* PIN files for new shares: one set of 16 plus a domain set of 16. */
#define CRED_MAX_NEW_PINS (2 * SHARE_MAX_N)

/* A credential being presented. */
struct cred_src {
	const char *pin_file, *pin_env;             /* password HSM */
	const char *share[SHARE_MAX_INPUTS];        /* PED: --share, in order */
	size_t nshare;
	const char *share_pin[SHARE_MAX_INPUTS];    /* --share-pin-file */
	size_t nshare_pin;
	const char *challenge_file, *challenge_env; /* activated CO/CU */
};

/* Appends a --share / --share-pin-file; CE_USAGE when there are too many. */
int cred_add_share(struct cred_src *c, const char *path);
int cred_add_share_pin(struct cred_src *c, const char *path);

/*
 * The six options that fill a cred_src, shared by every tool so their
 * names and handling cannot drift apart: --pin-file, --pin-env, --share
 * (repeatable), --share-pin-file (repeatable), --challenge-file and
 * --challenge-env, each with an optional name prefix ("from-", "to-") for
 * a tool that takes more than one credential. Their getopt_long codes are
 * reserved here, far above any tool's own (which start at 256):
 * CRED_OPT(set, which), set 0..CRED_OPT_SETS-1 telling the tool's
 * credentials apart.
 */
enum cred_opt_which {
	CRED_OPT_PIN_FILE, CRED_OPT_PIN_ENV, CRED_OPT_SHARE, CRED_OPT_SHARE_PIN,
	CRED_OPT_CHAL_FILE, CRED_OPT_CHAL_ENV, CRED_OPT_NWHICH,
};
#define CRED_OPT_BASE 0x1000
#define CRED_OPT_SETS 4
#define CRED_OPT(set, which) (CRED_OPT_BASE + (set) * 16 + (which))
#define CRED_OPT_SET(code) (((code) - CRED_OPT_BASE) / 16)
#define CRED_OPT_WHICH(code) (((code) - CRED_OPT_BASE) % 16)

/*
 * The six option rows, each made by ROW(name, has_arg, flag, val) so a
 * tool whose table wraps struct option in its own row type can use them;
 * CRED_OPTIONS gives plain struct option initializers.
 */
#define CRED_OPTION_ROWS(ROW, prefix, set)                                 \
	ROW(prefix "pin-file", required_argument, NULL,                    \
	    CRED_OPT(set, CRED_OPT_PIN_FILE)),                             \
	ROW(prefix "pin-env", required_argument, NULL,                     \
	    CRED_OPT(set, CRED_OPT_PIN_ENV)),                              \
	ROW(prefix "share", required_argument, NULL,                       \
	    CRED_OPT(set, CRED_OPT_SHARE)),                                \
	ROW(prefix "share-pin-file", required_argument, NULL,              \
	    CRED_OPT(set, CRED_OPT_SHARE_PIN)),                            \
	ROW(prefix "challenge-file", required_argument, NULL,              \
	    CRED_OPT(set, CRED_OPT_CHAL_FILE)),                            \
	ROW(prefix "challenge-env", required_argument, NULL,               \
	    CRED_OPT(set, CRED_OPT_CHAL_ENV))
#define CRED_OPTION_ROW(...) { __VA_ARGS__ }
#define CRED_OPTIONS(prefix, set) \
	CRED_OPTION_ROWS(CRED_OPTION_ROW, prefix, set)

/*
 * Applies getopt_long's code and optarg to c when code is one of the
 * options above (of any set; the caller picks c by CRED_OPT_SET). Returns
 * 1 when it took the option, 0 when code is not a credential option, or
 * CE_USAGE (from cred_add_share/_pin, detail set) on too many files. The
 * caller words the usage message, as each tool always has.
 */
int cred_opt(struct cred_src *c, int code, const char *arg);

/* The name of credential option code without its prefix ("share"). */
const char *cred_opt_name(int code);

/* Returns 1 when c names any share or challenge (a PED credential). */
int cred_src_is_ped(const struct cred_src *c);

/*
 * Reads a credential into *sp: on a PED HSM (ped set) the secret the
 * shares recombine to, otherwise a typed password (prompt when no file or
 * variable is given). Giving shares to a password HSM, or a password to a
 * PED HSM, is CE_USAGE with a detail saying which the HSM takes.
 */
int cred_read(const char *prog, const struct cred_src *c, int ped,
    const char *prompt, struct secret **sp);

/*
 * After share_combine(): prints "prog: share #I from NAME is corrupt: ..."
 * for each input whose bit is set in bad, or the list of inputs (number,
 * name, set, M of N) so a detail that names inputs by number can be read.
 * names[i] is where shs[i] came from. Used by the HSM tools and by mofn.
 */
void cred_shares_report_bad(const char *prog, struct share *const shs[],
    const char *const names[], size_t n, uint32_t bad);
void cred_shares_list(const char *prog, struct share *const shs[],
    const char *const names[], size_t n);

/*
 * PIN files for PIN-protected shares, taken in order: a share file that
 * needs no PIN takes none, one that claims a PIN but is damaged still uses
 * up its file, so the next share gets the right one.
 */
struct cred_pin_queue {
	const char *const *files;
	size_t n, next;
	const char *option;   /* the option that gives them, for messages */
};

/*
 * The one decoder of a share every tool uses (the HSM tools here, `mofn`
 * for each file or line it reads): p[0..len) is a share file or one share
 * line, named name in messages; a PIN-protected file takes the next PIN
 * file of pins, else a prompt. CE_SHARE_CORRUPT (its own checksum fails:
 * the caller leaves it out), CE_BAD_CREDENTIAL (a wrong PIN, named),
 * CE_FORMAT (neither a share file nor a share line).
 */
int cred_share_decode(const char *name, const uint8_t *p, size_t len,
    struct cred_pin_queue *pins, struct share **shp);

/* Recombines the shares of c (cred_read's PED half). */
int cred_read_shares(const char *prog, const struct cred_src *c,
    struct secret **sp);

/* Logs the HSM SO in on h with the credential of c. */
int cred_so_login(const char *prog, struct hsm *h, const struct cred_src *c);

/*
 * Logs role in to partition label with the credential of c: the challenge
 * of an activated role when c gives one, else shares or a password as the
 * HSM takes.
 */
int cred_session_login(const char *prog, struct hsm *h, const char *label,
    int role, const struct cred_src *c, struct session **sp);

/*
 * What a login through lib/endpoint reads before it logs in: the
 * credential (shares or a password, as the HSM takes) with its share-set
 * tag, or the challenge of an activated role (its cache is opened by the
 * login itself: lib/activation.h).
 *
 * On a PED HSM the shares a role logs in with must be of the set recorded
 * for it (lib/hsm.h hsm_share_tag): shares of any other set, a forged set
 * with a copied set id included, are refused (CE_BAD_CREDENTIAL) before
 * the login and count nothing; the tag is recorded once the login
 * succeeds (the first login after a credential is set records it).
 */
struct cred_login {
	struct secret *cred;
	struct secret *challenge;
	struct cred_tag tag;
};

int cred_login_read(const char *prog, struct hsm *h, const char *label,
    int role, const struct cred_src *c, struct cred_login *l);
void cred_login_clear(struct cred_login *l);

/*
 * Opens the session of endpoint e (lib/endpoint.h, after endpoint_open) as
 * role with what cred_login_read() read, under flags (ENDPOINT_TX), and
 * records the share-set tag. lib/cred_endpoint.c.
 */
int cred_login_endpoint(struct endpoint *e, int role,
    const struct cred_login *l, int flags);

/* Both: read c, then log in. */
int cred_endpoint_login(const char *prog, struct endpoint *e, int role,
    const struct cred_src *c, int flags);

/*
 * A PKCS#11 token's user PIN from c's --pin-file or --pin-env (or a
 * prompt), C_Login with it, and the PIN wiped at once (lib/p11mod.h).
 * A share set or a challenge is CE_USAGE: a token takes a PIN.
 */
struct p11mod;
int cred_p11_login(const struct cred_src *c, struct p11mod *m);

void cred_tag_record(struct hsm *h, const char *label, int role,
    const struct cred_tag *tag);

/* PINs for the share files a command writes (shared by all its new sets). */
struct cred_pins {
	const char *file[CRED_MAX_NEW_PINS]; /* one for every share, or one each */
	size_t n, next;
	int prompt;                          /* ask each share's PIN on the TTY */
	int kdf;                             /* Argon2id profile of the PINs */
};

/* A PED credential being made: an M-of-N set written to dir. */
struct cred_new {
	const char *pin_file, *pin_env;  /* password HSM: the new password */
	unsigned m, n;                   /* PED: the new set */
	const char *dir;                 /* PED: where its files go */
	int force;                       /* replace existing share files */
};

/* Share files written by cred_new_make, so a failure can take them back. */
struct cred_written {
	char path[SHARE_MAX_N][PATH_MAX];
	unsigned n;
	int made_dir;
	char dir[PATH_MAX];
	struct cred_tag tag;   /* the new set's, for cred_tag_record() */
};

/* Appends a PIN file for new shares; CE_USAGE when there are too many. */
int cred_add_new_pin(struct cred_pins *p, const char *path);

/*
 * Checks that the PIN files fit `total` new shares: none, one for all, or
 * exactly one each. CE_USAGE with a detail otherwise.
 */
int cred_pins_check(const struct cred_pins *p, unsigned total);

/*
 * Makes a new credential into *sp. Password HSM: reads it (confirmed on a
 * prompt). PED HSM: 32 random bytes split M of N, written as share files
 * DIR/<what>-<i>-of-<n>.cshare, each under the next PIN of pins (if any);
 * nothing is written when any file exists (unless force). *w lists them.
 */
int cred_new_make(const char *prog, const struct cred_new *c,
    struct cred_pins *pins, int ped, const char *what, const char *prompt,
    struct cred_written *w, struct secret **sp);

/*
 * A PED domain secret: 32 random bytes as a new set, as cred_new_make
 * (what = "domain"), or recombined from existing shares when c names some.
 */
int cred_domain_secret(const char *prog, const struct cred_src *existing,
    const struct cred_new *c, struct cred_pins *pins, struct cred_written *w,
    struct secret **sp);

/* Removes the files (and the directory cred_new_make created). */
void cred_written_undo(struct cred_written *w);

/* Prints "prog: wrote share #i of N to PATH" for each file. */
void cred_written_report(const char *prog, const struct cred_written *w);

/*
 * Logs the SO in where store s wants one before it removes backups (a
 * Backup HSM; lib/bstore.h bstore_officer_dir) and hands the login to s.
 * 0 with nothing done for a store that needs none. lib/cred_store.c.
 */
struct bstore;
int cred_store_officer(const char *prog, struct bstore *s,
    const struct cred_src *c);

/*
 * The backup partition credential: the secret M shares of c recombine to
 * (--backup-share; a set made by 'mofn split'), or else a password from
 * c's pin file or variable, or a prompt (twice when confirm is set).
 * Shares and a password together are CE_USAGE. lib/cred_store.c.
 */
int cred_backup_secret(const char *prog, const struct cred_src *c,
    int confirm, struct secret **sp);

/*
 * Adds a --backup-share file (pin 0) or a --backup-share-pin-file (pin 1)
 * to c; CE_USAGE with the detail "too many --OPTION".
 */
int cred_add_backup_share(struct cred_src *c, int pin, const char *path);

/*
 * Refuses (CE_USAGE, saying what to give) a new backup into a PED Backup
 * HSM (bstore_ped) whose credential c is not a share set; 0 otherwise.
 */
int cred_backup_kind(const struct bstore *s, const struct cred_src *c);

/* Checks a new set's M and N (1 <= M <= N <= 16); CE_USAGE with detail. */
int cred_new_check(const struct cred_new *c, const char *what);

#endif
