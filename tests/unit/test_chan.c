/*
 * chan: the in-process pair (wrap-around, blocking, end of stream,
 * shutdown waking a blocked writer), file descriptors (short reads, EINTR,
 * pipes and sockets), memory channels and every tamper operation.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "testutil.h"
#include "buf.h"
#include "chan.h"
#include "err.h"

struct writer {
	struct chan *c;
	size_t total, step;
	int r, close_after;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	uint8_t p[4096];
	size_t done = 0, k, i;

	while (done < w->total) {
		k = w->total - done < w->step ? w->total - done : w->step;
		for (i = 0; i < k; i++)
			p[i] = (uint8_t)(done + i);
		if ((w->r = chan_send(w->c, p, k)) != 0)
			break;
		done += k;
	}
	if (w->close_after)
		chan_close(w->c);
	return NULL;
}

static void
read_pattern(struct chan *c, size_t total, size_t step)
{
	uint8_t p[4096];
	size_t done = 0, k, i;

	while (done < total) {
		k = total - done < step ? total - done : step;
		assert_int_equal(chan_recv(c, p, k), 0);
		for (i = 0; i < k; i++)
			if (p[i] != (uint8_t)(done + i))
				fail_msg("byte %zu wrong", done + i);
		done += k;
	}
}

static void
test_pair_stream(void **state)
{
	struct chan *a, *b;
	struct writer w;
	pthread_t t;
	uint8_t x;

	(void)state;
	/* a tiny ring: every transfer wraps and blocks many times */
	assert_int_equal(chan_pair_new(97, &a, &b), 0);
	w.c = a;
	w.total = 200000;
	w.step = 1000;
	w.close_after = 1;
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	read_pattern(b, 200000, 777);
	pthread_join(t, NULL);
	assert_int_equal(w.r, 0);
	/* drained and closed: end of stream at a boundary */
	assert_int_equal(chan_recv(b, &x, 1), CE_PEER_CLOSED);
	assert_int_equal(chan_bytes_sent(a), 200000);
	assert_int_equal(chan_bytes_received(b), 200000);
	/* a closed channel refuses to send */
	assert_int_equal(chan_send(a, "x", 1), CE_INVALID);
	chan_free(a);
	chan_free(b);
}

static void
test_pair_truncated(void **state)
{
	struct chan *a, *b;
	uint8_t p[10];

	(void)state;
	assert_int_equal(chan_pair_new(0, &a, &b), 0);
	assert_int_equal(chan_send(a, "abc", 3), 0);
	chan_close(a);
	assert_int_equal(chan_recv(b, p, 10), CE_TRUNCATED);
	chan_free(a);
	chan_free(b);
}

/* The reader gives up: a writer blocked on a full ring fails at once. */
static void
test_pair_shutdown_wakes_writer(void **state)
{
	struct chan *a, *b;
	struct writer w;
	pthread_t t;
	uint8_t p[100];

	(void)state;
	assert_int_equal(chan_pair_new(1000, &a, &b), 0);
	w.c = a;
	w.total = 1 << 20;
	w.step = 4096;
	w.close_after = 0;
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	assert_int_equal(chan_recv(b, p, sizeof(p)), 0);
	/* b still may tell a something before it goes */
	assert_int_equal(chan_send(b, "bye", 3), 0);
	chan_shutdown(b);
	pthread_join(t, NULL);
	assert_int_equal(w.r, CE_PEER_CLOSED);
	assert_int_equal(chan_recv(a, p, 3), 0);
	assert_memory_equal(p, "bye", 3);
	assert_int_equal(chan_recv(a, p, 1), CE_PEER_CLOSED);
	chan_free(b);
	/* freeing one end is the same for the other */
	assert_int_equal(chan_send(a, "x", 1), CE_PEER_CLOSED);
	chan_free(a);
}

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Short writes through a pipe, and reads interrupted by signals. */
static void
test_fd_pipe(void **state)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	struct chan *a, *b;
	struct writer w;
	pthread_t t;
	int fds[2];
	uint8_t x;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: reads see EINTR */
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(chan_fd_new(fds[0], -1, 1, &b), 0);
	assert_int_equal(chan_fd_new(-1, fds[1], 1, &a), 0);
	w.c = a;
	w.total = 3 << 20; /* far more than the pipe holds */
	w.step = 3000;
	w.close_after = 1;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	read_pattern(b, 3 << 20, 4096);
	pthread_join(t, NULL);
	memset(&it, 0, sizeof(it));
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(w.r, 0);
	assert_int_equal(chan_recv(b, &x, 1), CE_PEER_CLOSED);
	/* one-way channels refuse the other way */
	assert_int_equal(chan_recv(a, &x, 1), CE_INVALID);
	chan_free(a);
	chan_free(b);
}

