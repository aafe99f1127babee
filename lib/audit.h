/*
 * audit: the emulated HSM's tamper-evident audit log (audit.log).
 *
 * One JSON object per line per security event. Each line ends in a "mac"
 * field: HMAC-SHA-384 over the previous line's MAC followed by this line
 * up to (not including) ',"mac":'. The first line chains from 48 zero
 * bytes. hsm.db keeps the head: the last sequence number, its MAC, the
 * log's committed length and a running SHA-384 digest of the lines,
 * updated in the same transaction as the event, so a truncated log is
 * caught as well as an edited, deleted or reordered line.
 *
 * The MAC key ratchets (chain version 2): record i is MACed under key_i,
 * key_{i+1} = HKDF-Expand(key_i), and hsm.db keeps only the key of the
 * next record, so a thief of today's hsm.db holds no key of any record
 * already written and cannot rewrite the past without the MACs failing.
 * Events such as failed logins are still logged with no credential at
 * hand (the next key is in clear). Who checks the MACs: the start key of
 * each epoch (an `hsm init`) is wrapped under the HSM SO's credential, so
 * the SO checks every MAC; anyone else checks the sequence, the digest
 * and the head, which catches every change by someone who cannot write
 * hsm.db. An exported head (lib/audit_head.c), kept off the host, catches
 * a rewritten past even then.
 *
 * Format: docs/formats.md section 3.
 */
#ifndef COFFER_AUDIT_H
#define COFFER_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "kdf.h"

struct store;

#define AUDIT_KEY_LEN CC_HASH_LEN
#define AUDIT_LINE_MAX 4096
#define AUDIT_SEED_LEN 32     /* Ed25519 seed of the head-signing key */
#define AUDIT_PUBKEY_LEN 32
#define AUDIT_SIG_LEN 64

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

/* The committed head as hsm.db records it. */
struct audit_head {
	uint64_t seq;                 /* last sequence number */
	uint64_t size;                /* committed bytes of audit.log */
	uint8_t mac[CC_HASH_LEN];     /* its MAC */
	uint8_t digest[CC_HASH_LEN];  /* digest of lines 1..seq */
	int have_digest;              /* 0: a chain from before schema 6 that
	                                 has not been written to since */
};

int audit_head_get(struct store *st, struct audit_head *hp);

/* key_{i+1} = HKDF-Expand-SHA-384(key_i, "coffer-audit-ratchet-v1", 48).
 * key and next may be the same buffer. */
int audit_ratchet(const uint8_t key[AUDIT_KEY_LEN],
    uint8_t next[AUDIT_KEY_LEN]);

/* digest = SHA-384(digest || line), line without its newline. */
int audit_digest_step(uint8_t digest[CC_HASH_LEN], const void *line,
    size_t len);

/*
 * Epochs. audit_epoch_begin (hsm init, every SO login; inside its
 * transaction) starts one at the next record: a random start key becomes
 * the current key, so a key read from hsm.db before computes none after,
 * and is stored wrapped under so_kek (the SO's key-encryption key,
 * lib/wrap.h wrap_kek under kdf and salt). It also wraps any start key
 * still held in clear (a chain begun before schema 6) and erases it, and
 * makes the head-signing key if there is none. audit_epoch_rewrap (an SO
 * credential change) moves the wraps made under old_salt to the new
 * credential. Both run inside a store transaction.
 */
struct secret;
int audit_epoch_begin(struct store *st, const struct secret *so_kek, int kdf,
    const uint8_t salt[KDF_SALT_LEN]);
int audit_epoch_rewrap(struct store *st, const struct secret *old_kek,
    const uint8_t old_salt[KDF_SALT_LEN], const struct secret *new_kek,
    int kdf, const uint8_t new_salt[KDF_SALT_LEN]);

/* Truncates logpath to size (rollback; crash recovery of an unanchored tail). */
int audit_truncate(const char *logpath, uint64_t size);

/* Report of audit_verify(). */
struct audit_report {
	uint64_t records;   /* lines that verified */
	uint64_t head_seq;  /* what hsm.db says the last sequence number is */
	uint64_t macs;      /* records whose MAC was checked (the rest: no key
	                       at hand; their sequence, chain and digest were) */
	int digest_checked; /* the log matched the digest in hsm.db */
	uint64_t bad_line;  /* 1-based line that failed, 0 when none */
	int crash_tail;     /* 1: an interrupted command's uncommitted record
	                       (or part of one) follows the head; not tampering */
	uint64_t tail_seq;  /* its sequence number (0: a partial line) */
	int tail_records;   /* whole or partial records (2: a login, then) */
	char tail_event[48];
};

