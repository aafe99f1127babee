/*
 * xfer and sealed throughput without an HSM behind them: N records of S
 * bytes through a PUSH session over the in-process pair (two threads), and
 * through a sealed stream writer and reader in memory. Prints
 * "name records seconds records/s MB/s peak". Built and run by
 * bench/xfer.bench.sh; figures only, never a pass or fail.
 * Usage: xfer_bench [RECORDS [SIZE [xfer]]] ("xfer": the session only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "chan.h"
#include "crypto.h"
#include "kdf.h"
#include "secret.h"
#include "sealed.h"
#include "xfer.h"

/* Records differ (key material does not compress): slices of a pool. */
#define POOL (4u << 20)

struct job {
	unsigned long n;
	size_t size;
	uint8_t *pool;
	unsigned long got;
};

static const uint8_t *
rec(const struct job *j, unsigned long i)
{
	return j->pool + (i * 4099) % (POOL - j->size);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
produce(void *arg, struct xfer *x)
{
	struct job *j = arg;
	unsigned long i;
	int r;

	for (i = 0; i < j->n; i++)
		if ((r = xfer_send_record(x, XFER_REC_V0_OBJECT, rec(j, i),
		    j->size)) != 0)
			return r;
	return 0;
}

static int
count(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	struct job *j = arg;

	(void)kind;
	(void)p;
	(void)n;
	j->got++;
	return 0;
}

static int
commit(void *arg, uint64_t n)
{
	struct job *j = arg;

	return n == j->got ? 0 : -1;
}

static void
report(const char *name, const struct job *j, double t)
{
	printf("%-14s %8lu x %5zu B  %7.3f s  %10.0f records/s  %8.1f MB/s\n",
	    name, j->n, j->size, t, (double)j->n / t,
	    (double)j->n * (double)j->size / t / 1e6);
}

int
main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 256;
	uint8_t k[32];
	struct secret *key, *pw;
	struct xfer_domain d;
	struct job j = { n, size, NULL, 0 };
	struct xfer_source so = { produce, &j, 0 };
	struct xfer_sink si = { count, commit, &j, 0 };
	struct sealed_writer *w;
	struct sealed_reader *rd;
	struct sealed_header h;
	struct buf *hdr = NULL;
	char path[] = "/tmp/coffer-xfer-bench-XXXXXX";
	int fd;
	struct chan *c;
	unsigned long i;
	uint64_t cnt;
	double t;

	if (secret_init() != 0 || size == 0 || size > POOL / 2 ||
	    (j.pool = malloc(POOL)) == NULL)
		return 1;
	memset(k, 0x5a, sizeof(k));
	cc_random(j.pool, POOL);
	key = secret_from(k, sizeof(k));
	pw = secret_from("bench", 5);
	d.label = "bench";
	d.key = key;

	t = now();
	if (xfer_run_pair(&d, 1, &d, 1, &so, &si) != 0 || j.got != n)
		return 1;
	report("xfer push", &j, now() - t);
	if (argc > 3 && strcmp(argv[3], "xfer") == 0)
		return 0;

	/* A file, as a backup lands: memory sinks measure realloc instead. */
	if ((fd = mkstemp(path)) < 0 || chan_fd_new(-1, fd, 0, &c) != 0)
		return 1;
	unlink(path);
	t = now();
	if (sealed_writer_new(pw, KDF_TEST, &d, 1, c, &w) != 0 ||
	    sealed_writer_header(w, NULL, 0, NULL) != 0)
		return 1;
	for (i = 0; i < n; i++)
		if (sealed_writer_record(w, 1, rec(&j, i), size) != 0)
			return 1;
	if (sealed_writer_finish(w) != 0)
		return 1;
	report("sealed write", &j, now() - t);
	printf("%-14s %llu bytes stored for %lu raw\n", "",
	    (unsigned long long)chan_bytes_sent(c), n * (size + 6));
	sealed_writer_free(w);
	chan_free(c);

	j.got = 0;
	if (lseek(fd, 0, SEEK_SET) != 0 || chan_fd_new(fd, -1, 1, &c) != 0)
		return 1;
	t = now();
	if (sealed_header_read(c, &hdr, &h) != 0 ||
	    sealed_open(buf_ptr(hdr), buf_len(hdr), pw, &d, 1, NULL, 0,
	    &rd) != 0 || sealed_read(rd, c, count, &j, &cnt) != 0 || cnt != n)
		return 1;
	report("sealed read", &j, now() - t);
	sealed_reader_free(rd);
	buf_free(hdr);
	chan_free(c);
	secret_free(key);
	secret_free(pw);
	free(j.pool);
	return 0;
}
