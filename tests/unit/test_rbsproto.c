/*
 * rbsproto: the known-answer frames of docs/formats.md 10.6, the strict
 * parser's refusals, and one TLS 1.3 connection between two pinned
 * identities (lib/tls) carrying rbs frames through the channel.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "buf.h"
#include "chan.h"
#include "err.h"
#include "rbsproto.h"
#include "secret.h"
#include "tls.h"
#include "xfer.h"

/* docs/formats.md 10.6 */
#define KAT_HELLO "00000011" "01" "0001000000020001" "0002000000027331"
#define KAT_ERR "00000013" "81" "000c000000040000000f" "000d000000026e6f"
#define KAT_OK "0000000f" "80" "00110000000800000000000000" "02"

static void
check_kat(const struct rbs_msg *m, const char *hex)
{
	uint8_t want[64];
	size_t n = unhex(hex, want, sizeof(want));
	struct buf *b = buf_new(1024);
	struct rbs_msg d;

	assert_int_equal(rbs_encode(m, b), 0);
	assert_int_equal(buf_len(b), n);
	assert_memory_equal(buf_ptr(b), want, n);
	assert_int_equal(rbs_decode(want + 4, n - 4, &d), 0);
	assert_int_equal(d.type, m->type);
	assert_int_equal(d.have, m->have);
	buf_free(b);
}

static void
test_kat(void **state)
{
	struct rbs_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = RBS_HELLO;
	m.version = 1;
	m.store = (const uint8_t *)"s1";
	m.store_len = 2;
	rbs_set(&m, RT_VERSION);
	rbs_set(&m, RT_STORE);
	check_kat(&m, KAT_HELLO);

	memset(&m, 0, sizeof(m));
	m.type = RBS_ERR;
	m.code = (uint32_t)-CE_POLICY;
	m.detail = (const uint8_t *)"no";
	m.detail_len = 2;
	rbs_set(&m, RT_CODE);
	rbs_set(&m, RT_DETAIL);
	check_kat(&m, KAT_ERR);

	memset(&m, 0, sizeof(m));
	m.type = RBS_OK;
	m.count = 2;
	rbs_set(&m, RT_COUNT);
	check_kat(&m, KAT_OK);
}

static int
dec(const char *hex)
{
	uint8_t b[128];
	struct rbs_msg m;
	size_t n = unhex(hex, b, sizeof(b));

	return rbs_decode(b, n, &m);
}

static void
test_refusals(void **state)
{
	struct rbs_msg m;
	struct buf *f = buf_new(RBS_FRAME_MAX);
	struct chan *c;
	const uint8_t big[] = { 0xff, 0xff, 0xff, 0xff, 0x01 };
	const uint8_t zero[] = { 0, 0, 0, 0 };
	const uint8_t cut[] = { 0, 0, 0, 9, 0x01, 0x00 };
	char name[200];

	(void)state;
	/* The good one, then each way of breaking it. */
	assert_int_equal(dec("01" "0001000000020001" "0002000000027331"), 0);
	assert_int_equal(dec("01" "0001000000020001" "0002000000027331" "00"),
	    CE_TRUNCATED);
	assert_int_equal(dec("01" "0002000000027331" "0001000000020001"),
	    CE_FORMAT);                                  /* out of order */
	assert_int_equal(dec("01" "0001000000020001"), CE_FORMAT); /* missing */
	assert_int_equal(dec("7f"), CE_FORMAT);          /* unknown type */
	assert_int_equal(dec("01" "000100000003000100" "0002000000027331"),
	    CE_TOO_LONG);                                /* wrong length */
	assert_int_equal(dec("01" "0001000000020001" "0002000000020a31"),
	    CE_FORMAT);                                  /* control byte */
	assert_int_equal(dec("06" "0004000000016e" "00050000000102"),
	    CE_FORMAT);                                  /* flag 2 */
	assert_int_equal(dec("03" "0004000000016e"), CE_FORMAT); /* extra */
	assert_int_equal(dec("01" "0001000000020001" "000200000100"),
	    CE_TRUNCATED);                               /* TLV past end */
	/* A store name over 64 bytes. */
	memset(&m, 0, sizeof(m));
	memset(name, 'a', sizeof(name));
	m.type = RBS_HELLO;
	m.store = (const uint8_t *)name;
	m.store_len = 65;
	rbs_set(&m, RT_VERSION);
	rbs_set(&m, RT_STORE);
	assert_int_equal(rbs_encode(&m, f), CE_TOO_LONG);
	/* A required TLV missing on the way out. */
	m.have = 0;
	assert_int_equal(rbs_encode(&m, f), CE_INVALID);
	/* Frame lengths: over the limit before the body, zero, cut short. */
	assert_int_equal(chan_mem_reader(big, sizeof(big), &c), 0);
	assert_int_equal(rbs_recv(c, f, &m), CE_TOO_LONG);
	chan_free(c);
	assert_int_equal(chan_mem_reader(zero, sizeof(zero), &c), 0);
	assert_int_equal(rbs_recv(c, f, &m), CE_FORMAT);
	chan_free(c);
	assert_int_equal(chan_mem_reader(cut, sizeof(cut), &c), 0);
	assert_int_equal(rbs_recv(c, f, &m), CE_TRUNCATED);
	chan_free(c);
	buf_free(f);
	assert_true(rbs_store_name_ok("prod-1.a_b", 10));
	assert_false(rbs_store_name_ok(".hidden", 7));
	assert_false(rbs_store_name_ok("a/b", 3));
}