/*
 * What follows the committed head in audit.log. A command writes and
 * fsyncs its audit line before hsm.db commits, so a crash in between
 * leaves exactly one whole record that chains from the head (or, killed
 * mid-write, part of one): AUDIT_TAIL_CRASH, which the next write drops
 * and records (docs/hsm.md "Audit log"). The one transaction that writes
 * two is a target's: its login and its operation (restore, clone, a copy
 * into a partition), so a good login chained from the head followed by a
 * record of the same role and partition (or part of one) is a crash too.
 * Anything more - other records, a record that does not chain - is
 * AUDIT_TAIL_FOREIGN: hsm.db is older
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
	int records;         /* CRASH: 1, or 2 (a login, then its operation) */
	char event[48];      /* and its event ("login, restore" for two) */
	char object[160];    /* CRASH with one whole record: its object */
};

/* Classifies what follows the head (no tail: AUDIT_TAIL_NONE). */
int audit_tail(struct store *st, const char *logpath, struct audit_tail *t);

/*
 * Keeps an interrupted command's one whole record instead of dropping it:
 * moves the head over it, in the caller's transaction, after checking
 * again that it is one record chained from the head. For an event whose
 * effect outlived the kill (a Backup HSM's backup partition renamed into
 * place before hsm.db committed); CE_INTEGRITY when the tail is not that.
 */
int audit_tail_keep(struct store *st, const char *logpath);

/*
 * Verifies the whole chain against the head in hsm.db. Returns 0 (with
 * crash_tail set when an interrupted command's uncommitted record follows
 * the head: reported, not tampering), or CE_INTEGRITY with a detail naming
 * the first bad line and what is wrong (edited, out of order or missing,
 * truncated, extra records).
 */
int audit_verify(struct store *st, const char *logpath,
    struct audit_report *repp);

/*
 * audit_verify that also checks the MAC of every record of an epoch whose
 * start key opens under so_kek (the SO's key-encryption key under salt,
 * the SO's current salt): a record rewritten by someone without that
 * record's key fails here, named by its line.
 */
int audit_verify_keyed(struct store *st, const char *logpath,
    const struct secret *so_kek, const uint8_t *salt,
    struct audit_report *repp);

/* The first lines of the log (an exported head's prefix). */
struct audit_prefix {
	uint64_t lines;               /* lines read (fewer: the log is shorter) */
	uint64_t bytes;               /* their bytes, newlines included */
	uint8_t digest[CC_HASH_LEN];  /* their digest */
	uint8_t mac[CC_HASH_LEN];     /* the last one's MAC field */
	int mac_ok;                   /* it parsed */
};

int audit_prefix(const char *logpath, uint64_t lines,
    struct audit_prefix *pp);

/*
 * Signed heads (lib/audit_head.c, docs/formats.md 3.3). The head-signing
 * key is Ed25519, made at `hsm init` (or the first write after schema 6),
 * its seed kept in hsm.db. audit_pubkey: its public key (CE_NOT_FOUND
 * before it exists). audit_head_sign: the text of a signed head of the
 * committed chain (a new buffer). audit_head_check: checks a head's
 * signature against this HSM's key and serial and that audit.log still
 * holds exactly the records it vouches for; CE_INTEGRITY with a detail
 * naming its seq otherwise. *hip (may be NULL) gets what the head says.
 */
struct audit_headinfo {
	uint64_t serial;
	uint64_t seq;
	uint64_t size;
	char time[24];
};

struct buf;
int audit_pubkey(struct store *st, uint8_t pk[AUDIT_PUBKEY_LEN]);
int audit_head_sign(struct store *st, struct buf **outp);
int audit_head_check(struct store *st, const char *logpath, const void *text,
    size_t len, struct audit_headinfo *hip);

/* Parses a head without checking it (CE_FORMAT when malformed). */
int audit_head_parse(const void *text, size_t len,
    struct audit_headinfo *hip);

/* Parses one line (without newline) into *recp; CE_FORMAT when malformed. */
int audit_parse(const char *line, size_t len, struct audit_rec *recp);

/*
 * Calls cb for every line of logpath (without its newline) in order; stops
 * at and returns cb's first non-zero result.
 */
int audit_foreach(const char *logpath,
    int (*cb)(void *ctx, const char *line, size_t len), void *ctx);

#endif
