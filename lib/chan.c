#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "chan.h"
#include "err.h"

struct chan {
	const struct chan_ops *ops;
	void *ctx;
	int closed, shut;
	uint64_t sent, received;
};

int
chan_new(const struct chan_ops *ops, void *ctx, struct chan **cp)
{
	struct chan *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		ops->free(ctx);
		return CE_NOMEM;
	}
	c->ops = ops;
	c->ctx = ctx;
	*cp = c;
	return 0;
}

void *
chan_ctx(const struct chan *c, const struct chan_ops *ops)
{
	return c != NULL && c->ops == ops ? c->ctx : NULL;
}

int
chan_send(struct chan *c, const void *p, size_t n)
{
	int r;

	if (c->closed)
		return CE_INVALID;
	if (n == 0)
		return 0;
	if ((r = c->ops->send(c->ctx, p, n)) == 0)
		c->sent += n;
	return r;
}

int
chan_recv(struct chan *c, void *p, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	if ((r = c->ops->recv(c->ctx, p, n)) == 0)
		c->received += n;
	return r;
}

void
chan_close(struct chan *c)
{
	if (c->closed)
		return;
	c->closed = 1;
	c->ops->close(c->ctx);
}

void
chan_shutdown(struct chan *c)
{
	if (c->shut)
		return;
	c->shut = 1;
	if (c->ops->shutdown == NULL) {
		chan_close(c);
		return;
	}
	c->closed = 1;
	c->ops->shutdown(c->ctx);
}

void
chan_free(struct chan *c)
{
	if (c == NULL)
		return;
	chan_close(c);
	c->ops->free(c->ctx);
	free(c);
}

uint64_t
chan_bytes_sent(const struct chan *c)
{
	return c->sent;
}

uint64_t
chan_bytes_received(const struct chan *c)
{
	return c->received;
}

/*
 * In-process pair. Two rings share one mutex; each endpoint writes one ring
 * and reads the other. Threads rather than a pumped single-threaded pair:
 * the session code stays straight-line (send, then wait for the answer) and
 * the same code runs over sockets, where the peer is another process.
 */
struct ring {
	uint8_t *d;
	size_t cap, head, len;
	int eof;         /* writer closed: reader sees end after draining */
	int reader_gone; /* reader freed: writer fails */
};

struct pair {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ring ring[2];
	int refs;
};

struct pair_end {
	struct pair *p;
	int out; /* index of the ring this end writes; reads 1 - out */
};

