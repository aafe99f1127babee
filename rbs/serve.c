/*
 * rbs serve: the listener and one session per connection (docs/rbs.md
 * "Server"). The parent binds, loads the server identity, drops to the
 * configured user and only accepts; each connection runs in its own forked
 * child, bounded by the idle timeout (SO_RCVTIMEO/SO_SNDTIMEO, handshake
 * included), the frame limit of lib/rbsproto and the upload limit, and at
 * most max-connections children live at once. The child that speaks to
 * the network holds no key but the TLS one, and the stores hold sealed
 * archives only. One log line per request: client, store, request,
 * outcome.
 */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "bstore.h"
#include "buf.h"
#include "cbk_manifest.h"
#include "chan.h"
#include "cli.h"
#include "err.h"
#include "file.h"
#include "rbs.h"
#include "rbsconf.h"
#include "rbsproto.h"
#include "tls.h"

static int log_stderr;
static volatile sig_atomic_t stopping;
static volatile sig_atomic_t children;

static void
logline(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logline(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_stderr)
		fprintf(stderr, "rbs[%ld]: %s\n", (long)getpid(), line);
	else
		syslog(prio, "%s", line);
}

struct sess {
	const struct rbsconf *c;
	struct chan *ch;
	struct buf *frame;
	struct rbs_client_rec cl;
	const struct rbsconf_store *st;
	struct bstore *s;
	struct bstore_txn *t;
	int upload_r;          /* first error of the running upload */
	uint64_t uploaded;
	char peer[NI_MAXHOST + NI_MAXSERV + 2];
};

static int
role_allows(int role, uint8_t type)
{
	switch (type) {
	case RBS_TRASH:
	case RBS_UNTRASH:
	case RBS_PURGE:
	case RBS_PRUNE:
	case RBS_GC:
		return role == RBS_ROLE_ADMIN;
	case RBS_BEGIN:
	case RBS_UPLOAD:
	case RBS_COMMIT:
	case RBS_ABORT:
		return role != RBS_ROLE_RESTORE;
	default:
		return 1;
	}
}

static int
send_ok(struct sess *x, struct rbs_msg *m)
{
	struct rbs_msg ok;

	if (m == NULL) {
		memset(&ok, 0, sizeof(ok));
		m = &ok;
	}
	m->type = RBS_OK;
	return rbs_send(x->ch, m);
}

static int
send_entry(struct sess *x, const struct bstore_entry *e)
{
	struct rbs_msg m;
	struct buf *mb = NULL;
	int r;

	memset(&m, 0, sizeof(m));
	m.type = RBS_ENTRY;
	m.name = (const uint8_t *)e->name;
	m.name_len = strlen(e->name);
	m.size = e->file_size;
	m.flag = e->verified ? 1 : 0;
	m.code = (uint32_t)(e->r < 0 ? -e->r : 0);
	rbs_set(&m, RT_NAME);
	rbs_set(&m, RT_SIZE);
	rbs_set(&m, RT_FLAG);
	rbs_set(&m, RT_CODE);
	if (e->r == 0) {
		if ((r = cbk_manifest_encode(&e->m, &mb)) != 0)
			return r;
		m.manifest = buf_ptr(mb);
		m.manifest_len = buf_len(mb);
		rbs_set(&m, RT_MANIFEST);
	}
	r = rbs_send(x->ch, &m);
	buf_free(mb);
	return r;
}

/* A NUL-terminated copy of a name TLV. */
static void
msg_name(const struct rbs_msg *m, char name[BSTORE_NAME_MAX])
{
	/* a request without a name has none (memcpy from NULL is undefined
	 * even for zero bytes, and UBSan says so) */
	if (m->name != NULL && m->name_len > 0)
		memcpy(name, m->name, m->name_len);
	name[m->name != NULL ? m->name_len : 0] = '\0';
}

