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
	int crash_tail;     /* 1: an interrupted command's uncommitted record
	                       (or part of one) follows the head; not tampering */
	uint64_t tail_seq;  /* its sequence number (0: a partial line) */
	char tail_event[32];
};

/*
 * What follows the committed head in audit.log. A command writes and
 * fsyncs its audit line before hsm.db commits, so a crash in between
 * leaves exactly one whole record that chains from the head (or, killed
 * mid-write, part of one): AUDIT_TAIL_CRASH, which the next write drops
 * and records (docs/hsm.md "Audit log"). Anything more - several records,
 * a record that does not chain - is AUDIT_TAIL_FOREIGN: hsm.db is older
 * than the log (a partial restore) or the log was extended; nothing is
 * dropped and writes are refused until an officer acts (hsm audit
 * quarantine).
 */
enum audit_tail_kind {
	AUDIT_TAIL_NONE = 0,
	AUDIT_TAIL_CRASH = 1,
	AUDIT_TAIL_FOREIGN = 2,
};

struct audit_tail {
	int kind;            /* enum audit_tail_kind */
	uint64_t committed;  /* bytes of the log hsm.db anchors */
	uint64_t bytes;      /* bytes past them */
	uint64_t lines;      /* lines past them (a partial one counts) */
	uint64_t seq;        /* CRASH with a whole record: its seq, else 0 */
	char event[32];      /* and its event */
};

/* Classifies what follows the head (no tail: AUDIT_TAIL_NONE). */
int audit_tail(struct store *st, const char *logpath, struct audit_tail *t);

/*
 * Verifies the whole chain against the head in hsm.db. Returns 0 (with
 * crash_tail set when an interrupted command's uncommitted record follows
 * the head: reported, not tampering), or CE_INTEGRITY with a detail naming
 * the first bad line and what is wrong (edited, out of order or missing,
 * truncated, extra records).
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
