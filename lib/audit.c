#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "err.h"
#include "store.h"

static const char mac_sep[] = ",\"mac\":\"";
#define MAC_HEX (2 * CC_HASH_LEN)

static int
put_str(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

/* JSON string with the escapes audit_parse understands. */
static int
put_json_str(struct buf *b, const char *s)
{
	const unsigned char *p;
	char esc[8];
	int r = 0;

	if ((r = buf_put_u8(b, '"')) != 0)
		return r;
	for (p = (const unsigned char *)s; *p && r == 0; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			r = buf_put(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			r = buf_put(b, esc, 6);
		} else
			r = buf_put_u8(b, *p);
	}
	return r ? r : buf_put_u8(b, '"');
}

static int
put_field_str(struct buf *b, const char *key, const char *v)
{
	int r;

	if (v == NULL)
		return 0;
	if ((r = buf_put_u8(b, ',')) != 0 || (r = put_json_str(b, key)) != 0 ||
	    (r = buf_put_u8(b, ':')) != 0)
		return r;
	return put_json_str(b, v);
}

static int
put_field_int(struct buf *b, const char *key, int64_t v)
{
	char num[32];
	int r;

	snprintf(num, sizeof(num), "%" PRId64, v);
	if ((r = buf_put_u8(b, ',')) != 0 || (r = put_json_str(b, key)) != 0 ||
	    (r = buf_put_u8(b, ':')) != 0)
		return r;
	return put_str(b, num);
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Reads key, seq, head and size from the hsm row. */
static int
head_get(struct store *st, uint8_t key[AUDIT_KEY_LEN], uint64_t *seqp,
    uint8_t headp[CC_HASH_LEN], uint64_t *sizep)
{
	sqlite3_stmt *q;
	int r, rc;

	if ((r = store_prepare(st, "SELECT audit_key, audit_seq, audit_head, "
	    "audit_size FROM hsm WHERE id = 1", &q)) != 0)
		return r;
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CE_NOT_FOUND : store_err(st, rc);
		goto out;
	}
	if (sqlite3_column_bytes(q, 0) != AUDIT_KEY_LEN ||
	    sqlite3_column_bytes(q, 2) != CC_HASH_LEN) {
		err_set_detail("audit head in hsm.db is malformed");
		r = CE_INTEGRITY;
		goto out;
	}
	if (key != NULL)
		memcpy(key, sqlite3_column_blob(q, 0), AUDIT_KEY_LEN);
	*seqp = (uint64_t)sqlite3_column_int64(q, 1);
	memcpy(headp, sqlite3_column_blob(q, 2), CC_HASH_LEN);
	*sizep = (uint64_t)sqlite3_column_int64(q, 3);
	r = 0;
 out:
	sqlite3_reset(q);
	return r;
}

int
audit_committed_size(struct store *st, uint64_t *sizep)
{
	uint8_t head[CC_HASH_LEN];
	uint64_t seq;

	return head_get(st, NULL, &seq, head, sizep);
}

int
audit_truncate(const char *logpath, uint64_t size)
{
	struct stat sb;

	if (stat(logpath, &sb) != 0)
		return errno == ENOENT && size == 0 ? 0 : CE_IO;
	if ((uint64_t)sb.st_size <= size)
		return 0;
	if (truncate(logpath, (off_t)size) != 0) {
		err_set_detail("cannot truncate %s: %s", logpath,
		    strerror(errno));
		return CE_IO;
	}
	return 0;
}

int
audit_append(struct store *st, const char *logpath,
    const struct audit_event *ev)
{
	uint8_t key[AUDIT_KEY_LEN], head[CC_HASH_LEN], mac[CC_HASH_LEN];
	uint8_t *in = NULL;
	char tbuf[21], machex[MAC_HEX + 1];
	uint64_t seq, size;
	struct buf *b = NULL;
	sqlite3_stmt *q;
	ssize_t w;
	size_t n;
	int r, rc, fd = -1;

	if (!store_in_tx(st)) {
		err_set_detail("audit_append outside a transaction");
		return CE_INVALID;
	}
	if ((r = head_get(st, key, &seq, head, &size)) != 0)
		goto out;
	seq++;
	if ((b = buf_new(AUDIT_LINE_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	cli_time_iso((int64_t)time(NULL), tbuf);
	if ((r = put_str(b, "{\"seq\":")) != 0)
		goto out;
	{
		char num[24];

		snprintf(num, sizeof(num), "%" PRIu64, seq);
		if ((r = put_str(b, num)) != 0)
			goto out;
	}
	if ((r = put_field_str(b, "time", tbuf)) != 0 ||
	    (r = put_field_str(b, "event", ev->event)) != 0 ||
	    (r = put_field_str(b, "result", ev->ok ? "ok" : "fail")) != 0 ||
	    (r = put_field_str(b, "role", ev->role)) != 0 ||
	    (r = put_field_str(b, "partition", ev->partition)) != 0 ||
	    (ev->serial != 0 &&
	    (r = put_field_int(b, "serial", (int64_t)ev->serial)) != 0) ||
	    (r = put_field_str(b, "object", ev->object)) != 0 ||
	    (r = put_field_str(b, "detail", ev->detail)) != 0 ||
	    (ev->count >= 0 &&
	    (r = put_field_int(b, "count", ev->count)) != 0))
		goto out;
	/* MAC over previous MAC || line so far. */
	n = buf_len(b);
	if ((in = malloc(CC_HASH_LEN + n)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	memcpy(in, head, CC_HASH_LEN);
	memcpy(in + CC_HASH_LEN, buf_ptr(b), n);
	if ((r = cc_hmac_sha384(key, sizeof(key), in, CC_HASH_LEN + n, mac)) != 0)
		goto out;
	hex(mac, sizeof(mac), machex);
	if ((r = put_str(b, mac_sep)) != 0 || (r = put_str(b, machex)) != 0 ||
	    (r = put_str(b, "\"}\n")) != 0)
		goto out;
	if ((fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) < 0) {
		err_set_detail("cannot open %s: %s", logpath, strerror(errno));
		r = CE_IO;
		goto out;
	}
	/* Drop any unanchored tail first (a crash between append and commit). */
	if ((r = audit_truncate(logpath, size)) != 0)
		goto out;
	w = write(fd, buf_ptr(b), buf_len(b));
	if (w < 0 || (size_t)w != buf_len(b) || fsync(fd) != 0) {
		err_set_detail("cannot write %s: %s", logpath, strerror(errno));
		(void)audit_truncate(logpath, size);
		r = CE_IO;
		goto out;
	}
	if ((r = store_prepare(st, "UPDATE hsm SET audit_seq = ?, "
	    "audit_head = ?, audit_size = ? WHERE id = 1", &q)) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, (int64_t)seq);
	sqlite3_bind_blob(q, 2, mac, sizeof(mac), SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, (int64_t)(size + buf_len(b)));
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		r = store_err(st, rc);
		(void)audit_truncate(logpath, size);
		goto out;
	}
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	free(in);
	buf_free(b);
	sodium_memzero(key, sizeof(key));
	return r;
}

/* --- parsing ------------------------------------------------------------ */

static int
get_json_str(struct buf *b, char *out, size_t max)
{
	uint8_t c;
	size_t n = 0;
	int r;
	unsigned int v;
	char h[5];

	if ((r = buf_get_u8(b, &c)) != 0 || c != '"')
		return CE_FORMAT;
	for (;;) {
		if ((r = buf_get_u8(b, &c)) != 0)
			return CE_FORMAT;
		if (c == '"')
			break;
		if (c == '\\') {
			if ((r = buf_get_u8(b, &c)) != 0)
				return CE_FORMAT;
			if (c == 'u') {
				if ((r = buf_get(b, h, 4)) != 0)
					return CE_FORMAT;
				h[4] = '\0';
				if (sscanf(h, "%4x", &v) != 1 || v > 0xff)
					return CE_FORMAT;
				c = (uint8_t)v;
			} else if (c != '"' && c != '\\')
				return CE_FORMAT;
		} else if (c < 0x20)
			return CE_FORMAT;
		if (out != NULL && n + 1 < max)
			out[n++] = (char)c;
	}
	if (out != NULL && max > 0)
		out[n] = '\0';
	return 0;
}

static int
get_json_int(struct buf *b, int64_t *vp)
{
	uint8_t c;
	int neg = 0, digits = 0;
	int64_t v = 0;

	if (buf_len(b) > 0 && buf_ptr(b)[0] == '-') {
		neg = 1;
		(void)buf_skip(b, 1);
	}
	while (buf_len(b) > 0 && buf_ptr(b)[0] >= '0' && buf_ptr(b)[0] <= '9') {
		(void)buf_get_u8(b, &c);
		if (v > (INT64_MAX - 9) / 10)
			return CE_FORMAT;
		v = v * 10 + (c - '0');
		digits++;
	}
	if (digits == 0)
		return CE_FORMAT;
	*vp = neg ? -v : v;
	return 0;
}

int
audit_parse(const char *line, size_t len, struct audit_rec *recp)
{
	struct buf *b;
	struct audit_rec rec;
	char key[16];
	char *dst;
	size_t dmax;
	int64_t v;
	uint8_t c;
	int r = CE_FORMAT, first = 1;


	memset(&rec, 0, sizeof(rec));
	rec.count = -1;
	if (len > AUDIT_LINE_MAX)
		return CE_TOO_LONG;
	if ((b = buf_from(line, len)) == NULL)
		return CE_NOMEM;
	if (buf_get_u8(b, &c) != 0 || c != '{')
		goto out;
	for (;;) {
		if (buf_len(b) > 0 && buf_ptr(b)[0] == '}') {
			(void)buf_skip(b, 1);
			break;
		}
		if (!first && (buf_get_u8(b, &c) != 0 || c != ','))
			goto out;
		first = 0;
		if (get_json_str(b, key, sizeof(key)) != 0)
			goto out;
		if (buf_get_u8(b, &c) != 0 || c != ':')
			goto out;
		dst = NULL;
		dmax = 0;
		if (strcmp(key, "time") == 0) {
			dst = rec.time;
			dmax = sizeof(rec.time);
		} else if (strcmp(key, "event") == 0) {
			dst = rec.event;
			dmax = sizeof(rec.event);
		} else if (strcmp(key, "result") == 0) {
			dst = rec.result;
			dmax = sizeof(rec.result);
		} else if (strcmp(key, "role") == 0) {
			dst = rec.role;
			dmax = sizeof(rec.role);
		} else if (strcmp(key, "partition") == 0) {
			dst = rec.partition;
			dmax = sizeof(rec.partition);
		} else if (strcmp(key, "object") == 0) {
			dst = rec.object;
			dmax = sizeof(rec.object);
		} else if (strcmp(key, "detail") == 0) {
			dst = rec.detail;
			dmax = sizeof(rec.detail);
		}
		if (buf_len(b) > 0 && buf_ptr(b)[0] == '"') {
			if (get_json_str(b, dst, dmax) != 0)
				goto out;
		} else {
			if (get_json_int(b, &v) != 0)
				goto out;
			if (strcmp(key, "seq") == 0)
				rec.seq = (uint64_t)v;
			else if (strcmp(key, "serial") == 0)
				rec.serial = (uint64_t)v;
			else if (strcmp(key, "count") == 0)
				rec.count = v;
		}
	}
	if (buf_end(b) != 0 || rec.seq == 0)
		goto out;
	*recp = rec;
	r = 0;
 out:
	buf_free(b);
	return r;
}

int
audit_foreach(const char *logpath,
    int (*cb)(void *ctx, const char *line, size_t len), void *ctx)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	if ((f = fopen(logpath, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		err_set_detail("cannot open %s: %s", logpath, strerror(errno));
		return CE_IO;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if ((r = cb(ctx, line, (size_t)n)) != 0)
			break;
	}
	free(line);
	fclose(f);
	return r;
}

struct verify_ctx {
	uint8_t key[AUDIT_KEY_LEN];
	uint8_t prev[CC_HASH_LEN];
	uint64_t line;
	uint64_t bytes;
	int limited;    /* stop once limit bytes were read */
	uint64_t limit;
	struct audit_rec last;
};

static int
unhex(const char *h, uint8_t *out, size_t n)
{
	size_t i;
	unsigned int hi, lo;

	for (i = 0; i < n; i++) {
		char a = h[2 * i], c = h[2 * i + 1];

		hi = (unsigned)(a >= '0' && a <= '9' ? a - '0' :
		    a >= 'a' && a <= 'f' ? a - 'a' + 10 : 99);
		lo = (unsigned)(c >= '0' && c <= '9' ? c - '0' :
		    c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99);
		if (hi > 15 || lo > 15)
			return CE_FORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
verify_line(void *vctx, const char *line, size_t len)
{
	struct verify_ctx *c = vctx;
	struct audit_rec rec;
	uint8_t want[CC_HASH_LEN], got[CC_HASH_LEN], *in = NULL;
	size_t body, tail = sizeof(mac_sep) - 1 + MAC_HEX + 2;
	int r;

	if (c->limited && c->bytes >= c->limit)
		return 1; /* the committed part is done: stop, not an error */
	c->line++;
	c->bytes += len + 1;
	if (len < tail || memcmp(line + len - 2, "\"}", 2) != 0 ||
	    memcmp(line + len - tail, mac_sep, sizeof(mac_sep) - 1) != 0 ||
	    unhex(line + len - MAC_HEX - 2, want, CC_HASH_LEN) != 0 ||
	    audit_parse(line, len, &rec) != 0) {
		err_set_detail("audit.log line %llu is malformed (edited)",
		    (unsigned long long)c->line);
		return CE_INTEGRITY;
	}
	body = len - tail;
	if ((in = malloc(CC_HASH_LEN + body)) == NULL)
		return CE_NOMEM;
	memcpy(in, c->prev, CC_HASH_LEN);
	memcpy(in + CC_HASH_LEN, line, body);
	r = cc_hmac_sha384(c->key, sizeof(c->key), in, CC_HASH_LEN + body, got);
	free(in);
	if (r != 0)
		return r;
	if (!cc_memeq(got, want, CC_HASH_LEN)) {
		if (rec.seq != c->line)
			err_set_detail("audit.log line %llu carries sequence %llu: "
			    "records were deleted or reordered",
			    (unsigned long long)c->line,
			    (unsigned long long)rec.seq);
		else
			err_set_detail("audit.log line %llu (seq %llu) fails its "
			    "MAC: the record was edited or the one before it "
			    "was removed", (unsigned long long)c->line,
			    (unsigned long long)rec.seq);
		return CE_INTEGRITY;
	}
	if (rec.seq != c->line) {
		err_set_detail("audit.log line %llu carries sequence %llu",
		    (unsigned long long)c->line, (unsigned long long)rec.seq);
		return CE_INTEGRITY;
	}
	memcpy(c->prev, got, CC_HASH_LEN);
	c->last = rec;
	return 0;
}

/* Tails longer than this are never one interrupted command's record. */
#define TAIL_READ_MAX (2 * AUDIT_LINE_MAX + 2)

int
audit_tail(struct store *st, const char *logpath, struct audit_tail *t)
{
	struct verify_ctx c;
	uint8_t *p = NULL, head[CC_HASH_LEN];
	struct stat sb;
	uint64_t seq, size, i;
	ssize_t n;
	int r, fd = -1;

	memset(t, 0, sizeof(*t));
	memset(&c, 0, sizeof(c));
	if ((r = head_get(st, c.key, &seq, head, &size)) != 0)
		goto out;
	t->committed = size;
	if ((fd = open(logpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		r = errno == ENOENT ? 0 : CE_IO;
		if (r != 0)
			err_set_detail("cannot open %s: %s", logpath,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		err_set_detail("%s is not a regular file", logpath);
		r = CE_IO;
		goto out;
	}
	if ((uint64_t)sb.st_size <= size) {
		r = 0; /* nothing past the head (a cut log is verify's news) */
		goto out;
	}
	t->bytes = (uint64_t)sb.st_size - size;
	if ((p = malloc(TAIL_READ_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	n = pread(fd, p, TAIL_READ_MAX, (off_t)size);
	if (n < 0) {
		err_set_detail("cannot read %s: %s", logpath, strerror(errno));
		r = CE_IO;
		goto out;
	}
	for (i = 0; i < (uint64_t)n; i++)
		if (p[i] == '\n')
			t->lines++;
	if ((uint64_t)n == 0 || p[n - 1] != '\n')
		t->lines++; /* a partial last line */
	t->kind = AUDIT_TAIL_FOREIGN;
	if (t->bytes > TAIL_READ_MAX - 1) {
		r = 0; /* far more than one record */
		goto out;
	}
	if (t->lines == 1 && p[n - 1] != '\n') {
		/* killed while writing its line: part of one record */
		t->kind = AUDIT_TAIL_CRASH;
		r = 0;
		goto out;
	}
	/* One whole record that chains from the head, next in sequence. */
	memcpy(c.prev, head, CC_HASH_LEN);
	c.line = seq;
	if (t->lines == 1 && verify_line(&c, (const char *)p,
	    (size_t)n - 1) == 0) {
		t->kind = AUDIT_TAIL_CRASH;
		t->seq = c.last.seq;
		snprintf(t->event, sizeof(t->event), "%s", c.last.event);
	}
	err_set_detail(NULL);
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	free(p);
	sodium_memzero(c.key, sizeof(c.key));
	return r;
}

int
audit_verify(struct store *st, const char *logpath,
    struct audit_report *repp)
{
	struct verify_ctx c;
	struct audit_report rep;
	struct audit_tail t;
	uint8_t head[CC_HASH_LEN];
	uint64_t seq, size;
	struct stat sb;
	int r;

	memset(&c, 0, sizeof(c));
	memset(&rep, 0, sizeof(rep));
	if ((r = head_get(st, c.key, &seq, head, &size)) != 0)
		goto out;
	rep.head_seq = seq;
	if (stat(logpath, &sb) != 0 && errno != ENOENT) {
		r = CE_IO;
		goto out;
	}
	if ((r = audit_tail(st, logpath, &t)) != 0)
		goto out;
	/* An interrupted command's own record: check what is committed and
	 * report the tail; the next write drops it and says so. */
	if (t.kind == AUDIT_TAIL_CRASH) {
		c.limited = 1;
		c.limit = size;
		rep.crash_tail = 1;
		rep.tail_seq = t.seq;
		snprintf(rep.tail_event, sizeof(rep.tail_event), "%s", t.event);
	}
	r = audit_foreach(logpath, verify_line, &c);
	if (r == 1)
		r = 0; /* stopped at the limit */
	rep.records = c.line - (r != 0 ? 1 : 0);
	if (r != 0) {
		rep.bad_line = c.line;
		goto out;
	}
	if (c.line < seq) {
		err_set_detail("audit.log ends at record %llu but hsm.db "
		    "recorded %llu: the log was truncated",
		    (unsigned long long)c.line, (unsigned long long)seq);
		rep.bad_line = c.line + 1;
		r = CE_INTEGRITY;
		goto out;
	}
	if (c.line > seq) {
		err_set_detail("audit.log has %llu committed-looking records "
		    "past the head recorded in hsm.db (record %llu): hsm.db is "
		    "older than the log (restored from an old copy?) or the log "
		    "was extended. Nothing was dropped and writes are refused; "
		    "keep both files for the investigation, then 'hsm audit "
		    "quarantine DIR' moves those records into a file of their "
		    "own and records that it did", (unsigned long long)(c.line -
		    seq), (unsigned long long)seq);
		rep.bad_line = seq + 1;
		r = CE_INTEGRITY;
		goto out;
	}
	if (!cc_memeq(c.prev, head, CC_HASH_LEN) || c.bytes != size) {
		err_set_detail("audit.log's last record does not match the "
		    "head recorded in hsm.db");
		rep.bad_line = c.line;
		r = CE_INTEGRITY;
		goto out;
	}
	r = 0;
 out:
	sodium_memzero(c.key, sizeof(c.key));
	if (repp != NULL)
		*repp = rep;
	return r;
}