static void
test_fd_socket(void **state)
{
	struct chan *a, *b;
	int sv[2];
	uint8_t p[8];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(chan_fd_new(sv[0], sv[0], 1, &a), 0);
	assert_int_equal(chan_fd_new(sv[1], sv[1], 1, &b), 0);
	assert_int_equal(chan_send(a, "ping", 4), 0);
	chan_close(a); /* half close: a still reads */
	assert_int_equal(chan_recv(b, p, 4), 0);
	assert_int_equal(chan_recv(b, p, 1), CE_PEER_CLOSED);
	assert_int_equal(chan_send(b, "pong", 4), 0);
	assert_int_equal(chan_recv(a, p, 4), 0);
	assert_memory_equal(p, "pong", 4);
	chan_free(a);
	/* the peer is gone: sending fails cleanly, no SIGPIPE */
	assert_int_equal(chan_send(b, "x", 1), CE_PEER_CLOSED);
	chan_free(b);
}

static void
test_mem(void **state)
{
	struct buf *out = buf_new(16);
	struct chan *w, *r;
	uint8_t p[8];

	(void)state;
	assert_int_equal(chan_mem_writer(out, &w), 0);
	assert_int_equal(chan_send(w, "hello", 5), 0);
	assert_int_equal(chan_recv(w, p, 1), CE_PEER_CLOSED);
	assert_int_equal(chan_send(w, "0123456789abc", 13), CE_TOO_LONG);
	assert_int_equal(chan_mem_reader(buf_ptr(out), buf_len(out), &r), 0);
	assert_int_equal(chan_recv(r, p, 2), 0);
	assert_int_equal(chan_recv(r, p, 4), CE_TRUNCATED);
	assert_int_equal(chan_recv(r, p, 1), CE_PEER_CLOSED);
	assert_int_equal(chan_send(r, "x", 1), 0); /* discarded */
	chan_free(w);
	chan_free(r);
	buf_free(out);
}

/* A read function that hands out at most 3 bytes at a time. */
struct dribble {
	const char *s;
	size_t off, len;
};

static long
dribble_read(void *arg, void *p, size_t n)
{
	struct dribble *d = arg;
	size_t k = d->len - d->off;

	if (k > 3)
		k = 3;
	if (k > n)
		k = n;
	memcpy(p, d->s + d->off, k);
	d->off += k;
	return (long)k;
}

static long
failing_read(void *arg, void *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return CE_IO;
}

