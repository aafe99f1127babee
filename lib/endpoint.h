/*
 * endpoint: one partition at either end of a move of key material (clone,
 * HA sync, backup, restore). Every tool that moves objects opens its
 * partitions here, so they all check the same things in the same order and
 * feed the same producer and sink into whatever carries the records (the
 * transfer protocol, lib/xfer.h, or a sealed stream, lib/sealed.h).
 *
 *   struct endpoint *src, *dst;
 *   endpoint_open("hsm:/a#p1", &src);          no login, nothing written
 *   endpoint_cloning_check(src);               refuse early (CE_POLICY)
 *   endpoint_login(src, ROLE_CO, cred, 0);     session + domains
 *   endpoint_login(dst, ROLE_CO, cred, ENDPOINT_TX);
 *   producer: endpoint_produce(src, &po, &sent) with po.emit =
 *             endpoint_emit_xfer (clone) or endpoint_emit_sealed (backup)
 *   consumer: endpoint_sink_new(dst, &so, &k); endpoint_sink_xfer(k, &sink)
 *             for xfer_receive/xfer_run_pair, or endpoint_sink_record as
 *             sealed_read's record callback, then endpoint_sink_commit;
 *   endpoint_commit(dst);                      only with ENDPOINT_TX
 *   endpoint_close(dst); endpoint_close(src);
 *
 * Order of checks, so a refusal writes nothing: endpoint_open reads the
 * partition's facts without a login (it exists, it is initialized, its and
 * the HSM's cloning policy); the tool refuses there if it must. Logging in
 * writes (the failure counter, a "login" audit line); with ENDPOINT_TX the
 * login and everything after it (the apply, its audit event) run in one
 * store transaction that only endpoint_commit() keeps, so a transfer
 * refused later (no common domain, a label clash, a broken stream) leaves
 * the target's hsm.db and audit.log byte for byte as they were. A failed
 * login is the exception: its failure count and lockout are always kept.
 *
 * Two endpoints on one HSM directory (clone between partitions of the same
 * HSM) are two separate endpoint_open() handles. While a target holds
 * ENDPOINT_TX it holds the HSM's write lock, so a source on the same HSM
 * must log in first and may only read until the target commits or closes.
 * xfer_run_pair() runs the producer in a thread of its own and the sink in
 * the calling thread: each endpoint is used by one thread at a time.
 *
 * V1 (SKS) partitions: the producer and the sink switch on the partition
 * version. A V1 source emits one XFER_REC_SMK record and then one
 * XFER_REC_SKS_BLOB per object, as stored: nothing is decrypted. A V1
 * target stores the blobs as they are (after taking the SMK, see
 * force_smk); a V0 target opens them with the SMK the stream carried and
 * stores the objects under its own PSK (V1 to V0 migration); V0 records
 * going into a V1 target are sealed into blobs there (V0 to V1).
 */
#ifndef COFFER_ENDPOINT_H
#define COFFER_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "xfer.h"

struct endpoint;
struct endpoint_sink;
struct hsm;
struct partition_info;
struct secret;
struct session;

/* endpoint_login flags. */
#define ENDPOINT_TX 0x1 /* hold one transaction until endpoint_commit() */

/*
 * Parses uri ("hsm:DIR#LABEL"), opens the HSM and reads the partition's
 * facts. No login and no write. CE_USAGE (bad URI), CE_NOT_FOUND (no HSM
 * or partition), CE_INVALID (partition not initialized), CE_ZEROIZED; each
 * with a detail line saying what to do.
 */
int endpoint_open(const char *uri, struct endpoint **ep);

/* The URI as given, the partition label, and its facts at open time. */
const char *endpoint_uri(const struct endpoint *e);
const char *endpoint_label(const struct endpoint *e);
const struct partition_info *endpoint_info(const struct endpoint *e);

/*
 * 0 when cloning is allowed on this partition: the partition's own
 * allow-cloning policy AND the HSM's policy 7. Otherwise CE_POLICY with a
 * detail naming the partition, which policy is off and how it is turned on.
 */
int endpoint_cloning_check(const struct endpoint *e);

/*
 * Logs in as role (ROLE_CO for transfers) with cred and reads the
 * partition's domains. flags: ENDPOINT_TX (see above). Errors as
 * session_login() (lib/role.h).
 */
int endpoint_login(struct endpoint *e, int role, const struct secret *cred,
    int flags);

/* The same with the challenge of an activated CO or CU (lib/activation.h). */
int endpoint_login_challenge(struct endpoint *e, int role,
    const struct secret *challenge, int flags);

/* After endpoint_login(): the handle, the session, the domains (primary
 * first) as the transfer protocol and sealed streams take them. */
