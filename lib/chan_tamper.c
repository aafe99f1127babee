/*
 * Tamper channel for tests: an active attacker on the wire, one frame per
 * chan_send() call (see the frame contract in chan.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "err.h"

#define TAMPER_MAX_OPS 8
#define TAMPER_MAX_FRAMES 4096

struct tamper_op {
	enum chan_tamper_op op;
	unsigned int frame;
	size_t arg;
};

struct tamper {
	struct chan *inner;
	struct tamper_op ops[TAMPER_MAX_OPS];
	size_t nops;
	unsigned int nframes;
	struct buf *rec[TAMPER_MAX_FRAMES];
	struct buf *held; /* frame held back by CHAN_T_SWAP */
	int cut;          /* after CHAN_T_TRUNCATE: sends vanish, as on a cut wire */
	const struct chan *source;
};

static const struct chan_ops tamper_ops;

static const struct tamper_op *
find_op(const struct tamper *t, unsigned int frame)
{
	size_t i;

	for (i = 0; i < t->nops; i++)
		if (t->ops[i].frame == frame)
			return &t->ops[i];
	return NULL;
}

/* Forwards p and then any held frame. */
static int
forward(struct tamper *t, const void *p, size_t n)
{
	struct buf *h;
	int r;

	if ((r = chan_send(t->inner, p, n)) != 0)
		return r;
	if ((h = t->held) != NULL) {
		t->held = NULL;
		r = chan_send(t->inner, buf_ptr(h), buf_len(h));
		buf_free(h);
	}
	return r;
}

static int
tamper_send(void *ctx, const void *p, size_t n)
{
	struct tamper *t = ctx;
	const struct tamper_op *op;
	const uint8_t *rp;
	unsigned int frame = t->nframes++;
	struct buf *copy = NULL;
	size_t rn;
	int r;

	if (frame < TAMPER_MAX_FRAMES &&
	    (t->rec[frame] = buf_from(p, n)) == NULL)
		return CE_NOMEM;
	if (t->cut)
		return 0;
	if ((op = find_op(t, frame)) == NULL)
		return forward(t, p, n);
	switch (op->op) {
	case CHAN_T_FLIP:
		if ((copy = buf_from(p, n)) == NULL)
			return CE_NOMEM;
		if (op->arg < n)
			((uint8_t *)buf_ptr(copy))[op->arg] ^= 0x01;
		r = forward(t, buf_ptr(copy), n);
		buf_free(copy);
		return r;
	case CHAN_T_DROP:
		return 0;
	case CHAN_T_TRUNCATE:
		r = chan_send(t->inner, p, op->arg < n ? op->arg : n);
		chan_close(t->inner);
		t->cut = 1;
		return r;
	case CHAN_T_REPLAY:
		if ((r = chan_send(t->inner, p, n)) != 0)
			return r;
		return forward(t, p, n);
	case CHAN_T_SWAP:
		if ((t->held = buf_from(p, n)) == NULL)
			return CE_NOMEM;
		return 0;
	case CHAN_T_REPLACE:
		if (t->source == NULL ||
		    (r = chan_tamper_frame(t->source, (unsigned int)op->arg,
		    &rp, &rn)) != 0)
			return CE_INVALID;
		return forward(t, rp, rn);
	}
	return CE_INVALID;
}

static int
tamper_recv(void *ctx, void *p, size_t n)
{
	struct tamper *t = ctx;

	return chan_recv(t->inner, p, n);
}

static void
tamper_close(void *ctx)
{
	struct tamper *t = ctx;

	chan_close(t->inner);
}

static void
tamper_shutdown(void *ctx)
{
	struct tamper *t = ctx;

	chan_shutdown(t->inner);
}

static void
tamper_free(void *ctx)
{
	struct tamper *t = ctx;
	unsigned int i;

	for (i = 0; i < TAMPER_MAX_FRAMES; i++)
		buf_free(t->rec[i]);
	buf_free(t->held);
	chan_free(t->inner);
	free(t);
}

static const struct chan_ops tamper_ops = {
	tamper_send, tamper_recv, tamper_close, tamper_free, tamper_shutdown
};

int
chan_tamper_new(struct chan *inner, struct chan **cp)
{
	struct tamper *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		chan_free(inner);
		return CE_NOMEM;
	}
	t->inner = inner;
	return chan_new(&tamper_ops, t, cp);
}

int
chan_tamper_add(struct chan *c, enum chan_tamper_op op, unsigned int frame,
    size_t arg)
{
	struct tamper *t = chan_ctx(c, &tamper_ops);

	if (t == NULL || t->nops == TAMPER_MAX_OPS)
		return CE_INVALID;
	t->ops[t->nops].op = op;
	t->ops[t->nops].frame = frame;
	t->ops[t->nops].arg = arg;
	t->nops++;
	return 0;
}

int
chan_tamper_set_source(struct chan *c, const struct chan *src)
{
	struct tamper *t = chan_ctx(c, &tamper_ops);

	if (t == NULL || chan_ctx(src, &tamper_ops) == NULL)
		return CE_INVALID;
	t->source = src;
	return 0;
}

unsigned int
chan_tamper_frames(const struct chan *c)
{
	const struct tamper *t = chan_ctx(c, &tamper_ops);

	return t == NULL ? 0 : t->nframes;
}

int
chan_tamper_frame(const struct chan *c, unsigned int i, const uint8_t **pp,
    size_t *np)
{
	const struct tamper *t = chan_ctx(c, &tamper_ops);

	if (t == NULL || i >= TAMPER_MAX_FRAMES || t->rec[i] == NULL)
		return CE_NOT_FOUND;
	*pp = buf_ptr(t->rec[i]);
	*np = buf_len(t->rec[i]);
	return 0;
}