static int
do_list(struct sess *x, const struct rbs_msg *m)
{
	struct bstore_entry *e = NULL;
	char label[BSTORE_SERIES_MAX]; /* RT_LABEL holds at most its size - 1 */
	struct rbs_msg ok;
	size_t n, i;
	int r;

	if (RBS_HAS(m, RT_LABEL)) {
		memcpy(label, m->label, m->label_len);
		label[m->label_len] = '\0';
	}
	if ((r = bstore_list(x->s, RBS_HAS(m, RT_LABEL) ? label : NULL, &e,
	    &n)) != 0)
		return r;
	for (i = 0; i < n && r == 0; i++)
		r = send_entry(x, &e[i]);
	free(e);
	if (r != 0)
		return r;
	memset(&ok, 0, sizeof(ok));
	ok.count = n;
	rbs_set(&ok, RT_COUNT);
	return send_ok(x, &ok);
}

static int
do_read(struct sess *x, const char *name)
{
	uint8_t *b;
	struct rbs_msg d;
	ssize_t k;
	int r, fd;

	if ((r = bstore_open_backup(x->s, name, &fd)) != 0)
		return r;
	if ((b = malloc(RBS_DATA_MAX)) == NULL) {
		close(fd);
		return CE_NOMEM;
	}
	memset(&d, 0, sizeof(d));
	d.type = RBS_DATA;
	rbs_set(&d, RT_BYTES);
	for (;;) {
		if ((k = read(fd, b, RBS_DATA_MAX)) < 0) {
			if (errno == EINTR)
				continue;
			r = CE_IO;
			break;
		}
		if (k == 0)
			break;
		d.bytes = b;
		d.bytes_len = (size_t)k;
		if ((r = rbs_send(x->ch, &d)) != 0)
			break;
	}
	free(b);
	close(fd);
	return r != 0 ? r : send_ok(x, NULL);
}

static int
do_begin(struct sess *x, const struct rbs_msg *m)
{
	struct cbk_manifest cm;
	struct buf *b;
	struct rbs_msg ok;
	int r;

	if (x->t != NULL) {
		err_set_detail("an upload is running on this connection");
		return CE_PROTOCOL;
	}
	if (m->estimate > x->c->max_upload) {
		err_set_detail("the backup (about %llu MiB) is over this "
		    "server's limit of %llu MiB (max-upload-mib)",
		    (unsigned long long)(m->estimate >> 20),
		    (unsigned long long)(x->c->max_upload >> 20));
		return CE_FULL;
	}
	if ((b = buf_from(m->manifest, m->manifest_len)) == NULL)
		return CE_NOMEM;
	r = cbk_manifest_parse(b, &cm);
	buf_free(b);
	if (r != 0)
		return r;
	if ((r = bstore_begin(x->s, &cm, m->estimate, &x->t)) != 0)
		return r;
	x->upload_r = 0;
	x->uploaded = 0;
	memset(&ok, 0, sizeof(ok));
	ok.name = (const uint8_t *)bstore_txn_name(x->t);
	ok.name_len = strlen(bstore_txn_name(x->t));
	rbs_set(&ok, RT_NAME);
	return send_ok(x, &ok);
}

/*
 * Upload bytes get no answer. Past the size limit the connection ends
 * (ERR, then close); a write error is kept for COMMIT's answer.
 */
static int
do_upload(struct sess *x, const struct rbs_msg *m, int *closep)
{
	if (x->t == NULL) {
		err_set_detail("UPLOAD without BEGIN");
		*closep = 1;
		return CE_PROTOCOL;
	}
	x->uploaded += m->bytes_len;
	if (x->uploaded > x->c->max_upload) {
		err_set_detail("the upload passed this server's limit of %llu "
		    "MiB (max-upload-mib); nothing was stored",
		    (unsigned long long)(x->c->max_upload >> 20));
		*closep = 1;
		return CE_FULL;
	}
	if (x->upload_r == 0)
		x->upload_r = bstore_txn_write(x->t, m->bytes, m->bytes_len);
	return 0;
}

static int
do_commit(struct sess *x, const struct rbs_msg *m, char *name)
{
	struct cbk_manifest cm;
	struct buf *b = NULL;
	struct rbs_msg ok;
	int r;

	if (x->t == NULL) {
		err_set_detail("COMMIT without BEGIN");
		return CE_PROTOCOL;
	}
	snprintf(name, BSTORE_NAME_MAX, "%s", bstore_txn_name(x->t));
	if ((r = x->upload_r) != 0)
		goto out;
	if ((b = buf_from(m->manifest, m->manifest_len)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = cbk_manifest_parse(b, &cm)) != 0 ||
	    (r = bstore_commit(x->t, &cm, m->header, m->header_len,
	    NULL)) != 0)
		goto out;
	memset(&ok, 0, sizeof(ok));
	ok.name = (const uint8_t *)name;
	ok.name_len = strlen(name);
	rbs_set(&ok, RT_NAME);
	r = send_ok(x, &ok);
 out:
	buf_free(b);
	bstore_txn_free(x->t);
	x->t = NULL;
	return r;
}