struct hsm *endpoint_hsm(struct endpoint *e);
struct session *endpoint_session(struct endpoint *e);
const struct xfer_domain *endpoint_domains(const struct endpoint *e,
    size_t *np);

/* Commits the ENDPOINT_TX transaction (0 when none is open). */
int endpoint_commit(struct endpoint *e);

/*
 * Rolls the ENDPOINT_TX transaction back now (nothing when none is open).
 * The session stays usable for reading what is committed, e.g. to report
 * which labels clashed after a refused transfer.
 */
void endpoint_rollback(struct endpoint *e);

/*
 * Rolls back an open ENDPOINT_TX transaction, wipes the domain keys,
 * closes the session and the HSM; NULL is fine.
 */
void endpoint_close(struct endpoint *e);

/* --- producer ------------------------------------------------------------ */

/* Where records go: xfer_send_record, sealed_writer_record, a test buffer. */
typedef int endpoint_emit_fn(void *arg, uint8_t kind, const void *p, size_t n);

/* Adapters: arg is a struct xfer *, a struct sealed_writer *, or a
 * struct endpoint_sink * (a local copy with no protocol in between). */
int endpoint_emit_xfer(void *x, uint8_t kind, const void *p, size_t n);
int endpoint_emit_sealed(void *w, uint8_t kind, const void *p, size_t n);
int endpoint_emit_sink(void *k, uint8_t kind, const void *p, size_t n);

struct endpoint_produce_opts {
	const char *const *labels; /* NULL: every object */
	size_t nlabels;
	endpoint_emit_fn *emit;
	void *arg;
	/* Called after each record (may be NULL), e.g. a progress bar. */
	void (*progress)(void *ctx, uint64_t done);
	void *ctx;
	/*
	 * V1 sources: emit the SMK record only (Luna's SMK clone: the target
	 * can then open the source's blobs, e.g. an extract file). A V0
	 * source refuses it (CE_INVALID).
	 */
	int smk_only;
	/*
	 * V0 sources: emit each object as its row as stored (kind
	 * ENDPOINT_REC_ROW, nothing decrypted), for a consumer on another
	 * thread to turn into its record (lib/object.h: object_psk_new from
	 * endpoint_session, then object_row_open). A backup
	 * does: opening every value was a third of its reading thread.
	 */
	int rows;
};

/* A V0 object's stored row (po.rows); never a kind a transfer carries. */
#define ENDPOINT_REC_ROW 0xfd

/*
 * Reports every label of labels[0..n) the partition does not hold to
 * missing (may be NULL) and returns how many there were (0: all present),
 * or a negative CE_* code.
 */
int endpoint_missing(struct endpoint *e, const char *const *labels, size_t n,
    void (*missing)(void *ctx, const char *label), void *ctx);

/*
 * Emits every object (or the selection) as records, one object in memory
 * at a time; *countp (may be NULL) gets the records emitted. A selection
 * naming an object the partition lacks is CE_NOT_FOUND before anything is
 * emitted (the detail names the first; endpoint_missing lists them all);
 * a label given twice is emitted once. The first non-zero emit return
 * stops the walk and is returned.
 */
int endpoint_produce(struct endpoint *e, const struct endpoint_produce_opts *o,
    uint64_t *countp);

/* --- consumer (sink) ----------------------------------------------------- */

enum endpoint_conflict {
	ENDPOINT_FAIL = 0,    /* a label the target holds refuses the transfer */
	ENDPOINT_SKIP = 1,    /* keep the target's object, report it */
	ENDPOINT_REPLACE = 2, /* overwrite the target's object */
	ENDPOINT_SYNC = 3,    /* copy only what the target lacks; never delete
	                         or overwrite; say whether a kept copy differs */
};

/* Parses "fail", "skip", "replace", "sync". */
int endpoint_conflict_parse(const char *name, int *modep);
const char *endpoint_conflict_name(int mode);

struct endpoint_sink_opts {
	int conflict;             /* enum endpoint_conflict */
	int empty_first;          /* erase the target's objects first (restore) */
	const char *audit_event;  /* "clone", "restore", ... */
	const char *audit_detail; /* e.g. "from hsm:/a#p1"; never a secret */
	/*
	 * V1 targets: take the source's SMK even though the target holds
	 * objects under another SMK (they are erased: without their SMK they
	 * could never be opened again). Without it that is refused (CE_POLICY,
	 * the detail says how many objects would be lost).
	 */
	int force_smk;
	/* V1 targets: take an SMK the target retired in a rollover (refused
	 * without it: it would revive a replaced key). */
	int allow_retired_smk;
};

/* Why an object was not written. */
enum endpoint_skip_why {
	ENDPOINT_KEPT = 1,      /* skip mode: the label exists on the target */
	ENDPOINT_IDENTICAL = 2, /* sync: the target holds the same object */
	ENDPOINT_DIFFERS = 3,   /* sync: the target's object differs */
};

