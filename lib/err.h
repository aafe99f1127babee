/*
 * err: the one error space of libcoffer.
 *
 * Every library function that can fail returns 0 or a negative CE_* code;
 * err_str() gives the message and err_exit_code() the exit status a tool
 * returns (DESIGN.md: 0 done, 1 failed, 2 usage, 3 refused, 4 integrity).
 * Library code never prints; it may leave one line of detail (the label that
 * clashed, the file that was short) with err_set_detail() for the tool to show.
 * The detail never holds a secret.
 */
#ifndef COFFER_ERR_H
#define COFFER_ERR_H

enum coffer_err {
	CE_OK = 0,
	CE_NOMEM = -1,           /* out of memory */
	CE_INVALID = -2,         /* invalid argument */
	CE_USAGE = -3,           /* bad command line */
	CE_TRUNCATED = -4,       /* input ends early */
	CE_TOO_LONG = -5,        /* length over the hard maximum */
	CE_TRAILING = -6,        /* unexpected trailing bytes */
	CE_FORMAT = -7,          /* malformed input */
	CE_VERSION = -8,         /* unsupported format version */
	CE_CRYPTO = -9,          /* crypto library failure */
	CE_AUTH_TAG = -10,       /* authentication tag mismatch */
	CE_BAD_CREDENTIAL = -11, /* wrong password, PIN or share set */
	CE_LOCKED = -12,         /* role locked out */
	CE_ZEROIZED = -13,       /* HSM or partition zeroized */
	CE_DOMAIN_MISMATCH = -14,/* no cloning domain in common */
	CE_POLICY = -15,         /* refused by policy */
	CE_NOT_FOUND = -16,      /* no such thing */
	CE_EXISTS = -17,         /* already exists */
	CE_IO = -18,             /* file or socket error */
	CE_DB = -19,             /* store (SQLite) error */
	CE_FULL = -20,           /* full: a store's capacity or a disk; the detail says which */
	CE_INTEGRITY = -21,      /* tampered or truncated data */
	CE_NOT_LOGGED_IN = -22,  /* role not logged in / permission */
	CE_PERMISSION = -23,     /* role may not do this */
	CE_SHARE_TOO_FEW = -24,  /* fewer shares than the threshold */
	CE_SHARE_MIXED = -25,    /* shares of different sets */
	CE_SHARE_DUP = -26,      /* the same share twice */
	CE_SHARE_CORRUPT = -27,  /* a share fails its check */
	CE_PROTOCOL = -28,       /* peer broke the transfer protocol */
	CE_PEER_CLOSED = -29,    /* peer closed the channel */
	CE_CONFLICT = -30,       /* label clash on the target */
	CE_BUSY = -31,           /* store busy / locked by another process */
	CE_UNSUPPORTED = -32,    /* not supported */
	CE_LAST = -33
};

/* Returns a static message for r (never NULL). */
const char *err_str(int r);

/*
 * Returns a short stable name for r ("bad_credential", "integrity", ...):
 * the "code" of a --json error document (docs/json.md). Never NULL.
 */
const char *err_name(int r);

/* Returns the process exit status for r: 0, 1, 2, 3 or 4. */
int err_exit_code(int r);

/* Sets the thread's detail line (printf-style); NULL fmt clears it. */
void err_set_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns the thread's detail line, or "" when none. */
const char *err_detail(void);

#endif