static int
pair_send(void *ctx, const void *src, size_t n)
{
	struct pair_end *e = ctx;
	struct pair *p = e->p;
	struct ring *rg = &p->ring[e->out];
	const uint8_t *s = src;
	size_t tail, k;
	int r = 0;

	pthread_mutex_lock(&p->mu);
	while (n > 0) {
		while (rg->len == rg->cap && !rg->reader_gone)
			pthread_cond_wait(&p->cv, &p->mu);
		if (rg->reader_gone) {
			r = CE_PEER_CLOSED;
			break;
		}
		tail = (rg->head + rg->len) % rg->cap;
		k = rg->cap - rg->len;
		if (k > rg->cap - tail)
			k = rg->cap - tail;
		if (k > n)
			k = n;
		memcpy(rg->d + tail, s, k);
		rg->len += k;
		s += k;
		n -= k;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return r;
}

static int
pair_recv(void *ctx, void *dst, size_t n)
{
	struct pair_end *e = ctx;
	struct pair *p = e->p;
	struct ring *rg = &p->ring[1 - e->out];
	uint8_t *d = dst;
	size_t got = 0, k;
	int r = 0;

	pthread_mutex_lock(&p->mu);
	while (got < n) {
		while (rg->len == 0 && !rg->eof)
			pthread_cond_wait(&p->cv, &p->mu);
		if (rg->len == 0) {
			r = got == 0 ? CE_PEER_CLOSED : CE_TRUNCATED;
			break;
		}
		k = rg->cap - rg->head;
		if (k > rg->len)
			k = rg->len;
		if (k > n - got)
			k = n - got;
		memcpy(d + got, rg->d + rg->head, k);
		rg->head = (rg->head + k) % rg->cap;
		rg->len -= k;
		got += k;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return r;
}

static void
pair_close(void *ctx)
{
	struct pair_end *e = ctx;

	pthread_mutex_lock(&e->p->mu);
	e->p->ring[e->out].eof = 1;
	pthread_cond_broadcast(&e->p->cv);
	pthread_mutex_unlock(&e->p->mu);
}

static void
pair_shutdown(void *ctx)
{
	struct pair_end *e = ctx;

	pthread_mutex_lock(&e->p->mu);
	e->p->ring[e->out].eof = 1;
	e->p->ring[1 - e->out].reader_gone = 1;
	pthread_cond_broadcast(&e->p->cv);
	pthread_mutex_unlock(&e->p->mu);
}

static void
pair_release(struct pair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (p->ring[i].d != NULL) {
			/* memset before free is a dead store the compiler
			 * may drop; the ring held transfer frames */
			sodium_memzero(p->ring[i].d, p->ring[i].cap);
			free(p->ring[i].d);
		}
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static void
pair_free(void *ctx)
{
	struct pair_end *e = ctx;
	struct pair *p = e->p;
	int last;

	pair_shutdown(e);
	pthread_mutex_lock(&p->mu);
	last = --p->refs == 0;
	pthread_mutex_unlock(&p->mu);
	if (last)
		pair_release(p);
	free(e);
}

static const struct chan_ops pair_ops = {
	pair_send, pair_recv, pair_close, pair_free, pair_shutdown
};

int
chan_pair_new(size_t cap, struct chan **ap, struct chan **bp)
{
	struct pair *p;
	struct pair_end *ea = NULL, *eb = NULL;
	struct chan *a = NULL;
	int i, r;

	if (cap == 0)
		cap = 256 * 1024;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CE_NOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (i = 0; i < 2; i++) {
		p->ring[i].cap = cap;
		if ((p->ring[i].d = malloc(cap)) == NULL) {
			pair_release(p);
			return CE_NOMEM;
		}
	}
	if ((ea = calloc(1, sizeof(*ea))) == NULL ||
	    (eb = calloc(1, sizeof(*eb))) == NULL) {
		free(ea);
		pair_release(p);
		return CE_NOMEM;
	}
	p->refs = 2;
	ea->p = eb->p = p;
	ea->out = 0;
	eb->out = 1;
	/* chan_new frees the end on failure; the other end keeps p alive. */
	if ((r = chan_new(&pair_ops, ea, &a)) != 0) {
		pair_free(eb);
		return r;
	}
	if ((r = chan_new(&pair_ops, eb, bp)) != 0) {
		chan_free(a);
		return r;
	}
	*ap = a;
	return 0;
}

/* Memory reader: serves a private copy of the bytes, then end of stream. */
struct mem_reader {
	struct buf *b;
};

/* Sends vanish: a party fed from memory (fuzzing, replay) may still talk. */
static int
mem_reader_send(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

static int
mem_reader_recv(void *ctx, void *p, size_t n)
{
	struct mem_reader *m = ctx;
	size_t have = buf_len(m->b);

	if (have == 0)
		return CE_PEER_CLOSED;
	if (have < n) {
		(void)buf_skip(m->b, have);
		return CE_TRUNCATED;
	}
	return buf_get(m->b, p, n);
}

static void
mem_nop_close(void *ctx)
{
	(void)ctx;
}

static void
mem_reader_free(void *ctx)
{
	struct mem_reader *m = ctx;

	buf_free(m->b);
	free(m);
}

static const struct chan_ops mem_reader_ops = {
	mem_reader_send, mem_reader_recv, mem_nop_close, mem_reader_free, NULL
};

int
chan_mem_reader(const void *p, size_t n, struct chan **cp)
{
	struct mem_reader *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return CE_NOMEM;
	if ((m->b = buf_from(p, n)) == NULL) {
		free(m);
		return CE_NOMEM;
	}
	return chan_new(&mem_reader_ops, m, cp);
}

static int
mem_writer_send(void *ctx, const void *p, size_t n)
{
	return buf_put(ctx, p, n);
}

static int
mem_writer_recv(void *ctx, void *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return CE_PEER_CLOSED;
}

static void
free_ctx(void *ctx)
{
	free(ctx);
}

static void
mem_writer_free(void *ctx)
{
	(void)ctx;
}

static const struct chan_ops mem_writer_ops = {
	mem_writer_send, mem_writer_recv, mem_nop_close, mem_writer_free, NULL
};

int
chan_mem_writer(struct buf *out, struct chan **cp)
{
	return chan_new(&mem_writer_ops, out, cp);
}

/* A caller's functions; the only state is what they were given. */
struct func_chan {
	chan_write_fn *write;
	chan_read_fn *read;
	void *arg;
};

static int
func_send(void *ctx, const void *p, size_t n)
{
	struct func_chan *f = ctx;

	return f->write == NULL ? CE_INVALID : f->write(f->arg, p, n);
}

static int
func_recv(void *ctx, void *p, size_t n)
{
	struct func_chan *f = ctx;
	uint8_t *d = p;
	size_t got = 0;
	long k;

	if (f->read == NULL)
		return CE_INVALID;
	while (got < n) {
		if ((k = f->read(f->arg, d + got, n - got)) < 0)
			return k < CE_LAST ? CE_IO : (int)k;
		if (k == 0)
			return got == 0 ? CE_PEER_CLOSED : CE_TRUNCATED;
		if ((size_t)k > n - got)
			return CE_IO;
		got += (size_t)k;
	}
	return 0;
}

static const struct chan_ops func_ops = {
	func_send, func_recv, mem_nop_close, free_ctx, NULL
};

int
chan_func_new(chan_write_fn *write, chan_read_fn *read, void *arg,
    struct chan **cp)
{
	struct func_chan *f;

	if (write == NULL && read == NULL)
		return CE_INVALID;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return CE_NOMEM;
	f->write = write;
	f->read = read;
	f->arg = arg;
	return chan_new(&func_ops, f, cp);
}
