/*
 * Two local parties in one process (clone between two HSM directories): the
 * sender runs in its own thread so both sides stay plain blocking code over
 * the in-process pair, exactly as they would over a socket.
 */
#include <pthread.h>
#include <stdio.h>

#include "chan.h"
#include "err.h"
#include "xfer.h"

struct sender_job {
	struct chan *c;
	const struct xfer_domain *doms;
	size_t ndoms;
	const struct xfer_source *source;
	int r;
	char detail[256];
};

static int
run_sender(struct sender_job *j)
{
	struct xfer *x = NULL;
	int r;

	if ((r = xfer_initiate(j->c, j->doms, j->ndoms, j->source->serial,
	    XFER_PUSH, &x)) != 0)
		goto out;
	if ((r = j->source->produce(j->source->arg, x)) != 0) {
		r = xfer_abort(x, r);
		goto out;
	}
	r = xfer_commit(x);
 out:
	xfer_free(x);
	/* Also covers failures before a session existed (bad arguments). */
	chan_shutdown(j->c);
	return r;
}

static void *
sender_main(void *arg)
{
	struct sender_job *j = arg;

	err_set_detail(NULL);
	j->r = run_sender(j);
	snprintf(j->detail, sizeof(j->detail), "%s", err_detail());
	return NULL;
}

/* Returns the receiver's result; *from_peerp when it is the sender's code. */
static int
run_receiver(struct chan *c, const struct xfer_domain *doms, size_t ndoms,
    const struct xfer_sink *sink, int *from_peerp)
{
	struct xfer *x = NULL;
	int r;

	if ((r = xfer_accept(c, doms, ndoms, sink->serial, &x)) != 0)
		goto out;
	if (xfer_mode(x) != XFER_PUSH) {
		r = xfer_abort(x, CE_PROTOCOL);
		goto out;
	}
	r = xfer_receive(x, sink);
	*from_peerp = xfer_peer_refused(x);
 out:
	xfer_free(x);
	chan_shutdown(c);
	return r;
}

int
xfer_run(struct chan *sender_chan, const struct xfer_domain *src, size_t nsrc,
    struct chan *receiver_chan, const struct xfer_domain *dst, size_t ndst,
    const struct xfer_source *source, const struct xfer_sink *sink)
{
	struct sender_job job = { sender_chan, src, nsrc, source, 0, "" };
	pthread_t t;
	int r, from_peer = 0;

	if (pthread_create(&t, NULL, sender_main, &job) != 0)
		return CE_NOMEM;
	r = run_receiver(receiver_chan, dst, ndst, sink, &from_peer);
	/* The session ends both ways on every path, so the sender returns. */
	pthread_join(t, NULL);
	if (r == 0)
		return 0;
	/* When the receiver failed because the sender gave up, say why. */
	if ((from_peer || r == CE_PEER_CLOSED) && job.r != 0) {
		if (job.detail[0] != '\0')
			err_set_detail("%s", job.detail);
		return job.r;
	}
	return r;
}

int
xfer_run_pair(const struct xfer_domain *src, size_t nsrc,
    const struct xfer_domain *dst, size_t ndst,
    const struct xfer_source *source, const struct xfer_sink *sink)
{
	struct chan *a = NULL, *b = NULL;
	int r;

	if ((r = chan_pair_new(0, &a, &b)) != 0)
		return r;
	r = xfer_run(a, src, nsrc, b, dst, ndst, source, sink);
	chan_free(a);
	chan_free(b);
	return r;
}
