/*
 * The rbs:// backend: a store kept by an `rbs serve` server, reached over
 * TLS 1.3 with this host's client identity, the server pinned by its
 * certificate fingerprint (docs/rbs.md). Every operation is one request of
 * the protocol in lib/rbsproto.h on one connection per open store; a
 * backup's bytes travel as the sealed stream the caller made, a restore's
 * as the archive file, fetched whole into an unnamed temporary file so the
 * archive reader works on it as on a local one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bstore_int.h"
#include "buf.h"
#include "cbk_manifest.h"
#include "chan.h"
#include "crypto.h"
#include "err.h"
#include "file.h"
#include "rbsproto.h"
#include "tls.h"

#define KNOWN_FILE "known_servers"
#define KNOWN_MAX (256u * 1024)
#define HOST_MAX 255

static char id_dir[PATH_MAX];
static char pin_fp[TLS_FP_STR_LEN + 1];

struct rbs_client {
	struct chan *c;
	struct tls_conn *t;  /* inside c, for tls_conn_stale */
	int uploading;       /* between BEGIN and COMMIT/ABORT */
	struct buf *frame;
	int role;
	int broken;         /* the connection is out of step: no more use */
};

struct rbs_txn {
	struct buf *pend;   /* bytes not yet sent as an UPLOAD frame */
	int begun, done;
};

int
bstore_rbs_identity(const char *dir, const char *server_fp)
{
	uint8_t fp[TLS_FP_LEN];
	int r;

	if (dir != NULL) {
		if (strlen(dir) >= sizeof(id_dir)) {
			err_set_detail("identity path too long");
			return CE_TOO_LONG;
		}
		snprintf(id_dir, sizeof(id_dir), "%s", dir);
	}
	if (server_fp != NULL) {
		if ((r = tls_fp_parse(server_fp, fp)) != 0)
			return r;
		tls_fp_str(fp, pin_fp);
	}
	return 0;
}

/* rbs://HOST:PORT/STORE; HOST may be [v6]. */
static int
parse_uri(const char *uri, char host[HOST_MAX + 1], char port[8],
    char store[RBS_STORE_MAX + 1])
{
	const char *h = uri + 6, *he, *p, *s;
	size_t n;

	if (*h == '[') {
		if ((he = strchr(h, ']')) == NULL)
			goto bad;
		h++;
		p = he + 1;
	} else {
		he = h + strcspn(h, ":/");
		p = he;
	}
	if (*p != ':' || (s = strchr(p, '/')) == NULL)
		goto bad;
	n = (size_t)(he - h);
	if (n == 0 || n > HOST_MAX || (size_t)(s - p - 1) < 1 ||
	    (size_t)(s - p - 1) > 5)
		goto bad;
	memcpy(host, h, n);
	host[n] = '\0';
	memcpy(port, p + 1, (size_t)(s - p - 1));
	port[s - p - 1] = '\0';
	if (strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
	    atoi(port) > 65535 || !rbs_store_name_ok(s + 1, strlen(s + 1)))
		goto bad;
	snprintf(store, RBS_STORE_MAX + 1, "%s", s + 1);
	return 0;
 bad:
	err_set_detail("'%s' is not a remote store; write "
	    "rbs://HOST:PORT/STORE (STORE: letters, digits, . _ -)", uri);
	return CE_USAGE;
}

/*
 * The known-servers file: "HOST:PORT SHA256:..." lines. A server seen
 * before must show the same certificate; a new one must match the
 * fingerprint given with --server-fingerprint, and is then recorded.
 */
