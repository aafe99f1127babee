/*
 * audit: the emulated HSM's tamper-evident audit log (audit.log).
 *
 * One JSON object per line per security event. Each line ends in a "mac"
 * field: HMAC-SHA-384 under the HSM's audit key over the previous line's
 * MAC followed by this line up to (not including) ',"mac":'. The first
 * line chains from 48 zero bytes. hsm.db keeps the head: the last sequence
 * number, its MAC and the log's committed length, updated in the same
 * transaction as the event, so a truncated log is caught as well as an
 * edited, deleted or reordered line.
 *
 * Where the key lives, and what that buys: the 48-byte audit key is random,
 * made at `hsm init`, and kept in hsm.db (table hsm) in clear, because
 * events such as failed logins must be logged with no credential at hand.
 * The chain therefore proves the log was not altered by anyone who lacks
 * read access to hsm.db: a log copied off the box, a log shipper, a
 * careless edit or a partial restore of the directory. It does not stop
 * someone who can read and write hsm.db as well; that is the host's file
 * permissions' job (docs/security.md).
 *
 * Format: docs/formats.md section 3.
 */
#ifndef COFFER_AUDIT_H
#define COFFER_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct store;

#define AUDIT_KEY_LEN CC_HASH_LEN
#define AUDIT_LINE_MAX 4096

/* One event; NULL strings and a zero serial are left out of the line. */
struct audit_event {
	const char *event;     /* "login", "key-create", "zeroize", ... */
	int ok;                /* result: 1 "ok", 0 "fail" */
	const char *role;      /* "so", "po", "co", "cu" */
	const char *partition; /* partition label */
	uint64_t serial;       /* partition serial */
	const char *object;    /* object label */
	const char *detail;    /* free text, never a secret */
	int64_t count;         /* objects affected; left out when < 0 */
};

/* A parsed line (audit show). Strings are "" when absent. */
struct audit_rec {
	uint64_t seq;
	char time[24];
	char event[32];
	char result[8];
	char role[8];
	char partition[64];
	uint64_t serial;
	char object[160];
	char detail[512];
	int64_t count;
};

/*
 * Appends ev to logpath and moves the head in hsm.db. Must run inside a
 * store transaction (the write lock orders concurrent appenders); the line
 * is written and fsynced before the caller commits, and the caller truncates
 * it back with audit_truncate() if it rolls back.
 */
int audit_append(struct store *st, const char *logpath,
    const struct audit_event *ev);

/* Reads the committed log length recorded in hsm.db. */
int audit_committed_size(struct store *st, uint64_t *sizep);

/* Truncates logpath to size (rollback; crash recovery of an unanchored tail). */
int audit_truncate(const char *logpath, uint64_t size);

/* Report of audit_verify(). */
struct audit_report {
	uint64_t records;   /* lines that verified */
	uint64_t head_seq;  /* what hsm.db says the last sequence number is */
	uint64_t bad_line;  /* 1-based line that failed, 0 when none */
};

/*
 * Verifies the whole chain against the head in hsm.db. Returns 0, or
 * CE_INTEGRITY with a detail naming the first bad line and what is wrong
 * (edited, out of order or missing, truncated, extra).
 */
int audit_verify(struct store *st, const char *logpath,
    struct audit_report *repp);

/* Parses one line (without newline) into *recp; CE_FORMAT when malformed. */
int audit_parse(const char *line, size_t len, struct audit_rec *recp);

/*
 * Calls cb for every line of logpath (without its newline) in order; stops
 * at and returns cb's first non-zero result.
 */
int audit_foreach(const char *logpath,
    int (*cb)(void *ctx, const char *line, size_t len), void *ctx);

#endif