static int
do_trash_list(struct sess *x)
{
	struct bstore_trashed *v = NULL;
	struct rbs_msg m;
	size_t n, i;
	int r;

	if ((r = bstore_trash_list(x->s, &v, &n)) != 0)
		return r;
	for (i = 0; i < n && r == 0; i++) {
		memset(&m, 0, sizeof(m));
		m.type = RBS_TRASHED;
		m.name = (const uint8_t *)v[i].name;
		m.name_len = strlen(v[i].name);
		m.deleted = (uint64_t)v[i].deleted;
		m.purge_after = (uint64_t)v[i].purge_after;
		m.size = v[i].file_size;
		rbs_set(&m, RT_NAME);
		rbs_set(&m, RT_DELETED);
		rbs_set(&m, RT_PURGE_AFTER);
		rbs_set(&m, RT_SIZE);
		r = rbs_send(x->ch, &m);
	}
	free(v);
	return r != 0 ? r : send_ok(x, NULL);
}

static int
do_prune(struct sess *x, const struct rbs_msg *m)
{
	char (*names)[BSTORE_NAME_MAX] = NULL;
	struct bstore_keep k;
	struct rbs_msg nm;
	size_t n, i;
	int r;

	k.last = m->keep[0];
	k.daily = m->keep[1];
	k.weekly = m->keep[2];
	k.monthly = m->keep[3];
	memset(k.series, 0, sizeof(k.series));
	if (RBS_HAS(m, RT_LABEL))
		memcpy(k.series, m->label, m->label_len);
	if ((r = bstore_prune(x->s, &k, m->flag, &names, &n)) != 0)
		return r;
	for (i = 0; i < n && r == 0; i++) {
		memset(&nm, 0, sizeof(nm));
		nm.type = RBS_NAME;
		nm.name = (const uint8_t *)names[i];
		nm.name_len = strlen(names[i]);
		rbs_set(&nm, RT_NAME);
		r = rbs_send(x->ch, &nm);
	}
	free(names);
	return r != 0 ? r : send_ok(x, NULL);
}

static int
do_count_answer(struct sess *x, uint64_t n)
{
	struct rbs_msg ok;

	memset(&ok, 0, sizeof(ok));
	ok.count = n;
	rbs_set(&ok, RT_COUNT);
	return send_ok(x, &ok);
}

