#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "err.h"
#include "recpipe.h"
#include "secret.h"

/* A batch: records as kind (1) | length (4, big-endian) | bytes. */
#define BATCH_TARGET (256u * 1024)
#define REC_HEAD 5
#define BATCH_CAP (BATCH_TARGET + RECPIPE_RECORD_MAX + REC_HEAD)

struct batch {
	struct secret *mem;
	size_t used;
	int full;       /* handed to the consumer, not yet given back */
};

struct recpipe {
	recpipe_fn *fn;
	void *arg;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[2];
	int cur;        /* the batch the producer fills */
	int done;       /* no more batches will come */
	int err;        /* the consumer's first error (or a stop) */
	char detail[1024];
};

/* Runs every record of b through the consumer; wipes b. */
static int
consume(struct recpipe *p, struct batch *b)
{
	const uint8_t *s = secret_ptr(b->mem), *end = s + b->used;
	uint32_t n;
	int r = 0;

	while (s < end && r == 0) {
		n = (uint32_t)s[1] << 24 | (uint32_t)s[2] << 16 |
		    (uint32_t)s[3] << 8 | s[4];
		r = p->fn(p->arg, s[0], s + REC_HEAD, n);
		s += REC_HEAD + n;
	}
	sodium_memzero(secret_ptr(b->mem), b->used);
	b->used = 0;
	return r;
}

static void *
consumer(void *arg)
{
	struct recpipe *p = arg;
	struct batch *b;
	int i = 0, r;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->b[i].full && !p->done && p->err == 0)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->b[i].full || p->err != 0) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
		b = &p->b[i];
		r = consume(p, b);
		pthread_mutex_lock(&p->mu);
		b->full = 0;
		if (r != 0 && p->err == 0) {
			p->err = r;
			/* the detail is per thread: carry it to the producer */
			snprintf(p->detail, sizeof(p->detail), "%s",
			    err_detail() != NULL ? err_detail() : "");
		}
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (r != 0)
			break;
		i ^= 1;
	}
	return NULL;
}

int
recpipe_new(recpipe_fn *fn, void *arg, struct recpipe **pp)
{
	struct recpipe *p;
	int i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CE_NOMEM;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (i = 0; i < 2; i++) {
		if ((p->b[i].mem = secret_new(BATCH_CAP)) == NULL) {
			recpipe_free(p);
			return CE_NOMEM;
		}
	}
	if (pthread_create(&p->thread, NULL, consumer, p) != 0) {
		recpipe_free(p);
		err_set_detail("cannot start the pipe's second thread");
		return CE_IO;
	}
	p->started = 1;
	*pp = p;
	return 0;
}

/* The consumer's error with its detail, in the calling thread. */
static int
pipe_error(struct recpipe *p)
{
	if (p->detail[0] != '\0')
		err_set_detail("%s", p->detail);
	return p->err;
}

/* Hands the current batch over and waits until the other one is free. */
static int
hand_over(struct recpipe *p)
{
	int r;

	pthread_mutex_lock(&p->mu);
	p->b[p->cur].full = 1;
	pthread_cond_broadcast(&p->cv);
	p->cur ^= 1;
	while (p->b[p->cur].full && p->err == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	r = p->err;
	pthread_mutex_unlock(&p->mu);
	return r != 0 ? pipe_error(p) : 0;
}

int
recpipe_emit(void *pipe, uint8_t kind, const void *rec, size_t n)
{
	struct recpipe *p = pipe;
	struct batch *b = &p->b[p->cur];
	uint8_t *s;
	int r;

	if (n > RECPIPE_RECORD_MAX)
		return CE_TOO_LONG;
	/* a batch goes when it reached its target; one record always fits */
	if (b->used >= BATCH_TARGET) {
		if ((r = hand_over(p)) != 0)
			return r;
		b = &p->b[p->cur];
	}
	s = secret_ptr(b->mem) + b->used;
	s[0] = kind;
	s[1] = (uint8_t)(n >> 24);
	s[2] = (uint8_t)(n >> 16);
	s[3] = (uint8_t)(n >> 8);
	s[4] = (uint8_t)n;
	if (n > 0)
		memcpy(s + REC_HEAD, rec, n);
	b->used += REC_HEAD + n;
	return 0;
}

int
recpipe_finish(struct recpipe *p)
{
	int r = 0;

	if (p->b[p->cur].used > 0)
		r = hand_over(p);
	pthread_mutex_lock(&p->mu);
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	p->started = 0;
	if (r == 0 && p->err != 0)
		r = pipe_error(p);
	return r;
}

void
recpipe_free(struct recpipe *p)
{
	int i;

	if (p == NULL)
		return;
	if (p->started) {
		/* stopped half way (the producer failed): no more records */
		pthread_mutex_lock(&p->mu);
		p->done = 1;
		if (p->err == 0)
			p->err = CE_INVALID;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
	}
	for (i = 0; i < 2; i++)
		secret_free(p->b[i].mem); /* wipes */
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int
recpipe_write(struct recpipe *p, const void *b, size_t n)
{
	const uint8_t *s = b;
	size_t off, k;
	int r;

	for (off = 0; off < n; off += k) {
		k = n - off < RECPIPE_RECORD_MAX ? n - off : RECPIPE_RECORD_MAX;
		if ((r = recpipe_emit(p, 0, s + off, k)) != 0)
			return r;
	}
	return 0;
}

static int
hash_bytes(void *arg, uint8_t kind, const void *p, size_t n)
{
	(void)kind;
	return cc_hash_update(arg, p, n);
}

int
recpipe_hash_new(struct cc_hash *h, struct recpipe **pp)
{
	return recpipe_new(hash_bytes, h, pp);
}