/* One object the sink did not write, and why (reason: a static string). */
struct endpoint_skip {
	char *label;
	int why;                /* enum endpoint_skip_why */
	const char *reason;
};

struct endpoint_stats {
	uint64_t received;        /* records taken */
	uint64_t written;         /* new objects */
	uint64_t replaced;        /* objects overwritten (replace mode) */
	uint64_t erased;          /* V1, force_smk: objects lost with the
	                             target's previous SMK */
	uint64_t skipped;         /* records not written */
	uint64_t identical;       /* sync: of those, the same on the target;
	                             counted, not listed, so that syncing a
	                             large partition holds no per-object state */
	size_t nskips;            /* == skipped - identical */
	struct endpoint_skip *skips; /* each object left out for a reason a
	                                caller must see (kept, differs) */
};

/*
 * Starts applying to e's partition (a CO session): one transaction, joined
 * to the ENDPOINT_TX one when e holds it. Nothing is kept unless
 * endpoint_sink_commit() succeeds (and, under ENDPOINT_TX, endpoint_commit).
 */
int endpoint_sink_new(struct endpoint *e, const struct endpoint_sink_opts *o,
    struct endpoint_sink **kp);

/*
 * Stages one record (an xfer_record_fn: arg is the sink). CE_CONFLICT in
 * fail mode, CE_FULL past the storage size, CE_FORMAT for a bad record,
 * CE_UNSUPPORTED for a record kind this partition cannot take. After a
 * failure the sink takes nothing more.
 */
int endpoint_sink_record(void *k, uint8_t kind, const uint8_t *p, size_t n);

/*
 * A sink applied on a thread of its own, so that receiving and applying
 * each get a core (restore: reading the archive; clone: the transfer).
 * endpoint_feed_new starts the applying thread, which owns k and its
 * SQLite connection until endpoint_feed_finish (or _commit, or _free) has
 * joined it. endpoint_feed_record (an xfer_record_fn, arg the feed) queues
 * a record; for a V0 target (not in sync mode) it first prepares each V0
 * object's row on the caller's thread (lib/object.h, object_prep_record:
 * decoded, checked, its value sealed under the partition key with the row
 * id it will have) and the applying thread only inserts it; for a V1
 * target (not in sync mode) it checks each SKS blob on the caller's thread
 * (sks_blob_check under the SMK record the stream carried: it opens and
 * holds the object its header names) and the applying thread stores it
 * without opening it again. The applying
 * thread's first error comes back from the next call, with its detail.
 * endpoint_feed_commit (arg the feed) waits for the queue, then commits
 * as endpoint_sink_commit does; endpoint_feed_xfer fills an xfer_sink
 * with the two.
 */
struct endpoint_feed;
int endpoint_feed_new(struct endpoint_sink *k, struct endpoint_feed **fp);
int endpoint_feed_record(void *f, uint8_t kind, const uint8_t *p, size_t n);
int endpoint_feed_finish(struct endpoint_feed *f);
int endpoint_feed_commit(void *f, uint64_t count);
void endpoint_feed_xfer(struct endpoint_feed *f, struct xfer_sink *sinkp);
/* Stops the applying thread if it runs, then frees f; NULL is fine. */
void endpoint_feed_free(struct endpoint_feed *f);

/*
 * What the feed uses of the sink: the context in which another thread
 * prepares V0 rows for k (*pp NULL when the target is not V0 or k syncs),
 * made before that thread starts; and the insert of one prepared row.
 * endpoint_sink_record never takes a prepared row: whatever a transfer or
 * an archive delivers is checked as a record. endpoint_sink_blobs_checked
 * (before the applying thread starts): 1 when k's target is V1 and k does
 * not sync, and k from now on stores blobs without opening them, so the
 * caller must check every blob before it hands it over; else 0.
 */
struct object_prep;
int endpoint_sink_prep(struct endpoint_sink *k, struct object_prep **pp);
int endpoint_sink_blobs_checked(struct endpoint_sink *k);
int endpoint_sink_prepared(struct endpoint_sink *k, const void *p, size_t n);

/*
 * Applies what was staged, all or nothing (arg is the sink). count is the
 * number of records the sender says it sent; a different number of
 * records received is CE_INTEGRITY.
 */
int endpoint_sink_commit(void *k, uint64_t count);

/* Fills an xfer_sink that feeds k. */
void endpoint_sink_xfer(struct endpoint_sink *k, struct xfer_sink *sinkp);

/* What happened so far (final after endpoint_sink_commit). */
const struct endpoint_stats *endpoint_sink_stats(const struct endpoint_sink *k);

/* Aborts an uncommitted apply and frees k; NULL is fine. */
void endpoint_sink_free(struct endpoint_sink *k);

#endif
