/*
 * chan: a byte channel that the transfer protocol and the sealed stream run
 * over. A channel sends bytes, receives an exact number of bytes, and closes.
 *
 * Implementations: an in-process pair (two endpoints joined by two bounded
 * ring buffers; each endpoint is meant for its own thread, a full ring blocks
 * the writer, an empty ring blocks the reader), a file descriptor pair (pipe,
 * Unix socket or plain file; EINTR and short reads/writes handled), memory
 * (read a fixed buffer, or append to a struct buf), and a tamper channel for
 * tests that wraps another one and alters what is sent through it. TLS plugs
 * in later through chan_new() with its own ops.
 *
 * Frame contract: lib/xfer and lib/sealed hand every frame or chunk to
 * chan_send() in one call, so a wrapper (the tamper channel, a TLS record
 * layer) may treat one send as one frame.
 */
#ifndef COFFER_CHAN_H
#define COFFER_CHAN_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct chan;

/* What an implementation provides; ctx is its own state. */
struct chan_ops {
	/* Sends all n bytes. Returns 0, CE_PEER_CLOSED or CE_IO. */
	int (*send)(void *ctx, const void *p, size_t n);
	/*
	 * Receives exactly n bytes. Returns 0; CE_PEER_CLOSED when the stream
	 * ended before the first byte; CE_TRUNCATED when it ended part way.
	 */
	int (*recv)(void *ctx, void *p, size_t n);
	/* Ends sending: the peer sees end of stream after what was sent. */
	void (*close)(void *ctx);
	/* Releases ctx (after close). */
	void (*free)(void *ctx);
	/*
	 * Optional: ends both directions at once; the peer's sends fail
	 * with CE_PEER_CLOSED and what was already sent stays readable.
	 * NULL means close only.
	 */
	void (*shutdown)(void *ctx);
};

/* Wraps ctx in a channel; on failure ops->free(ctx) is called. */
int chan_new(const struct chan_ops *ops, void *ctx, struct chan **cp);

/* Returns ctx when c was made with ops, else NULL (for implementations). */
void *chan_ctx(const struct chan *c, const struct chan_ops *ops);

/* Sends all n bytes; see chan_ops. A closed channel refuses (CE_INVALID). */
int chan_send(struct chan *c, const void *p, size_t n);

/* Receives exactly n bytes; see chan_ops. */
int chan_recv(struct chan *c, void *p, size_t n);

/* Ends sending; idempotent. Receiving stays possible. */
void chan_close(struct chan *c);

/*
 * Ends both directions: a session that gave up calls this so a peer blocked
 * sending to it fails at once instead of waiting for a reader. Idempotent.
 */
void chan_shutdown(struct chan *c);

/* Closes and frees c; NULL is fine. */
void chan_free(struct chan *c);

/* Byte counters (what went through chan_send / chan_recv successfully). */
uint64_t chan_bytes_sent(const struct chan *c);
uint64_t chan_bytes_received(const struct chan *c);

/*
 * In-process pair: what is sent on *ap is received on *bp and the other way
 * round; each direction buffers at most cap bytes (0: 256 KiB). Freeing one
 * end makes the other's blocked send fail with CE_PEER_CLOSED and its
 * receive see end of stream once the ring is drained.
 */
int chan_pair_new(size_t cap, struct chan **ap, struct chan **bp);

/*
 * File descriptors: reads rfd, writes wfd (the same fd for a socket; -1 for
 * a one-way channel). With own set, chan_free closes them. A socket is
 * half-closed by chan_close (shutdown SHUT_WR); a separate wfd is closed.
 * Writing to a closed pipe raises SIGPIPE unless the program ignores it
 * (tools do); sockets use MSG_NOSIGNAL.
 */
int chan_fd_new(int rfd, int wfd, int own, struct chan **cp);

/* Reads exactly n bytes from fd with the chan_ops recv contract. */
int fd_read_exact(int fd, void *p, size_t n);
/* Writes all n bytes to fd, retrying short writes and EINTR. */
int fd_write_all(int fd, const void *p, size_t n);

/*
 * Functions: a channel over a caller's write and read functions, e.g.
 * archive_write_data / archive_read_data. write sends all n bytes and
 * returns 0 or a CE_* code; read returns how many bytes it read (1..n),
 * 0 at the end, or a negative CE_* code. Either may be NULL (one-way).
 * The channel loops read until n bytes came.
 */
typedef int chan_write_fn(void *arg, const void *p, size_t n);
typedef long chan_read_fn(void *arg, void *p, size_t n);
int chan_func_new(chan_write_fn *write, chan_read_fn *read, void *arg,
    struct chan **cp);

/* Memory: a channel that receives p[0..n) (copied); sends are discarded. */
int chan_mem_reader(const void *p, size_t n, struct chan **cp);
/* Memory: a channel whose sends append to out (not owned); no receive. */
int chan_mem_writer(struct buf *out, struct chan **cp);

/*
 * Tamper channel (tests): wraps inner (owned) and applies operations to the
 * frames sent through it, counting one frame per chan_send() call from 0.
 * Receives pass through untouched. Every frame sent is also recorded (up to
 * 4096 frames) so a test can replay it elsewhere.
 */
enum chan_tamper_op {
	CHAN_T_FLIP = 1,   /* xor byte arg of the frame with 0x01 */
	CHAN_T_DROP,       /* do not forward the frame */
	CHAN_T_TRUNCATE,   /* forward the first arg bytes, then close */
	CHAN_T_REPLAY,     /* forward the frame twice */
	CHAN_T_SWAP,       /* hold the frame, forward it after the next one */
	CHAN_T_REPLACE,    /* forward arg's recorded frame from chan_tamper_set_source instead */
};
int chan_tamper_new(struct chan *inner, struct chan **cp);
/* Adds an operation on frame number frame (at most 8 per channel). */
int chan_tamper_add(struct chan *c, enum chan_tamper_op op, unsigned int frame,
    size_t arg);
/* Uses src's recorded frames for CHAN_T_REPLACE (src must outlive c). */
int chan_tamper_set_source(struct chan *c, const struct chan *src);
/* Returns the number of frames sent through c (whether forwarded or not). */
unsigned int chan_tamper_frames(const struct chan *c);
/* Points *pp and *np at recorded frame i; CE_NOT_FOUND when none. */
int chan_tamper_frame(const struct chan *c, unsigned int i, const uint8_t **pp,
    size_t *np);

#endif
