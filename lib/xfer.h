/*
 * xfer: the one transfer protocol. Every move of key material between two
 * live parties (clone, HA sync, remote backup and restore) is a session of
 * it; docs/formats.md section 5 specifies every byte.
 *
 * A session runs over a struct chan between an initiator and a responder:
 *   1. hello   - fresh nonces and ephemeral ECDH P-384 keys, then the
 *                initiator's per-session domain proofs; the responder picks
 *                its first domain the initiator also holds, or ends the
 *                session with DOMAIN_MISMATCH (CE_DOMAIN_MISMATCH on both
 *                sides, nothing else sent);
 *   2. keys    - HKDF-SHA-384(salt = domain key, ikm = ECDH secret,
 *                info = transcript hash), key confirmation both ways;
 *   3. records - opaque records (a kind byte and bytes) batched into
 *                AES-256-GCM frames with the sequence number in the nonce;
 *   4. commit  - count and transcript hash; the receiver applies all or
 *                nothing and answers with a status the sender gets back.
 * The initiator chooses the direction: PUSH (it sends records, e.g. clone)
 * or PULL (it sends one typed request, then receives, e.g. restore from a
 * remote store).
 *
 * Memory is bounded: one frame in each direction (XFER_FRAME_MAX) and one
 * batch of records (XFER_BATCH) at a time, whatever the transfer's size.
 */
#ifndef COFFER_XFER_H
#define COFFER_XFER_H

#include <stddef.h>
#include <stdint.h>

struct chan;
struct secret;
struct xfer;

#define XFER_VERSION 2
#define XFER_MAX_DOMAINS 3           /* per side (Extended Domain Management) */
#define XFER_DOMAIN_KEY_LEN 32
#define XFER_RECORD_MAX (1024u * 1024) /* one record's bytes */
#define XFER_REQUEST_MAX (64u * 1024)  /* one request's body */
#define XFER_BATCH (64u * 1024)        /* records per DATA frame, target */
#define XFER_FRAME_MAX (XFER_RECORD_MAX + 1024) /* hard limit, any frame */
#define XFER_DETAIL_MAX 255

/* Record kinds (docs/formats.md 5.6). 0 is never a record. */
enum xfer_record_kind {
	XFER_REC_V0_OBJECT = 1, /* a V0 object: attributes and value */
	XFER_REC_SMK = 2,       /* an SKS master key */
	XFER_REC_SKS_BLOB = 3,  /* an SKS blob, carried as it is */
};

/* Request kinds (PULL sessions; docs/formats.md 5.7). */
enum xfer_request_kind {
	XFER_REQ_ALL = 1,    /* everything; empty body */
	XFER_REQ_LABELS = 2, /* body: TLV(1, label) per wanted object */
};

enum xfer_mode {
	XFER_PUSH = 1, /* the initiator sends records */
	XFER_PULL = 2, /* the initiator requests, the responder sends */
};

/* A cloning domain as the session sees it: a local label and its key. */
struct xfer_domain {
	const char *label;        /* never sent */
	const struct secret *key; /* XFER_DOMAIN_KEY_LEN bytes */
};

/* Returns 0 when doms holds 1..3 domains of 32-byte keys, none twice. */
int xfer_domains_check(const struct xfer_domain *doms, size_t ndoms);

/*
 * Initiator: runs the handshake as the side that connects, holding doms
 * (in its order of preference) for partition serial (bound into the
 * transcript with the peer's). The responder proves its domains first; the
 * initiator sends nothing keyed by a domain before one of those proofs
 * verified (docs/formats.md 5.4). Returns 0 with *xp ready for the records
 * (PUSH) or the request (PULL); CE_DOMAIN_MISMATCH when the peer shares
 * none; CE_AUTH_TAG when the peer fails key confirmation; CE_PROTOCOL,
 * CE_VERSION, CE_PEER_CLOSED. The channel stays the caller's; free the
 * session before the channel.
 */
int xfer_initiate(struct chan *c, const struct xfer_domain *doms, size_t ndoms,
    uint64_t serial, int mode, struct xfer **xp);

/* Responder: the accepting side of xfer_initiate(); same returns. */
int xfer_accept(struct chan *c, const struct xfer_domain *doms, size_t ndoms,
    uint64_t serial, struct xfer **xp);

/* The peer's partition serial, as its HELLO gave it (authenticated by the
 * key confirmation). */