/* One request: its answer frames, then OK or (returned) an error. */
static int
request(struct sess *x, const struct rbs_msg *m, char *name, int *closep)
{
	struct bstore_entry e;
	size_t n;
	int r;

	name[0] = '\0';
	if (RBS_HAS(m, RT_NAME))
		msg_name(m, name);
	switch (m->type) {
	case RBS_LIST:
		return do_list(x, m);
	case RBS_COUNT:
		if ((r = bstore_count(x->s, &n)) != 0)
			return r;
		return do_count_answer(x, n);
	case RBS_SHOW:
		if ((r = bstore_show(x->s, name, &e)) != 0 ||
		    (r = send_entry(x, &e)) != 0)
			return r;
		return send_ok(x, NULL);
	case RBS_VERIFY:
		memset(&e, 0, sizeof(e));
		r = bstore_verify(x->s, name, &e);
		if (e.name[0] != '\0' && (r == 0 || r == CE_INTEGRITY ||
		    r == CE_VERSION)) {
			char keep[256];
			int sr;

			snprintf(keep, sizeof(keep), "%s", err_detail());
			if ((sr = send_entry(x, &e)) != 0)
				return sr;
			err_set_detail("%s", keep);
		}
		return r != 0 ? r : send_ok(x, NULL);
	case RBS_MARK:
		if ((r = bstore_mark_verified(x->s, name, m->flag)) != 0)
			return r;
		return send_ok(x, NULL);
	case RBS_READ:
		return do_read(x, name);
	case RBS_BEGIN:
		r = do_begin(x, m);
		if (x->t != NULL)
			snprintf(name, BSTORE_NAME_MAX, "%s",
			    bstore_txn_name(x->t));
		return r;
	case RBS_UPLOAD:
		return do_upload(x, m, closep);
	case RBS_COMMIT:
		return do_commit(x, m, name);
	case RBS_ABORT:
		bstore_txn_free(x->t);
		x->t = NULL;
		return send_ok(x, NULL);
	case RBS_TRASH:
		if ((r = bstore_trash(x->s, name)) != 0)
			return r;
		return send_ok(x, NULL);
	case RBS_UNTRASH:
		if ((r = bstore_untrash(x->s, name)) != 0)
			return r;
		return send_ok(x, NULL);
	case RBS_TRASH_LIST:
		return do_trash_list(x);
	case RBS_PURGE:
		if ((r = bstore_purge(x->s, (int64_t)m->time, &n)) != 0)
			return r;
		return do_count_answer(x, n);
	case RBS_PRUNE:
		return do_prune(x, m);
	case RBS_GC:
		if ((r = bstore_gc(x->s, &n)) != 0)
			return r;
		return do_count_answer(x, n);
	default:
		err_set_detail("%s is not a request",
		    rbs_type_name(m->type));
		*closep = 1;
		return CE_PROTOCOL;
	}
}

static const char *
outcome(int r)
{
	switch (err_exit_code(r)) {
	case 0: return "ok";
	case 3: return "refused";
	case 4: return "integrity";
	default: return "failed";
	}
}

/* Finds the client by its certificate and binds the store of HELLO. */
static int
hello(struct sess *x, const uint8_t fp[TLS_FP_LEN])
{
	struct rbs_client_rec *v = NULL;
	char store[RBS_STORE_MAX + 1], fps[TLS_FP_STR_LEN + 1];
	struct rbs_msg m, ok;
	size_t n, i;
	int r;

	tls_fp_str(fp, fps);
	if ((r = rbs_recv(x->ch, x->frame, &m)) != 0) {
		logline(LOG_NOTICE, "peer=%s: no HELLO: %s%s%s", x->peer,
		    err_str(r), err_detail()[0] ? ": " : "", err_detail());
		return r;
	}
	if (m.type != RBS_HELLO) {
		err_set_detail("expected HELLO, got %s",
		    rbs_type_name(m.type));
		r = CE_PROTOCOL;
		goto refuse;
	}
	memcpy(store, m.store, m.store_len);
	store[m.store_len] = '\0';
	if (m.version != RBS_VERSION) {
		err_set_detail("protocol version %u is not spoken here (this "
		    "server speaks %u); use a matching Coffer", m.version,
		    RBS_VERSION);
		r = CE_VERSION;
		goto refuse;
	}
	if ((r = rbsreg_load(x->c->state, &v, &n)) != 0)
		goto refuse;
	for (i = 0; i < n && memcmp(v[i].fp, fp, TLS_FP_LEN) != 0; i++)
		;
	if (i == n) {
		err_set_detail("this client's certificate (%s) is not "
		    "registered on the server; its admin adds it with 'rbs "
		    "client add'", fps);
		r = CE_PERMISSION;
		goto refuse;
	}
	x->cl = v[i];
	if (x->cl.revoked) {
		err_set_detail("client '%s' is revoked on this server",
		    x->cl.name);
		r = CE_PERMISSION;
		goto refuse;
	}
	if ((x->st = rbsconf_store(x->c, store)) == NULL ||
	    !rbsreg_allows(&x->cl, store)) {
		err_set_detail("client '%s' may not use store '%s' on this "
		    "server (its stores: %s)", x->cl.name, store,
		    x->cl.stores);
		r = CE_PERMISSION;
		goto refuse;
	}
	if ((r = bstore_open(x->st->uri, &x->s)) != 0)
		goto refuse;
	bstore_check_commits(x->s);
	memset(&ok, 0, sizeof(ok));
	ok.capacity = bstore_config(x->s)->capacity;
	ok.grace = bstore_config(x->s)->grace_days;
	ok.role = (uint8_t)x->cl.role;
	rbs_set(&ok, RT_CAPACITY);
	rbs_set(&ok, RT_GRACE);
	rbs_set(&ok, RT_ROLE);
	if ((r = send_ok(x, &ok)) != 0)
		goto out;
	logline(LOG_INFO, "client=%s store=%s op=HELLO role=%s peer=%s "
	    "outcome=ok", x->cl.name, store, rbs_role_name(x->cl.role),
	    x->peer);
	goto out;
 refuse:
	logline(LOG_WARNING, "client=%s store=%s op=HELLO peer=%s cert=%s "
	    "outcome=%s: %s", x->cl.name[0] ? x->cl.name : "-", store,
	    x->peer, fps, outcome(r), err_detail());
	(void)rbs_send_err(x->ch, r);
 out:
	free(v);
	return r;
}