static int
buf_write(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

static void
test_func(void **state)
{
	struct dribble d = { "0123456789", 0, 10 };
	struct buf *out = buf_new(64);
	struct chan *c;
	char p[16];

	(void)state;
	/* reads loop over short reads up to the exact count */
	assert_int_equal(chan_func_new(NULL, dribble_read, &d, &c), 0);
	assert_int_equal(chan_recv(c, p, 8), 0);
	assert_memory_equal(p, "01234567", 8);
	assert_int_equal(chan_recv(c, p, 4), CE_TRUNCATED);
	assert_int_equal(chan_recv(c, p, 1), CE_PEER_CLOSED);
	assert_int_equal(chan_send(c, "abc", 3), CE_INVALID);
	chan_free(c);
	assert_int_equal(chan_func_new(buf_write, NULL, out, &c), 0);
	assert_int_equal(chan_send(c, "abc", 3), 0);
	assert_int_equal(buf_len(out), 3);
	assert_int_equal(chan_recv(c, p, 1), CE_INVALID);
	chan_free(c);
	assert_int_equal(chan_func_new(NULL, failing_read, NULL, &c), 0);
	assert_int_equal(chan_recv(c, p, 1), CE_IO);
	assert_int_equal(chan_send(c, "x", 1), CE_INVALID);
	chan_free(c);
	assert_int_equal(chan_func_new(NULL, NULL, NULL, &c), CE_INVALID);
	buf_free(out);
}

/* Sends frames "F0".."F4" through a tamper channel; returns what arrived. */
static void
through(enum chan_tamper_op op, unsigned int frame, size_t arg, char *got,
    size_t max)
{
	struct chan *a, *b, *t;
	char f[3];
	size_t n = 0;
	unsigned int i;

	assert_int_equal(chan_pair_new(0, &a, &b), 0);
	assert_int_equal(chan_tamper_new(a, &t), 0);
	assert_int_equal(chan_tamper_add(t, op, frame, arg), 0);
	for (i = 0; i < 5; i++) {
		snprintf(f, sizeof(f), "F%u", i);
		assert_int_equal(chan_send(t, f, 2), 0);
	}
	assert_int_equal(chan_tamper_frames(t), 5);
	chan_close(t);
	while (n < max - 1 && chan_recv(b, got + n, 1) == 0)
		n++;
	got[n] = '\0';
	chan_free(t);
	chan_free(b);
}

static void
test_tamper_ops(void **state)
{
	char got[64];
	const uint8_t *p;
	size_t n;
	struct chan *a, *b, *t, *src;

	(void)state;
	through(CHAN_T_FLIP, 2, 1, got, sizeof(got));
	assert_string_equal(got, "F0F1F3F3F4");
	through(CHAN_T_DROP, 1, 0, got, sizeof(got));
	assert_string_equal(got, "F0F2F3F4");
	through(CHAN_T_TRUNCATE, 2, 1, got, sizeof(got));
	assert_string_equal(got, "F0F1F");
	through(CHAN_T_REPLAY, 3, 0, got, sizeof(got));
	assert_string_equal(got, "F0F1F2F3F3F4");
	through(CHAN_T_SWAP, 0, 0, got, sizeof(got));
	assert_string_equal(got, "F1F0F2F3F4");
	/* REPLACE takes a frame recorded by another tamper channel */
	assert_int_equal(chan_pair_new(0, &a, &b), 0);
	assert_int_equal(chan_tamper_new(a, &src), 0);
	assert_int_equal(chan_send(src, "old0", 4), 0);
	assert_int_equal(chan_send(src, "old1", 4), 0);
	chan_free(b);
	assert_int_equal(chan_tamper_frame(src, 1, &p, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "old1", 4);
	assert_int_equal(chan_tamper_frame(src, 2, &p, &n), CE_NOT_FOUND);
	assert_int_equal(chan_pair_new(0, &a, &b), 0);
	assert_int_equal(chan_tamper_new(a, &t), 0);
	assert_int_equal(chan_tamper_set_source(t, b), CE_INVALID);
	assert_int_equal(chan_tamper_set_source(t, src), 0);
	assert_int_equal(chan_tamper_add(t, CHAN_T_REPLACE, 1, 0), 0);
	assert_int_equal(chan_send(t, "new0", 4), 0);
	assert_int_equal(chan_send(t, "new1", 4), 0);
	assert_int_equal(chan_send(t, "new2", 4), 0);
	assert_int_equal(chan_recv(b, got, 12), 0);
	assert_memory_equal(got, "new0old0new2", 12);
	chan_free(t);
	chan_free(b);
	chan_free(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_stream),
		cmocka_unit_test(test_pair_truncated),
		cmocka_unit_test(test_pair_shutdown_wakes_writer),
		cmocka_unit_test(test_fd_pipe),
		cmocka_unit_test(test_fd_socket),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_func),
		cmocka_unit_test(test_tamper_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