uint64_t xfer_peer_serial(const struct xfer *x);

/* Returns XFER_PUSH or XFER_PULL. */
int xfer_mode(const struct xfer *x);

/* Returns 1 when this side sends records, 0 when it receives them. */
int xfer_is_sender(const struct xfer *x);

/* Returns the local label of the domain the session runs under. */
const char *xfer_domain_label(const struct xfer *x);

/* Initiator of a PULL session: sends the one request (kind 1..255). */
int xfer_send_request(struct xfer *x, uint8_t kind, const void *p, size_t n);

/*
 * Responder of a PULL session: receives the request; *bodyp points into the
 * session and is valid until the next call on x.
 */
int xfer_recv_request(struct xfer *x, uint8_t *kindp, const uint8_t **bodyp,
    size_t *lenp);

/*
 * Sender: queues one record (kind 1..255, n <= XFER_RECORD_MAX); a full
 * batch goes out as one DATA frame. Returns CE_* when the channel broke or
 * the receiver refused early (then its code, see xfer_peer_refused()).
 */
int xfer_send_record(struct xfer *x, uint8_t kind, const void *p, size_t n);

/*
 * Sender: flushes the batch, sends COMMIT (count and transcript hash) and
 * waits for the receiver's answer. Returns 0 when the receiver applied
 * everything; the receiver's code (xfer_peer_refused() == 1) when it
 * refused; another CE_* when the session broke, in which case the outcome
 * on the receiver is unknown only if the break came after COMMIT was sent.
 */
int xfer_commit(struct xfer *x);

/*
 * Either side, after the handshake: gives up with code (a negative CE_*)
 * and a detail line (err_detail(); never a secret), sent authenticated to
 * the peer, then closes the channel. Best effort; returns code.
 */
int xfer_abort(struct xfer *x, int code);

/* Returns 1 when the last failure is the peer's stated code. */
int xfer_peer_refused(const struct xfer *x);

/* A record handed to a consumer: kind, bytes (valid during the call). */
typedef int xfer_record_fn(void *arg, uint8_t kind, const uint8_t *p,
    size_t n);

/* What the receiver does with the records. */
struct xfer_sink {
	/*
	 * Called per record in order; p is valid during the call only. Stage,
	 * do not apply: a later frame may still fail. Nonzero refuses the
	 * transfer with that code (sent to the sender).
	 */
	xfer_record_fn *record;
	/*
	 * Called once, after the sender's COMMIT is verified (count and
	 * transcript), never after a failure: apply everything in one
	 * transaction and return 0, or apply nothing and return a CE_* code.
	 */
	int (*commit)(void *arg, uint64_t count);
	void *arg;
	uint64_t serial;          /* the receiving partition's (transcript) */
};

/*
 * Receiver: takes records until COMMIT, calls sink->commit, and sends the
 * outcome. Returns the commit callback's result, or the failure that
 * stopped the session before it (then commit was not called and whatever
 * record() staged must be dropped).
 */
int xfer_receive(struct xfer *x, const struct xfer_sink *sink);

/* Records and frames so far (reporting, benchmarks). */
uint64_t xfer_records(const struct xfer *x);
uint64_t xfer_frames(const struct xfer *x);

/* Wipes keys and frees x; NULL is fine. Does not free the channel. */
void xfer_free(struct xfer *x);

/* What the sender does: produce() calls xfer_send_record() per record. */
struct xfer_source {
	int (*produce)(void *arg, struct xfer *x);
	void *arg;
	uint64_t serial;          /* the sending partition's (transcript) */
};

/*
 * Runs a PUSH session between two local parties over an in-process pair:
 * the sender (src domains) in a new thread, the receiver (dst domains) in
 * the calling thread (so a sink's database handle stays in its thread).
 * Returns 0 when the receiver applied everything, else the first failure
 * (the receiver's when it has one) with its detail line.
 */
int xfer_run_pair(const struct xfer_domain *src, size_t nsrc,
    const struct xfer_domain *dst, size_t ndst,
    const struct xfer_source *source, const struct xfer_sink *sink);

/* The same over two given channel ends (tests put a tamper channel here). */
int xfer_run(struct chan *sender_chan, const struct xfer_domain *src,
    size_t nsrc, struct chan *receiver_chan, const struct xfer_domain *dst,
    size_t ndst, const struct xfer_source *source, const struct xfer_sink *sink);

#endif
