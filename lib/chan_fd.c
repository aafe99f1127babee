#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chan.h"
#include "err.h"

struct fd_chan {
	int rfd, wfd, own, sock;
};

/* A non-blocking fd is waited on rather than spun on. */
static void
wait_fd(int fd, short events)
{
	struct pollfd pfd = { fd, events, 0 };

	(void)poll(&pfd, 1, -1);
}

int
fd_read_exact(int fd, void *p, size_t n)
{
	uint8_t *d = p;
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = read(fd, d + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			wait_fd(fd, POLLIN);
			continue;
		}
		if (k < 0) {
			/* A reset by the peer is the peer going away. */
			if (errno == ECONNRESET)
				return got == 0 ? CE_PEER_CLOSED : CE_TRUNCATED;
			return CE_IO;
		}
		if (k == 0)
			return got == 0 ? CE_PEER_CLOSED : CE_TRUNCATED;
		got += (size_t)k;
	}
	return 0;
}

static int
write_some(int fd, int sock, const uint8_t *p, size_t n, ssize_t *kp)
{
	ssize_t k;

	if (sock)
		k = send(fd, p, n, MSG_NOSIGNAL);
	else
		k = write(fd, p, n);
	*kp = k;
	if (k >= 0)
		return 0;
	if (errno == EINTR)
		return 1;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		wait_fd(fd, POLLOUT);
		return 1;
	}
	if (errno == EPIPE || errno == ECONNRESET)
		return CE_PEER_CLOSED;
	return CE_IO;
}

static int
write_all(int fd, int sock, const void *p, size_t n)
{
	const uint8_t *s = p;
	ssize_t k;
	int r;

	while (n > 0) {
		if ((r = write_some(fd, sock, s, n, &k)) < 0)
			return r;
		if (r == 1)
			continue;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

int
fd_write_all(int fd, const void *p, size_t n)
{
	struct stat st;

	return write_all(fd, fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode), p, n);
}

static int
fd_send(void *ctx, const void *p, size_t n)
{
	struct fd_chan *f = ctx;

	if (f->wfd < 0)
		return CE_INVALID;
	return write_all(f->wfd, f->sock, p, n);
}

static int
fd_recv(void *ctx, void *p, size_t n)
{
	struct fd_chan *f = ctx;

	if (f->rfd < 0)
		return CE_INVALID;
	return fd_read_exact(f->rfd, p, n);
}

static void
fd_close(void *ctx)
{
	struct fd_chan *f = ctx;

	if (f->wfd < 0)
		return;
	if (f->sock && f->wfd == f->rfd) {
		(void)shutdown(f->wfd, SHUT_WR);
		return;
	}
	if (f->own)
		(void)close(f->wfd);
	f->wfd = -1;
}

static void
fd_shutdown(void *ctx)
{
	struct fd_chan *f = ctx;

	if (f->sock) {
		(void)shutdown(f->wfd >= 0 ? f->wfd : f->rfd, SHUT_RDWR);
		return;
	}
	fd_close(f);
	/* Closing our read end makes a pipe's writer fail with EPIPE. */
	if (f->own && f->rfd >= 0) {
		(void)close(f->rfd);
		f->rfd = -1;
	}
}

static void
fd_free(void *ctx)
{
	struct fd_chan *f = ctx;

	if (f->own) {
		if (f->rfd >= 0)
			(void)close(f->rfd);
		if (f->wfd >= 0 && f->wfd != f->rfd)
			(void)close(f->wfd);
	}
	free(f);
}

static const struct chan_ops fd_ops = {
	fd_send, fd_recv, fd_close, fd_free, fd_shutdown
};

int
chan_fd_new(int rfd, int wfd, int own, struct chan **cp)
{
	struct fd_chan *f;
	struct stat st;

	if (rfd < 0 && wfd < 0)
		return CE_INVALID;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return CE_NOMEM;
	f->rfd = rfd;
	f->wfd = wfd;
	f->own = own;
	f->sock = wfd >= 0 && fstat(wfd, &st) == 0 && S_ISSOCK(st.st_mode);
	return chan_new(&fd_ops, f, cp);
}