static int
check_pin(const char *host, const char *port, const uint8_t peer[TLS_FP_LEN])
{
	char path[PATH_MAX + 32], who[HOST_MAX + 16], got[TLS_FP_STR_LEN + 1];
	char line[HOST_MAX + 16 + TLS_FP_STR_LEN + 8], *sp;
	struct buf *b = NULL, *nb = NULL;
	uint8_t kfp[TLS_FP_LEN];
	size_t i, n;
	const uint8_t *p;
	int r;

	snprintf(path, sizeof(path), "%s/" KNOWN_FILE, id_dir);
	snprintf(who, sizeof(who), "%s:%s", host, port);
	tls_fp_str(peer, got);
	if ((r = file_read(path, KNOWN_MAX, &b)) != 0 && r != CE_NOT_FOUND)
		return r;
	if (r == 0) {
		p = buf_ptr(b);
		n = buf_len(b);
		for (i = 0; i < n;) {
			size_t e = i, l;

			while (e < n && p[e] != '\n')
				e++;
			l = e - i;
			if (l < sizeof(line)) {
				memcpy(line, p + i, l);
				line[l] = '\0';
				if ((sp = strchr(line, ' ')) != NULL) {
					*sp = '\0';
					if (strcmp(line, who) == 0 &&
					    tls_fp_parse(sp + 1, kfp) == 0) {
						r = cc_memeq(kfp, peer,
						    TLS_FP_LEN) ? 0 : 1;
						goto found;
					}
				}
			}
			i = e + 1;
		}
	}
	/* First use: only with the fingerprint the admin gave. */
	if (pin_fp[0] == '\0') {
		err_set_detail("server %s is not known: its certificate is %s; "
		    "check that with the server's admin ('rbs init' printed "
		    "it), then repeat with --server-fingerprint %s", who, got,
		    got);
		r = CE_POLICY;
		goto out;
	}
	if (strcmp(pin_fp, got) != 0) {
		err_set_detail("server %s shows certificate %s, not the "
		    "expected %s: refused (a different server, or a "
		    "man in the middle)", who, got, pin_fp);
		r = CE_POLICY;
		goto out;
	}
	if ((nb = buf_new(KNOWN_MAX + sizeof(line))) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	snprintf(line, sizeof(line), "%s %s\n", who, got);
	if ((b != NULL && (r = buf_put(nb, buf_ptr(b), buf_len(b))) != 0) ||
	    (r = buf_put(nb, line, strlen(line))) != 0 ||
	    (r = file_write_atomic(path, buf_ptr(nb), buf_len(nb), 0600)) != 0)
		goto out;
	r = 0;
	goto out;
 found:
	if (r != 0) {
		char was[TLS_FP_STR_LEN + 1];

		tls_fp_str(kfp, was);
		err_set_detail("server %s CHANGED its certificate: it was %s "
		    "and is now %s; refused. If the server was re-keyed on "
		    "purpose, remove its line from %s and pin the new one "
		    "with --server-fingerprint", who, was, got, path);
		r = CE_POLICY;
	}
 out:
	buf_free(b);
	buf_free(nb);
	return r;
}

/* A network error part way is the server going away, not a bad file. */
static int
net_error(struct rbs_client *cl, int r)
{
	cl->broken = 1;
	if (r == CE_TRUNCATED || r == CE_PEER_CLOSED) {
		if (strstr(err_detail(), "TLS") == NULL)
			err_set_detail("the rbs server closed the connection");
		return CE_PEER_CLOSED;
	}
	return r;
}

/*
 * Receives the answers to one request: fn sees each frame before the final
 * OK (copied into *okp when not NULL) or ERR (returned as its code).
 */
typedef int answer_fn(void *arg, struct rbs_msg *m);

static int
answers(struct rbs_client *cl, answer_fn *fn, void *arg,
    struct rbs_msg *okp)
{
	struct rbs_msg m;
	char d[RBS_DETAIL_MAX + 1];
	int r;

	for (;;) {
		if ((r = rbs_recv(cl->c, cl->frame, &m)) != 0)
			return net_error(cl, r);
		if (m.type == RBS_OK) {
			if (okp != NULL)
				*okp = m;
			return 0;
		}
		if (m.type == RBS_ERR) {
			memcpy(d, m.detail, m.detail_len);
			d[m.detail_len] = '\0';
			err_set_detail("%s", d);
			r = -(int)m.code;
			return r < CE_LAST + 1 || r >= 0 ? CE_PROTOCOL : r;
		}
		if (fn == NULL || (r = fn(arg, &m)) != 0) {
			if (r == 0 || r == CE_PROTOCOL) {
				err_set_detail("the rbs server sent an "
				    "unexpected %s frame", rbs_type_name(m.type));
				r = CE_PROTOCOL;
			}
			cl->broken = 1;
			return r;
		}
	}
}

static int rbs_connect(struct bstore *s);

static int
call(struct bstore *s, struct rbs_msg *req, answer_fn *fn, void *arg,
    struct rbs_msg *okp)
{
	struct rbs_client *cl = s->be;
	int r;

	/*
	 * Between requests the server says nothing: a readable socket means
	 * it closed (idle timeout, restart), so a long-lived user such as
	 * backupd run connects again. Never inside an upload.
	 */
	if (!cl->uploading && (cl->broken || cl->t == NULL ||
	    tls_conn_stale(cl->t)) && (r = rbs_connect(s)) != 0)
		return r;
	if (cl->broken) {
		err_set_detail("the connection to %s was lost; run the command "
		    "again", s->path);
		return CE_PEER_CLOSED;
	}
	if ((r = rbs_send(cl->c, req)) != 0) {
		/* The server may have said why before it closed. */
		if (answers(cl, NULL, NULL, NULL) < 0 && err_detail()[0])
			return CE_PEER_CLOSED;
		return net_error(cl, r);
	}
	return answers(cl, fn, arg, okp);
}

static void
name_msg(struct rbs_msg *m, uint8_t type, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	if (name != NULL) {
		m->name = (const uint8_t *)name;
		m->name_len = strlen(name);
		rbs_set(m, RT_NAME);
	}
}

/* Connects, checks the server's pin and names the store (HELLO). */
static int
rbs_connect(struct bstore *s)
{
	char host[HOST_MAX + 1], port[8], store[RBS_STORE_MAX + 1];
	struct rbs_client *cl = s->be;
	struct tls_ctx *ctx = NULL;
	struct tls_conn *t = NULL;
	struct rbs_msg m, ok;
	int r, fd;

	chan_free(cl->c);
	cl->c = NULL;
	cl->t = NULL;
	cl->broken = 0;
	if ((r = parse_uri(s->path, host, port, store)) != 0)
		return r;
	if ((r = tls_ctx_new(0, id_dir, &ctx)) != 0 ||
	    (r = tls_tcp_connect(host, port, &fd)) != 0 ||
	    (r = tls_handshake(ctx, fd, &t)) != 0)
		goto out;
	/* Nothing is sent before the server is known to be the right one. */
	if ((r = check_pin(host, port, tls_peer_fp(t))) != 0)
		goto out;
	cl->t = t;
	if ((r = tls_chan_new(t, &cl->c)) != 0) {
		t = cl->t = NULL;
		goto out;
	}
	t = NULL;
	memset(&m, 0, sizeof(m));
	m.type = RBS_HELLO;
	m.version = RBS_VERSION;
	m.store = (const uint8_t *)store;
	m.store_len = strlen(store);
	rbs_set(&m, RT_VERSION);
	rbs_set(&m, RT_STORE);
	if ((r = rbs_send(cl->c, &m)) != 0) {
		r = net_error(cl, r);
		goto out;
	}
	if ((r = answers(cl, NULL, NULL, &ok)) != 0)
		goto out;
	if (!RBS_HAS(&ok, RT_CAPACITY) || !RBS_HAS(&ok, RT_GRACE) ||
	    !RBS_HAS(&ok, RT_ROLE)) {
		err_set_detail("the rbs server's HELLO answer lacks the store's "
		    "configuration");
		r = CE_PROTOCOL;
		goto out;
	}
	s->cfg.capacity = ok.capacity;
	s->cfg.grace_days = ok.grace;
	cl->role = ok.role;
	r = 0;
 out:
	if (r != 0)
		cl->broken = 1;
	tls_conn_free(t);
	tls_ctx_free(ctx);
	return r;
}

static int
rbs_open(const char *uri, struct bstore *s)
{
	char host[HOST_MAX + 1], port[8], store[RBS_STORE_MAX + 1];
	struct rbs_client *cl;
	int r;

	if (strlen(uri) >= sizeof(s->path)) {
		err_set_detail("store URI too long");
		return CE_TOO_LONG;
	}
	snprintf(s->path, sizeof(s->path), "%s", uri);
	if ((r = parse_uri(uri, host, port, store)) != 0)
		return r;
	if (id_dir[0] == '\0') {
		const char *e = getenv("COFFER_RBS_IDENTITY");

		if (e == NULL || *e == '\0') {
			err_set_detail("%s is a remote store: give the client "
			    "identity with --rbs-identity DIR (made by 'rbs "
			    "enroll')", uri);
			return CE_USAGE;
		}
		if ((r = bstore_rbs_identity(e, NULL)) != 0)
			return r;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return CE_NOMEM;
	s->be = cl;
	if ((cl->frame = buf_new(RBS_FRAME_MAX)) == NULL)
		return CE_NOMEM;
	return rbs_connect(s);
}

static void
rbs_close(struct bstore *s)
{
	struct rbs_client *cl = s->be;

	if (cl == NULL)
		return;
	chan_free(cl->c);
	buf_free(cl->frame);
	free(cl);
	s->be = NULL;
}

/* --- listing --- */

static int
entry_from(const struct rbs_msg *m, struct bstore_entry *e)
{
	struct buf *b;
	int r;

	memset(e, 0, sizeof(*e));
	memcpy(e->name, m->name, m->name_len);
	e->name[m->name_len] = '\0';
	if (bstore_name_parse(e->name, NULL, &e->created) != 0) {
		err_set_detail("the rbs server listed a bad name");
		return CE_PROTOCOL;
	}
	e->file_size = m->size;
	e->verified = m->flag;
	e->r = -(int)m->code;
	if (e->r < CE_LAST + 1)
		e->r = CE_FORMAT;
	if (e->r == 0) {
		if (!RBS_HAS(m, RT_MANIFEST))
			return CE_PROTOCOL;
		if ((b = buf_from(m->manifest, m->manifest_len)) == NULL)
			return CE_NOMEM;
		r = cbk_manifest_parse(b, &e->m);
		buf_free(b);
		if (r != 0)
			e->r = r;
	}
	return 0;
}

struct list_ctx {
	struct bstore_entry *v;
	size_t n, cap;
};

static int
on_entry(void *arg, struct rbs_msg *m)
{
	struct list_ctx *c = arg;
	struct bstore_entry *nv;

	if (m->type != RBS_ENTRY)
		return CE_PROTOCOL;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		if (c->cap > BSTORE_CAPACITY_MAX * 2 ||
		    (nv = realloc(c->v, c->cap * sizeof(*nv))) == NULL)
			return CE_NOMEM;
		c->v = nv;
	}
	return entry_from(m, &c->v[c->n++]);
}

static int
rbs_list(struct bstore *s, const char *label, struct bstore_entry **ep,
    size_t *np)
{
	struct list_ctx c = { NULL, 0, 0 };
	struct rbs_msg m;
	char nl[CBK_LABEL_MAX + 1];
	int r;

	memset(&m, 0, sizeof(m));
	m.type = RBS_LIST;
	if (label != NULL) {
		/* The real label: the server compares it with manifests. */
		snprintf(nl, sizeof(nl), "%s", label);
		m.label = (const uint8_t *)nl;
		m.label_len = strlen(nl);
		rbs_set(&m, RT_LABEL);
	}
	if ((r = call(s, &m, on_entry, &c, NULL)) != 0) {
		free(c.v);
		return r;
	}
	if (c.v == NULL && (c.v = calloc(1, sizeof(*c.v))) == NULL)
		return CE_NOMEM;
	*ep = c.v;
	*np = c.n;
	return 0;
}

static int
rbs_count(struct bstore *s, size_t *np)
{
	struct rbs_msg m, ok;
	int r;

	memset(&m, 0, sizeof(m));
	m.type = RBS_COUNT;
	if ((r = call(s, &m, NULL, NULL, &ok)) != 0)
		return r;
	*np = (size_t)ok.count;
	return 0;
}

struct one_ctx {
	struct bstore_entry *e;
	int seen;
};

static int
on_one(void *arg, struct rbs_msg *m)
{
	struct one_ctx *c = arg;

	if (m->type != RBS_ENTRY || c->seen++)
		return CE_PROTOCOL;
	return entry_from(m, c->e);
}

static int
named_entry(struct bstore *s, uint8_t type, const char *name,
    struct bstore_entry *ep)
{
	struct bstore_entry e;
	struct one_ctx c = { &e, 0 };
	struct rbs_msg m;
	int r;

	name_msg(&m, type, name);
	r = call(s, &m, on_one, &c, NULL);
	if (c.seen && ep != NULL)
		*ep = e;
	if (r == 0 && !c.seen) {
		err_set_detail("the rbs server sent no entry");
		r = CE_PROTOCOL;
	}
	return r;
}

static int
rbs_show(struct bstore *s, const char *name, struct bstore_entry *ep)
{
	return named_entry(s, RBS_SHOW, name, ep);
}

/* The server checks the structure: it holds the file. */
static int
rbs_verify(struct bstore *s, const char *name, struct bstore_entry *ep)
{
	return named_entry(s, RBS_VERIFY, name, ep);
}

static int
rbs_mark_verified(struct bstore *s, const char *name, int ok)
{
	struct rbs_msg m;

	name_msg(&m, RBS_MARK, name);
	m.flag = ok ? 1 : 0;
	rbs_set(&m, RT_FLAG);
	return call(s, &m, NULL, NULL, NULL);
}

/* --- reading --- */

static int
on_data(void *arg, struct rbs_msg *m)
{
	int fd = *(int *)arg;

	if (m->type != RBS_DATA)
		return CE_PROTOCOL;
	if (fd_write_all(fd, m->bytes, m->bytes_len) != 0)
		return cbk_io_error(errno, "cannot write the fetched backup");
	return 0;
}

static int
rbs_open_backup(struct bstore *s, const char *name, int *fdp)
{
	struct rbs_msg m;
	int r, fd;

	if ((r = bstore_tmpfile(&fd)) != 0)
		return r;
	name_msg(&m, RBS_READ, name);
	if ((r = call(s, &m, on_data, &fd, NULL)) != 0) {
		close(fd);
		return r;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		r = cbk_io_error(errno, "cannot rewind the fetched backup");
		close(fd);
		return r;
	}
	*fdp = fd;
	return 0;
}

/* --- uploading --- */

static int
manifest_tlv(struct rbs_msg *m, const struct cbk_manifest *cm,
    struct buf **bp)
{
	int r;

	if ((r = cbk_manifest_encode(cm, bp)) != 0)
		return r;
	m->manifest = buf_ptr(*bp);
	m->manifest_len = buf_len(*bp);
	rbs_set(m, RT_MANIFEST);
	return 0;
}

static int
rbs_begin(struct bstore *s, const struct cbk_manifest *cm,
    uint64_t estimate, struct bstore_txn *t)
{
	struct rbs_txn *rt;
	struct buf *mb = NULL;
	struct rbs_msg m, ok;
	int r;

	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		return CE_NOMEM;
	t->be = rt;
	if ((rt->pend = buf_new(RBS_DATA_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.type = RBS_BEGIN;
	m.estimate = estimate;
	rbs_set(&m, RT_ESTIMATE);
	if ((r = manifest_tlv(&m, cm, &mb)) != 0 ||
	    (r = call(s, &m, NULL, NULL, &ok)) != 0)
		goto out;
	if (!RBS_HAS(&ok, RT_NAME) || ok.name_len >= BSTORE_NAME_MAX) {
		r = CE_PROTOCOL;
		goto out;
	}
	memcpy(t->name, ok.name, ok.name_len);
	t->name[ok.name_len] = '\0';
	if (bstore_name_parse(t->name, NULL, NULL) != 0) {
		err_set_detail("the rbs server named the backup badly");
		r = CE_PROTOCOL;
		goto out;
	}
	rt->begun = 1;
	((struct rbs_client *)s->be)->uploading = 1;
	r = 0;
 out:
	buf_free(mb);
	if (r != 0) {
		buf_free(rt->pend);
		free(rt);
		t->be = NULL;
	}
	return r;
}

/* Sends what is pending as one UPLOAD frame (no answer until COMMIT). */
static int
flush(struct bstore_txn *t)
{
	struct rbs_txn *rt = t->be;
	struct rbs_client *cl = t->s->be;
	struct rbs_msg m;
	int r;

	if (buf_len(rt->pend) == 0)
		return 0;
	memset(&m, 0, sizeof(m));
	m.type = RBS_UPLOAD;
	m.bytes = buf_ptr(rt->pend);
	m.bytes_len = buf_len(rt->pend);
	rbs_set(&m, RT_BYTES);
	if ((r = rbs_send(cl->c, &m)) != 0) {
		/* The server refused part way (space, size); it says why. */
		if (answers(cl, NULL, NULL, NULL) < 0 && err_detail()[0]) {
			cl->broken = 1;
			return CE_FULL;
		}
		return net_error(cl, r);
	}
	buf_reset(rt->pend);
	return 0;
}

static int
rbs_txn_write(struct bstore_txn *t, const void *p, size_t n)
{
	struct rbs_txn *rt = t->be;
	const uint8_t *d = p;
	size_t k;
	int r;

	while (n > 0) {
		k = RBS_DATA_MAX - buf_len(rt->pend);
		if (k > n)
			k = n;
		if ((r = buf_put(rt->pend, d, k)) != 0)
			return r;
		d += k;
		n -= k;
		if (buf_len(rt->pend) == RBS_DATA_MAX &&
		    (r = flush(t)) != 0)
			return r;
	}
	return 0;
}

static int
rbs_commit(struct bstore_txn *t, const struct cbk_manifest *cm,
    const void *hdr, size_t hlen, char name[BSTORE_NAME_MAX])
{
	struct rbs_txn *rt = t->be;
	struct buf *mb = NULL;
	struct rbs_msg m, ok;
	int r;

	if ((r = flush(t)) != 0)
		goto out;
	memset(&m, 0, sizeof(m));
	m.type = RBS_COMMIT;
	m.header = hdr;
	m.header_len = hlen;
	rbs_set(&m, RT_HEADER);
	if ((r = manifest_tlv(&m, cm, &mb)) != 0)
		goto out;
	rt->done = 1; /* answered either way: no ABORT after this */
	r = call(t->s, &m, NULL, NULL, &ok);
	((struct rbs_client *)t->s->be)->uploading = 0;
	if (r != 0)
		goto out;
	if (!RBS_HAS(&ok, RT_NAME) || ok.name_len != strlen(t->name) ||
	    memcmp(ok.name, t->name, ok.name_len) != 0) {
		err_set_detail("the rbs server committed under another name");
		r = CE_PROTOCOL;
		goto out;
	}
	if (name != NULL)
		snprintf(name, BSTORE_NAME_MAX, "%s", t->name);
 out:
	buf_free(mb);
	return r;
}

static void
rbs_txn_free(struct bstore_txn *t)
{
	struct rbs_txn *rt = t->be;
	struct rbs_client *cl = t->s->be;
	struct rbs_msg m;

	if (rt == NULL)
		return;
	if (rt->begun && !rt->done && !cl->broken) {
		memset(&m, 0, sizeof(m));
		m.type = RBS_ABORT;
		(void)call(t->s, &m, NULL, NULL, NULL);
	}
	cl->uploading = 0;
	buf_free(rt->pend);
	free(rt);
	t->be = NULL;
}

/* --- retention --- */

static int
rbs_trash(struct bstore *s, const char *name)
{
	struct rbs_msg m;

	name_msg(&m, RBS_TRASH, name);
	return call(s, &m, NULL, NULL, NULL);
}

static int
rbs_untrash(struct bstore *s, const char *name)
{
	struct rbs_msg m;

	name_msg(&m, RBS_UNTRASH, name);
	return call(s, &m, NULL, NULL, NULL);
}

struct trash_ctx {
	struct bstore_trashed *v;
	size_t n, cap;
};

static int
on_trashed(void *arg, struct rbs_msg *m)
{
	struct trash_ctx *c = arg;
	struct bstore_trashed *nv, *t;

	if (m->type != RBS_TRASHED)
		return CE_PROTOCOL;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		if (c->cap > BSTORE_CAPACITY_MAX * 64 ||
		    (nv = realloc(c->v, c->cap * sizeof(*nv))) == NULL)
			return CE_NOMEM;
		c->v = nv;
	}
	t = &c->v[c->n++];
	memcpy(t->name, m->name, m->name_len);
	t->name[m->name_len] = '\0';
	t->deleted = (int64_t)m->deleted;
	t->purge_after = (int64_t)m->purge_after;
	t->file_size = m->size;
	return 0;
}

static int
rbs_trash_list(struct bstore *s, struct bstore_trashed **tp, size_t *np)
{
	struct trash_ctx c = { NULL, 0, 0 };
	struct rbs_msg m;
	int r;

	memset(&m, 0, sizeof(m));
	m.type = RBS_TRASH_LIST;
	if ((r = call(s, &m, on_trashed, &c, NULL)) != 0) {
		free(c.v);
		return r;
	}
	if (c.v == NULL && (c.v = calloc(1, sizeof(*c.v))) == NULL)
		return CE_NOMEM;
	*tp = c.v;
	*np = c.n;
	return 0;
}

static int
rbs_purge(struct bstore *s, int64_t now, size_t *purgedp)
{
	struct rbs_msg m, ok;
	int r;

	memset(&m, 0, sizeof(m));
	m.type = RBS_PURGE;
	m.time = (uint64_t)now;
	rbs_set(&m, RT_TIME);
	if ((r = call(s, &m, NULL, NULL, &ok)) != 0)
		return r;
	*purgedp = (size_t)ok.count;
	return 0;
}

struct names_ctx {
	char (*v)[BSTORE_NAME_MAX];
	size_t n, cap;
};

static int
on_name(void *arg, struct rbs_msg *m)
{
	struct names_ctx *c = arg;
	char (*nv)[BSTORE_NAME_MAX];

	if (m->type != RBS_NAME)
		return CE_PROTOCOL;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		if (c->cap > BSTORE_CAPACITY_MAX * 2 ||
		    (nv = realloc(c->v, c->cap * sizeof(*nv))) == NULL)
			return CE_NOMEM;
		c->v = nv;
	}
	memcpy(c->v[c->n], m->name, m->name_len);
	c->v[c->n++][m->name_len] = '\0';
	return 0;
}

static int
rbs_prune(struct bstore *s, const struct bstore_keep *keep, int dry_run,
    char (**namesp)[BSTORE_NAME_MAX], size_t *np)
{
	struct names_ctx c = { NULL, 0, 0 };
	struct rbs_msg m;
	int r;

	memset(&m, 0, sizeof(m));
	m.type = RBS_PRUNE;
	m.keep[0] = keep->last;
	m.keep[1] = keep->daily;
	m.keep[2] = keep->weekly;
	m.keep[3] = keep->monthly;
	m.flag = dry_run ? 1 : 0;
	rbs_set(&m, RT_KEEP);
	rbs_set(&m, RT_FLAG);
	if (keep->series[0] != '\0') {
		m.label = (const uint8_t *)keep->series;
		m.label_len = strlen(keep->series);
		rbs_set(&m, RT_LABEL);
	}
	if ((r = call(s, &m, on_name, &c, NULL)) != 0) {
		free(c.v);
		return r;
	}
	if (c.v == NULL && (c.v = calloc(1, sizeof(*c.v))) == NULL)
		return CE_NOMEM;
	*namesp = c.v;
	*np = c.n;
	return 0;
}

static int
rbs_gc(struct bstore *s, size_t *removedp)
{
	struct rbs_msg m, ok;
	int r;

	memset(&m, 0, sizeof(m));
	m.type = RBS_GC;
	if ((r = call(s, &m, NULL, NULL, &ok)) != 0)
		return r;
	if (removedp != NULL)
		*removedp = (size_t)ok.count;
	return 0;
}

const struct bstore_ops bstore_rbs_ops = {
	.scheme = "rbs://",
	.init = NULL, /* stores are created on the server (rbs serve) */
	.open = rbs_open,
	.close = rbs_close,
	.list = rbs_list,
	.count = rbs_count,
	.show = rbs_show,
	.verify = rbs_verify,
	.mark_verified = rbs_mark_verified,
	.open_backup = rbs_open_backup,
	.begin = rbs_begin,
	.txn_write = rbs_txn_write,
	.commit = rbs_commit,
	.txn_free = rbs_txn_free,
	.trash = rbs_trash,
	.untrash = rbs_untrash,
	.trash_list = rbs_trash_list,
	.purge = rbs_purge,
	.prune = rbs_prune,
	.gc = rbs_gc,
};