static void
session(const struct rbsconf *c, struct tls_ctx *ctx, int fd,
    const char *peer)
{
	struct sess x;
	struct tls_conn *t = NULL;
	struct timeval tv;
	struct rbs_msg m;
	char name[BSTORE_NAME_MAX];
	int r, closing = 0;

	memset(&x, 0, sizeof(x));
	x.c = c;
	snprintf(x.peer, sizeof(x.peer), "%s", peer);
	tv.tv_sec = c->idle_timeout;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((r = tls_handshake(ctx, fd, &t)) != 0) {
		logline(LOG_NOTICE, "peer=%s: TLS handshake refused: %s",
		    peer, err_detail());
		return;
	}
	{
		uint8_t fp[TLS_FP_LEN];

		memcpy(fp, tls_peer_fp(t), TLS_FP_LEN);
		if ((r = tls_chan_new(t, &x.ch)) != 0 ||
		    (x.frame = buf_new(RBS_FRAME_MAX)) == NULL)
			goto out;
		if (hello(&x, fp) != 0)
			goto out;
	}
	while (!closing) {
		if ((r = rbs_recv(x.ch, x.frame, &m)) != 0) {
			if (r != CE_PEER_CLOSED || x.t != NULL)
				logline(LOG_NOTICE, "client=%s store=%s "
				    "peer=%s: connection ended: %s%s%s%s",
				    x.cl.name, x.st->name, peer, err_str(r),
				    err_detail()[0] ? ": " : "", err_detail(),
				    x.t != NULL ? " (upload abandoned)" : "");
			break;
		}
		if (!role_allows(x.cl.role, m.type)) {
			msg_name(&m, name);
			err_set_detail("client '%s' has role %s on '%s': %s is "
			    "refused (%s)", x.cl.name,
			    rbs_role_name(x.cl.role), x.st->name,
			    rbs_type_name(m.type), x.cl.role ==
			    RBS_ROLE_BACKUP ? "append-only: backups are "
			    "never removed by a backup client" :
			    "read-only");
			r = CE_PERMISSION;
			if (m.type == RBS_UPLOAD)
				closing = 1;
		} else
			r = request(&x, &m, name, &closing);
		if (m.type == RBS_UPLOAD && r == 0)
			continue; /* no answer, no line: COMMIT logs it */
		logline(r == 0 ? LOG_INFO : LOG_WARNING, "client=%s store=%s "
		    "op=%s%s%s outcome=%s%s%s", x.cl.name, x.st->name,
		    rbs_type_name(m.type), name[0] ? " name=" : "", name,
		    outcome(r), r ? ": " : "", r ? err_detail() : "");
		if (r != 0 && rbs_send_err(x.ch, r) != 0)
			break;
		err_set_detail(NULL);
	}
 out:
	bstore_txn_free(x.t);
	bstore_close(x.s);
	buf_free(x.frame);
	if (x.ch != NULL)
		chan_free(x.ch);
	else
		tls_conn_free(t);
}

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		return;
	stopping = 1;
}