static void
test_fp(void **state)
{
	uint8_t fp[TLS_FP_LEN], fp2[TLS_FP_LEN];
	char s[TLS_FP_STR_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < TLS_FP_LEN; i++)
		fp[i] = (uint8_t)(i * 7 + 1);
	tls_fp_str(fp, s);
	assert_int_equal(strlen(s), TLS_FP_STR_LEN);
	assert_memory_equal(s, "SHA256:01:08:0f", 15);
	assert_int_equal(tls_fp_parse(s, fp2), 0);
	assert_memory_equal(fp, fp2, TLS_FP_LEN);
	assert_int_equal(tls_fp_parse(s + 7, fp2), 0); /* without prefix */
	assert_int_equal(tls_fp_parse("SHA256:01:02", fp2), CE_USAGE);
	assert_int_equal(tls_fp_parse("zz", fp2), CE_USAGE);
}

/* The transfer protocol over the TLS channel: 300 records, one commit. */
static int
produce(void *arg, struct xfer *x)
{
	uint8_t rec[48];
	int i, r;

	(void)arg;
	for (i = 0; i < 300; i++) {
		memset(rec, i, sizeof(rec));
		if ((r = xfer_send_record(x, 1, rec, sizeof(rec))) != 0)
			return r;
	}
	return 0;
}

static int
count_record(void *arg, uint8_t kind, const uint8_t *p, size_t n)
{
	(void)kind;
	(void)p;
	*(size_t *)arg += n == 48;
	return 0;
}

static int
commit_ok(void *arg, uint64_t count)
{
	return *(size_t *)arg == count ? 0 : CE_INVALID;
}

struct side {
	struct tls_ctx *ctx;
	int fd, r;
	struct tls_conn *t;
};

static void *
server_side(void *arg)
{
	struct side *s = arg;

	s->r = tls_handshake(s->ctx, s->fd, &s->t);
	return NULL;
}

static void
test_tls(void **state)
{
	char dir[] = "/tmp/coffer-tls-XXXXXX", sd[64], cd[64], p[96];
	uint8_t sfp[TLS_FP_LEN], cfp[TLS_FP_LEN], f2[TLS_FP_LEN];
	struct side srv = { NULL, -1, 0, NULL };
	struct tls_ctx *cctx = NULL;
	struct tls_conn *ct = NULL;
	struct chan *cc = NULL, *sc = NULL;
	struct buf *frame = buf_new(RBS_FRAME_MAX);
	struct rbs_msg m, got;
	pthread_t th;
	int sv[2];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sd, sizeof(sd), "%s/srv", dir);
	snprintf(cd, sizeof(cd), "%s/cli", dir);
	assert_int_equal(tls_identity_create(sd, "srv", sfp), 0);
	assert_int_equal(tls_identity_create(cd, "cli", cfp), 0);
	/* A second identity in the same place is refused. */
	assert_int_equal(tls_identity_create(sd, "srv", NULL), CE_EXISTS);
	snprintf(p, sizeof(p), "%s/cert.pem", cd);
	assert_int_equal(tls_cert_file_fp(p, f2), 0);
	assert_memory_equal(f2, cfp, TLS_FP_LEN);
	assert_int_equal(tls_ctx_new(1, sd, &srv.ctx), 0);
	assert_int_equal(tls_ctx_new(0, cd, &cctx), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	srv.fd = sv[0];
	assert_int_equal(pthread_create(&th, NULL, server_side, &srv), 0);
	assert_int_equal(tls_handshake(cctx, sv[1], &ct), 0);
	pthread_join(th, NULL);
	assert_int_equal(srv.r, 0);
	/* Each side sees the other's certificate: what pinning compares. */
	assert_memory_equal(tls_peer_fp(ct), sfp, TLS_FP_LEN);
	assert_memory_equal(tls_peer_fp(srv.t), cfp, TLS_FP_LEN);
	assert_int_equal(tls_chan_new(ct, &cc), 0);
	assert_int_equal(tls_chan_new(srv.t, &sc), 0);
	memset(&m, 0, sizeof(m));
	m.type = RBS_HELLO;
	m.version = RBS_VERSION;
	m.store = (const uint8_t *)"s";
	m.store_len = 1;
	rbs_set(&m, RT_VERSION);
	rbs_set(&m, RT_STORE);
	assert_int_equal(rbs_send(cc, &m), 0);
	assert_int_equal(rbs_recv(sc, frame, &got), 0);
	assert_int_equal(got.type, RBS_HELLO);
	assert_int_equal(got.store_len, 1);
	assert_int_equal(got.store[0], 's');
	/* The transfer protocol runs through the same channel unchanged. */
	{
		uint8_t k[XFER_DOMAIN_KEY_LEN] = { 7 };
		struct secret *key = secret_from(k, sizeof(k));
		struct xfer_domain d = { "d", key };
		size_t got_n = 0;
		struct xfer_source so = { produce, NULL, 0 };
		struct xfer_sink si = { count_record, commit_ok, &got_n, 0 };

		assert_int_equal(xfer_run(cc, &d, 1, sc, &d, 1, &so, &si), 0);
		assert_int_equal(got_n, 300);
		secret_free(key);
	}
	/* The client closes: the server sees the end of the stream. */
	chan_free(cc);
	assert_int_equal(rbs_recv(sc, frame, &got), CE_PEER_CLOSED);
	chan_free(sc);
	tls_ctx_free(srv.ctx);
	tls_ctx_free(cctx);
	buf_free(frame);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fp),
		cmocka_unit_test(test_tls),
	};

	signal(SIGPIPE, SIG_IGN); /* as the tools do: see lib/tls.h */
	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
