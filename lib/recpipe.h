/*
 * recpipe: records handed from a producer to a consumer that runs in a
 * thread of its own, so each gets a core (issue 19: a backup read,
 * decrypted, compressed, sealed and wrote on one core of two; a restore
 * read the archive and applied each record on one). Backup: reading the
 * partition | sealing the stream. Restore: reading the archive | applying
 * into the partition (the consumer owns the SQLite connection meanwhile).
 *
 *   struct recpipe *p;
 *   recpipe_new(consume, arg, &p);     starts the consumer thread
 *   endpoint_produce(... emit = recpipe_emit, arg = p ...);
 *   recpipe_finish(p);                 waits for the last record; its error
 *   recpipe_free(p);
 *
 * Records travel in two batches that alternate (one filled while the other
 * is consumed), in guarded secret memory wiped once consumed: V0 records
 * carry key material in the clear. The consumer is called in record order,
 * from one thread; its first error stops the pipe and is what the next
 * recpipe_emit and recpipe_finish return, with its detail line.
 */
#ifndef COFFER_RECPIPE_H
#define COFFER_RECPIPE_H

#include <stddef.h>
#include <stdint.h>

struct recpipe;

/* One record's bytes: a transfer's record, or a row a producer made from
 * one (a restore's prepared V0 row adds its label, seal and header). */
#define RECPIPE_RECORD_MAX (1024u * 1024 + 4096)

typedef int recpipe_fn(void *arg, uint8_t kind, const void *p, size_t n);

/* CE_NOMEM, or CE_IO when the thread cannot start. */
int recpipe_new(recpipe_fn *fn, void *arg, struct recpipe **pp);

/* Queues one record (an endpoint_emit_fn; pipe is the struct recpipe *). */
int recpipe_emit(void *pipe, uint8_t kind, const void *p, size_t n);

/* Queues n bytes of a stream, cut into records of at most
 * RECPIPE_RECORD_MAX (kind 0). */
int recpipe_write(struct recpipe *p, const void *b, size_t n);

/*
 * A recpipe whose consumer hashes every byte queued into h (a cc_hash the
 * caller owns and reads after recpipe_finish): a stream's SHA-384 on a
 * core of its own, while the caller's thread does something else with the
 * same bytes.
 */
struct cc_hash;
int recpipe_hash_new(struct cc_hash *h, struct recpipe **pp);

/* Hands over what is queued, waits for the consumer to finish it all. */
int recpipe_finish(struct recpipe *p);

/* Stops the consumer if still running, wipes and frees; NULL is fine. */
void recpipe_free(struct recpipe *p);

#endif