static int
listen_on(const struct rbsconf *c, int *fdp, char *where, size_t wsize)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[NI_MAXHOST], p[NI_MAXSERV];
	int fd, one = 1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((e = getaddrinfo(c->host, c->port, &hints, &res)) != 0) {
		err_set_detail("listen %s:%s: %s", c->host, c->port,
		    gai_strerror(e));
		return CE_USAGE;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		err_set_detail("cannot listen on %s:%s: %s", c->host, c->port,
		    strerror(e));
		return CE_IO;
	}
	freeaddrinfo(res);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		close(fd);
		err_set_detail("cannot read the listening address");
		return CE_IO;
	}
	snprintf(where, wsize, "%s:%s", h, p);
	*fdp = fd;
	return 0;
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		err_set_detail("no user '%s' (the 'user' line)", user);
		return CE_NOT_FOUND;
	}
	if (getuid() == pw->pw_uid)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
		err_set_detail("cannot become user '%s': %s", user,
		    strerror(errno));
		return CE_PERMISSION;
	}
	return 0;
}

static void
peer_name(const struct sockaddr_storage *ss, socklen_t sl, char *out,
    size_t size)
{
	char h[NI_MAXHOST], p[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)ss, sl, h, sizeof(h), p,
	    sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, size, "?");
	else
		snprintf(out, size, "%s:%s", h, p);
}

int
serve_main(const struct rbsconf *c, const char *port_file, int to_stderr)
{
	struct tls_ctx *ctx = NULL;
	struct sigaction sa;
	char where[NI_MAXHOST + NI_MAXSERV + 2], fps[TLS_FP_STR_LEN + 1];
	char cert[RBSCONF_PATH_MAX + 16];
	uint8_t fp[TLS_FP_LEN];
	size_t i;
	int r, lfd = -1;

	log_stderr = to_stderr;
	if (!to_stderr)
		openlog("rbs", LOG_PID, LOG_DAEMON);
	snprintf(cert, sizeof(cert), "%s/" TLS_CERT_FILE, c->state);
	if ((r = tls_ctx_new(1, c->state, &ctx)) != 0 ||
	    (r = tls_cert_file_fp(cert, fp)) != 0 ||
	    (r = listen_on(c, &lfd, where, sizeof(where))) != 0 ||
	    (r = drop_privileges(c->user)) != 0)
		goto fail;
	for (i = 0; i < c->nstores; i++) {
		struct bstore *s;

		if ((r = bstore_open(c->stores[i].uri, &s)) != 0) {
			logline(LOG_ERR, "store %s (%s): %s: %s",
			    c->stores[i].name, c->stores[i].uri, err_str(r),
			    err_detail());
			goto fail;
		}
		bstore_close(s);
	}
	if (port_file != NULL) {
		const char *colon = strrchr(where, ':');
		char text[16];

		snprintf(text, sizeof(text), "%s\n", colon + 1);
		if ((r = file_write_atomic(port_file, text, strlen(text),
		    0644)) != 0)
			goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	tls_fp_str(fp, fps);
	logline(LOG_NOTICE, "listening on %s, %zu store%s, at most %u "
	    "connections, idle timeout %us; server fingerprint %s", where,
	    c->nstores, c->nstores == 1 ? "" : "s", c->max_conn,
	    c->idle_timeout, fps);
	while (!stopping) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct pollfd pfd = { lfd, POLLIN, 0 };
		char peer[NI_MAXHOST + NI_MAXSERV + 2];
		pid_t pid;
		int fd;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			children--;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_CLOEXEC)) < 0)
			continue;
		peer_name(&ss, sl, peer, sizeof(peer));
		if (children >= (sig_atomic_t)c->max_conn) {
			logline(LOG_WARNING, "peer=%s: refused: %u connections "
			    "already (max-connections)", peer, c->max_conn);
			close(fd);
			continue;
		}
		if ((pid = fork()) < 0) {
			logline(LOG_ERR, "cannot fork: %s", strerror(errno));
			close(fd);
			continue;
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGCHLD, SIG_DFL);
			close(lfd);
			session(c, ctx, fd, peer);
			tls_ctx_free(ctx);
			_exit(0);
		}
		children++;
		close(fd);
	}
	logline(LOG_NOTICE, "stopping");
	close(lfd);
	tls_ctx_free(ctx);
	return EXIT_DONE;
 fail:
	if (lfd >= 0)
		close(lfd);
	tls_ctx_free(ctx);
	return cli_fail(PROG, r, "cannot serve");
}
