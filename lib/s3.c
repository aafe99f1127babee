/*
 * s3: requests to an S3 endpoint through libcurl (s3.h). One easy handle
 * per client, so a walk over many objects reuses one connection.
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "s3_int.h"
#include "secret.h"
#include "utc.h"

#define CONNECT_TIMEOUT 10L
#define STALL_SECONDS 60L      /* below 1 byte/s this long: the peer is gone */
#define ERROR_BODY_MAX (64u * 1024)
#define URL_MAX (S3_KEY_MAX * 3 + 3 * S3_VAL_MAX + 1024)

struct s3 {
	CURL *c;
	struct s3_conf conf;
	char bucket[64];
	char where[600];
	char sigv4[96];
};

/* One request: what to send and where the answer goes. */
struct req {
	const char *method;
	const char *key;            /* NULL: the bucket itself */
	const char *query;          /* canonical: sorted, encoded; or NULL */
	const struct s3_lock *lock;
	const char *copy_source;    /* x-amz-copy-source */
	int lock_bucket;            /* x-amz-bucket-object-lock-enabled */
	const void *body;           /* memory body, or */
	int in_fd;                  /* file body [in_off, in_off+in_len) */
	uint64_t in_off, in_len, in_done;
	size_t body_len, body_done;
	const char *range;          /* "a-b" */
	struct buf *out;            /* the answer's body (bounded), or */
	int out_fd;                 /* a 2xx body appended here */
	int out_err;                /* errno of a failed write to out_fd */
	struct buf *err_body;       /* a non-2xx body, for its message */
	CURL *c;
	long status;
	struct s3_head head;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void
curl_start(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int
s3_open(const char *bucket, struct s3 **sp)
{
	struct s3 *s;
	int r;

	pthread_once(&curl_once, curl_start);
	if (!curl_ok) {
		err_set_detail("libcurl did not initialize");
		return CE_IO;
	}
	if (strlen(bucket) < 3 || strlen(bucket) > 63 ||
	    strspn(bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
	    strlen(bucket)) {
		err_set_detail("'%s' is not an S3 bucket name (3 to 63 of a-z "
		    "0-9 . -)", bucket);
		return CE_USAGE;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CE_NOMEM;
	if ((r = s3_conf_load(&s->conf)) != 0) {
		free(s);
		return r;
	}
	if ((s->c = curl_easy_init()) == NULL) {
		s3_close(s);
		return CE_NOMEM;
	}
	snprintf(s->bucket, sizeof(s->bucket), "%s", bucket);
	snprintf(s->where, sizeof(s->where), "%s/%s", s->conf.endpoint,
	    bucket);
	snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:s3", s->conf.region);
	*sp = s;
	return 0;
}

void
s3_close(struct s3 *s)
{
	if (s == NULL)
		return;
	if (s->c != NULL)
		curl_easy_cleanup(s->c);
	s3_conf_clear(&s->conf);
	free(s);
}

const char *
s3_where(const struct s3 *s)
{
	return s->where;
}

/* --- one request --- */

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct req *q = ud;
	size_t len = size * n, k;
	ssize_t w;

	if (q->status == 0)
		curl_easy_getinfo(q->c, CURLINFO_RESPONSE_CODE, &q->status);
	if (q->status >= 200 && q->status < 300 && q->out_fd >= 0) {
		for (k = 0; k < len; k += (size_t)w)
			if ((w = write(q->out_fd, p + k, len - k)) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				q->out_err = errno;
				return 0;
			}
		return len;
	}
	if (q->status >= 200 && q->status < 300 && q->out != NULL)
		return buf_put(q->out, p, len) == 0 ? len : 0;
	/* An error's body: kept up to a bound for its message. */
	if (q->err_body != NULL && buf_len(q->err_body) + len <= ERROR_BODY_MAX)
		(void)buf_put(q->err_body, p, len);
	return len;
}

static size_t
on_send(char *p, size_t size, size_t n, void *ud)
{
	struct req *q = ud;
	size_t want = size * n;
	ssize_t got;

	if (q->in_fd < 0) {
		if (want > q->body_len - q->body_done)
			want = q->body_len - q->body_done;
		memcpy(p, (const uint8_t *)q->body + q->body_done, want);
		q->body_done += want;
		return want;
	}
	if (want > q->in_len - q->in_done)
		want = (size_t)(q->in_len - q->in_done);
	if (want == 0)
		return 0;
	do
		got = pread(q->in_fd, p, want, (off_t)(q->in_off + q->in_done));
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return CURL_READFUNC_ABORT;
	q->in_done += (uint64_t)got;
	return (size_t)got;
}

static void
trim_copy(char *dst, size_t size, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' '))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct req *q = ud;
	size_t len = size * n;
	const char *colon = memchr(p, ':', len);
	char v[128];
	size_t k;

	if (colon == NULL)
		return len;
	k = (size_t)(colon - p);
	colon++;
#define IS(name) (k == sizeof(name) - 1 && strncasecmp(p, name, k) == 0)
	if (IS("ETag"))
		trim_copy(q->head.etag, sizeof(q->head.etag), colon,
		    len - k - 1);
	else if (IS("x-amz-version-id"))
		trim_copy(q->head.version_id, sizeof(q->head.version_id), colon,
		    len - k - 1);
	else if (IS("x-amz-object-lock-mode"))
		trim_copy(q->head.lock_mode, sizeof(q->head.lock_mode), colon,
		    len - k - 1);
	else if (IS("x-amz-object-lock-retain-until-date")) {
		trim_copy(v, sizeof(v), colon, len - k - 1);
		if (s3_parse_time(v, &q->head.lock_until) != 0)
			q->head.lock_until = 0;
	} else if (IS("Content-Length")) {
		trim_copy(v, sizeof(v), colon, len - k - 1);
		q->head.size = strtoull(v, NULL, 10);
	}
#undef IS
	return len;
}

/* The detail of a refused request, from its XML error if it has one. */
static int
http_error(struct s3 *s, struct req *q)
{
	struct s3_top top;
	const char *what = q->key != NULL ? q->key : s->bucket;

	memset(&top, 0, sizeof(top));
	if (q->err_body != NULL && buf_len(q->err_body) > 0)
		(void)s3_xml_parse((const char *)buf_ptr(q->err_body),
		    buf_len(q->err_body), &top, NULL, NULL);
	if (q->status == 404) {
		if (strcmp(top.code, "NoSuchBucket") == 0)
			err_set_detail("%s: no such bucket; create it with "
			    "'backupd init s3://%s/PREFIX'", s->where,
			    s->bucket);
		else
			err_set_detail("%s: no object '%s'", s->where, what);
		return CE_NOT_FOUND;
	}
	if (q->status == 409 && strncmp(top.code, "BucketAlready", 13) == 0) {
		err_set_detail("%s: the bucket exists already", s->where);
		return CE_EXISTS;
	}
	if (q->status == 403 && (strstr(top.message, "lock") != NULL ||
	    strstr(top.message, "retention") != NULL ||
	    strcmp(top.code, "AccessDenied") == 0) && strcmp(q->method,
	    "DELETE") == 0) {
		err_set_detail("%s: the server refuses to remove '%s' (%s%s%s)",
		    s->where, what, top.code[0] ? top.code : "403",
		    top.message[0] ? ": " : "", top.message);
		return CE_POLICY;
	}
	if (q->status == 403 || q->status == 401) {
		err_set_detail("%s: access denied for %s %s (%s); check the "
		    "access key, its secret and the bucket's policy", s->where,
		    q->method, what, top.code[0] ? top.code : "403");
		return CE_PERMISSION;
	}
	if (strcmp(top.code, "QuotaExceeded") == 0 || q->status == 507 ||
	    strcmp(top.code, "EntityTooLarge") == 0) {
		err_set_detail("%s: the store is full (%s); free space or raise "
		    "the quota", s->where, top.code[0] ? top.code : "507");
		return CE_FULL;
	}
	err_set_detail("%s: %s %s answered HTTP %ld%s%s%s%s", s->where,
	    q->method, what, q->status, top.code[0] ? " " : "", top.code,
	    top.message[0] ? ": " : "", top.message);
	return q->status >= 500 ? CE_IO : CE_PROTOCOL;
}

static int
run(struct s3 *s, struct req *q)
{
	struct curl_slist *h = NULL, *h2;
	char url[URL_MAX], ekey[S3_KEY_MAX * 3 + 1], line[S3_KEY_MAX * 3 + 200];
	char iso[UTC_ISO_LEN + 1];
	CURL *c = s->c;
	CURLcode cr;
	int r;

	if (q->key != NULL && (r = s3_encode(q->key, 1, ekey, sizeof(ekey))))
		return r;
	snprintf(url, sizeof(url), "%s/%s%s%s%s%s", s->conf.endpoint,
	    s->bucket, q->key != NULL ? "/" : "", q->key != NULL ? ekey : "",
	    q->query != NULL ? "?" : "", q->query != NULL ? q->query : "");
	q->status = 0;
	q->c = c;
	memset(&q->head, 0, sizeof(q->head));
	if ((q->err_body = buf_new(ERROR_BODY_MAX)) == NULL)
		return CE_NOMEM;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_SECONDS);
	/* No 100-continue wait before each upload ("Expect:" would be
	 * signed but not sent by libcurl 7.88's SigV4). */
	curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->conf.ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, s->conf.ca_file);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, s->conf.access_key);
	curl_easy_setopt(c, CURLOPT_PASSWORD,
	    (const char *)secret_ptr(s->conf.secret));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, q);

	h = curl_slist_append(h, "x-amz-content-sha256:UNSIGNED-PAYLOAD");
	if (q->range != NULL) {
		snprintf(line, sizeof(line), "Range: bytes=%s", q->range);
		h = curl_slist_append(h, line);
	}
	if (q->lock_bucket)
		h = curl_slist_append(h, "x-amz-bucket-object-lock-enabled: "
		    "true");
	if (q->lock != NULL && q->lock->mode[0] != '\0' &&
	    utc_iso(q->lock->until, iso) == 0) {
		snprintf(line, sizeof(line), "x-amz-object-lock-mode: %s",
		    q->lock->mode);
		h = curl_slist_append(h, line);
		snprintf(line, sizeof(line), "x-amz-object-lock-retain-until-"
		    "date: %s", iso);
		h = curl_slist_append(h, line);
	}
	if (q->copy_source != NULL) {
		char esrc[S3_KEY_MAX * 3 + 1];

		if ((r = s3_encode(q->copy_source, 1, esrc, sizeof(esrc))) != 0)
			goto out;
		snprintf(line, sizeof(line), "x-amz-copy-source: /%s/%s",
		    s->bucket, esrc);
		h = curl_slist_append(h, line);
	}
	for (h2 = h; h2 != NULL && h2->next != NULL; h2 = h2->next)
		;
	if (h2 == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);

	if (strcmp(q->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(q->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_send);
		curl_easy_setopt(c, CURLOPT_READDATA, q);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)
		    (q->in_fd >= 0 ? q->in_len : q->body_len));
	} else if (strcmp(q->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    q->body != NULL ? (const char *)q->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->body_len);
	} else if (strcmp(q->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);

	cr = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &q->status);
	if (cr != CURLE_OK) {
		if (q->out_err != 0) {
			errno = q->out_err;
			err_set_detail("cannot write what %s sent: %s", s->where,
			    strerror(q->out_err));
			r = q->out_err == ENOSPC || q->out_err == EDQUOT ?
			    CE_FULL : CE_IO;
		} else {
			err_set_detail("S3 endpoint %s: %s %s failed: %s; check "
			    "that the service is up and reachable, then run "
			    "the command again", s->conf.endpoint, q->method,
			    q->key != NULL ? q->key : s->bucket,
			    curl_easy_strerror(cr));
			r = CE_IO;
		}
		goto out;
	}
	r = q->status >= 200 && q->status < 300 ? 0 : http_error(s, q);
 out:
	curl_slist_free_all(h);
	buf_free(q->err_body);
	q->err_body = NULL;
	return r;
}

static void
req_init(struct req *q, const char *method, const char *key)
{
	memset(q, 0, sizeof(*q));
	q->method = method;
	q->key = key;
	q->in_fd = -1;
	q->out_fd = -1;
}

/* --- the operations --- */

int
s3_bucket_create(struct s3 *s, int lock)
{
	struct req q;

	req_init(&q, "PUT", NULL);
	q.lock_bucket = lock;
	return run(s, &q);
}

int
s3_head(struct s3 *s, const char *key, struct s3_head *h)
{
	struct req q;
	int r;

	req_init(&q, "HEAD", key);
	if ((r = run(s, &q)) != 0)
		return r;
	*h = q.head;
	return 0;
}

static int
get(struct s3 *s, const char *key, const char *range, size_t max,
    struct buf **bp)
{
	struct req q;
	int r;

	req_init(&q, "GET", key);
	q.range = range;
	if ((q.out = buf_new(max)) == NULL)
		return CE_NOMEM;
	if ((r = run(s, &q)) != 0) {
		if (r == CE_PROTOCOL && q.status >= 200 && q.status < 300)
			err_set_detail("%s: '%s' is larger than %zu bytes",
			    s->where, key, max);
		buf_free(q.out);
		return r;
	}
	*bp = q.out;
	return 0;
}

int
s3_get(struct s3 *s, const char *key, size_t max, struct buf **bp)
{
	return get(s, key, NULL, max, bp);
}

int
s3_get_range(struct s3 *s, const char *key, uint64_t off, size_t len,
    struct buf **bp)
{
	char range[64];

	if (len == 0)
		return CE_INVALID;
	snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, off,
	    off + len - 1);
	return get(s, key, range, len, bp);
}

int
s3_get_fd(struct s3 *s, const char *key, int fd)
{
	struct req q;

	req_init(&q, "GET", key);
	q.out_fd = fd;
	return run(s, &q);
}

int
s3_put(struct s3 *s, const char *key, const void *p, size_t n,
    const struct s3_lock *lock)
{
	struct req q;

	req_init(&q, "PUT", key);
	q.body = p;
	q.body_len = n;
	q.lock = lock;
	return run(s, &q);
}

/* --- multipart --- */

static int
abort_upload(struct s3 *s, const char *key, const char *id)
{
	char query[S3_VAL_MAX * 3 + 32], eid[S3_VAL_MAX * 3];
	struct req q;
	int r;

	if ((r = s3_encode(id, 0, eid, sizeof(eid))) != 0)
		return r;
	snprintf(query, sizeof(query), "uploadId=%s", eid);
	req_init(&q, "DELETE", key);
	q.query = query;
	return run(s, &q);
}

static int
multipart(struct s3 *s, const char *key, int fd, uint64_t size,
    const struct s3_lock *lock)
{
	struct s3_top *top = NULL;
	struct buf *done = NULL, *ans = NULL;
	char query[S3_VAL_MAX * 3 + 64], eid[S3_VAL_MAX * 3];
	char line[256];
	uint64_t off, part = s->conf.part_size;
	unsigned no;
	struct req q;
	int r;

	if ((top = calloc(1, sizeof(*top))) == NULL)
		return CE_NOMEM;
	req_init(&q, "POST", key);
	q.query = "uploads=";
	q.lock = lock;
	if ((q.out = buf_new(ERROR_BODY_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	ans = q.out;
	if ((r = run(s, &q)) != 0 ||
	    (r = s3_xml_parse((const char *)buf_ptr(ans), buf_len(ans), top,
	    NULL, NULL)) != 0)
		goto out;
	if (top->upload_id[0] == '\0') {
		err_set_detail("%s: no upload id in the answer", s->where);
		r = CE_PROTOCOL;
		goto out;
	}
	if ((r = s3_encode(top->upload_id, 0, eid, sizeof(eid))) != 0 ||
	    (done = buf_new(S3_XML_MAX)) == NULL ||
	    (r = buf_put(done, "<CompleteMultipartUpload>", 25)) != 0) {
		r = r != 0 ? r : CE_NOMEM;
		goto abort;
	}
	for (no = 1, off = 0; off < size; no++, off += part) {
		req_init(&q, "PUT", key);
		snprintf(query, sizeof(query), "partNumber=%u&uploadId=%s", no,
		    eid);
		q.query = query;
		q.in_fd = fd;
		q.in_off = off;
		q.in_len = size - off < part ? size - off : part;
		if ((r = run(s, &q)) != 0)
			goto abort;
		snprintf(line, sizeof(line), "<Part><PartNumber>%u</PartNumber>"
		    "<ETag>%s</ETag></Part>", no, q.head.etag);
		if ((r = buf_put(done, line, strlen(line))) != 0)
			goto abort;
	}
	if ((r = buf_put(done, "</CompleteMultipartUpload>", 26)) != 0)
		goto abort;
	/* The object appears now, whole, or not at all. */
	req_init(&q, "POST", key);
	snprintf(query, sizeof(query), "uploadId=%s", eid);
	q.query = query;
	q.body = buf_ptr(done);
	q.body_len = buf_len(done);
	buf_reset(ans);
	q.out = ans;
	if ((r = run(s, &q)) != 0)
		goto abort;
	/* A 200 may still carry an error (S3's CompleteMultipartUpload). */
	if (s3_xml_parse((const char *)buf_ptr(ans), buf_len(ans), top, NULL,
	    NULL) == 0 && top->code[0] != '\0') {
		err_set_detail("%s: completing the upload of '%s' failed: %s %s",
		    s->where, key, top->code, top->message);
		r = CE_IO;
		goto abort;
	}
	goto out;
 abort:
	(void)abort_upload(s, key, top->upload_id);
 out:
	buf_free(done);
	buf_free(ans);
	free(top);
	return r;
}

int
s3_put_fd(struct s3 *s, const char *key, int fd, uint64_t size,
    const struct s3_lock *lock)
{
	struct req q;

	if (size > s->conf.part_size)
		return multipart(s, key, fd, size, lock);
	req_init(&q, "PUT", key);
	q.in_fd = fd;
	q.in_len = size;
	q.lock = lock;
	return run(s, &q);
}

int
s3_copy(struct s3 *s, const char *src, const char *dst)
{
	struct req q;
	struct buf *ans;
	struct s3_top top;
	int r;

	req_init(&q, "PUT", dst);
	q.copy_source = src;
	if ((ans = buf_new(ERROR_BODY_MAX)) == NULL)
		return CE_NOMEM;
	q.out = ans;
	if ((r = run(s, &q)) == 0 &&
	    s3_xml_parse((const char *)buf_ptr(ans), buf_len(ans), &top, NULL,
	    NULL) == 0 && top.code[0] != '\0') {
		err_set_detail("%s: copying '%s' failed: %s", s->where, src,
		    top.code);
		r = CE_IO;
	}
	buf_free(ans);
	return r;
}

int
s3_delete(struct s3 *s, const char *key, const char *version_id)
{
	char query[S3_VAL_MAX * 3 + 32], evid[S3_VAL_MAX * 3];
	struct req q;
	int r;

	req_init(&q, "DELETE", key);
	if (version_id != NULL) {
		if ((r = s3_encode(version_id, 0, evid, sizeof(evid))) != 0)
			return r;
		snprintf(query, sizeof(query), "versionId=%s", evid);
		q.query = query;
	}
	return run(s, &q);
}

/* --- listings --- */

/* Pages through a listing: query built by mk from the last page's top. */
typedef int (*page_fn)(const void *ctx, const struct s3_top *last,
    char *query, size_t size);

static int
pages(struct s3 *s, page_fn mk, const void *ctx, s3_record_fn fn, void *arg)
{
	struct s3_top *top;
	char *query;
	struct buf *ans = NULL;
	struct req q;
	int r, first = 1;

	if ((top = calloc(1, sizeof(*top))) == NULL ||
	    (query = malloc(URL_MAX)) == NULL) {
		free(top);
		return CE_NOMEM;
	}
	do {
		if ((r = mk(ctx, first ? NULL : top, query, URL_MAX)) != 0)
			break;
		first = 0;
		req_init(&q, "GET", NULL);
		q.query = query;
		buf_free(ans);
		if ((ans = q.out = buf_new(S3_XML_MAX)) == NULL) {
			r = CE_NOMEM;
			break;
		}
		if ((r = run(s, &q)) != 0 ||
		    (r = s3_xml_parse((const char *)buf_ptr(ans), buf_len(ans),
		    top, fn, arg)) != 0)
			break;
	} while (strcmp(top->is_truncated, "true") == 0);
	buf_free(ans);
	free(query);
	free(top);
	return r;
}

struct list_walk {
	const char *prefix;
	int delimit;
	s3_list_fn fn;
	void *arg;
};

static int
list_query(const void *ctx, const struct s3_top *last, char *query,
    size_t size)
{
	const struct list_walk *cur_list = ctx;
	char tok[S3_VAL_MAX * 3], pre[S3_KEY_MAX * 3];
	int r;

	if ((r = s3_encode(cur_list->prefix, 0, pre, sizeof(pre))) != 0)
		return r;
	if (last != NULL) {
		if (last->next_token[0] == '\0')
			return CE_PROTOCOL;
		if ((r = s3_encode(last->next_token, 0, tok, sizeof(tok))) != 0)
			return r;
	}
	/* Sorted by name, as the signature's canonical query wants. */
	snprintf(query, size, "%s%s%s%slist-type=2&prefix=%s",
	    last != NULL ? "continuation-token=" : "",
	    last != NULL ? tok : "", last != NULL ? "&" : "",
	    cur_list->delimit ? "delimiter=%2F&" : "", pre);
	return 0;
}

static int
on_content(void *arg, const struct s3_record *rec)
{
	struct list_walk *w = arg;
	struct s3_item it;

	if (strcmp(rec->type, "Contents") != 0)
		return 0;
	memset(&it, 0, sizeof(it));
	it.key = rec->f[S3F_KEY];
	it.size = strtoull(rec->f[S3F_SIZE], NULL, 10);
	snprintf(it.etag, sizeof(it.etag), "%.79s", rec->f[S3F_ETAG]);
	return w->fn(w->arg, &it);
}

int
s3_list(struct s3 *s, const char *prefix, int delimit, s3_list_fn fn,
    void *arg)
{
	struct list_walk w = { prefix, delimit, fn, arg };

	return pages(s, list_query, &w, on_content, &w);
}

/* Versions of one key, for s3_remove_all. */
struct version {
	char id[S3_VAL_MAX];
};

struct versions {
	const char *key;
	struct version *v;
	size_t n, cap;
};

static int
versions_query(const void *ctx, const struct s3_top *last, char *query,
    size_t size)
{
	const char *cur_key = ctx;
	char pre[S3_KEY_MAX * 3], km[S3_VAL_MAX * 3], vm[S3_VAL_MAX * 3];
	int r;

	if ((r = s3_encode(cur_key, 0, pre, sizeof(pre))) != 0)
		return r;
	if (last == NULL) {
		snprintf(query, size, "prefix=%s&versions=", pre);
		return 0;
	}
	if ((r = s3_encode(last->next_key, 0, km, sizeof(km))) != 0 ||
	    (r = s3_encode(last->next_version, 0, vm, sizeof(vm))) != 0)
		return r;
	snprintf(query, size, "key-marker=%s&prefix=%s&version-id-marker=%s&"
	    "versions=", km, pre, vm);
	return 0;
}

static int
on_version(void *arg, const struct s3_record *rec)
{
	struct versions *vs = arg;
	struct version *nv;

	if ((strcmp(rec->type, "Version") != 0 &&
	    strcmp(rec->type, "DeleteMarker") != 0) ||
	    strcmp(rec->f[S3F_KEY], vs->key) != 0)
		return 0;
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 4;

		if ((nv = realloc(vs->v, cap * sizeof(*nv))) == NULL)
			return CE_NOMEM;
		vs->v = nv;
		vs->cap = cap;
	}
	snprintf(vs->v[vs->n++].id, S3_VAL_MAX, "%s", rec->f[S3F_VERSION_ID]);
	return 0;
}

int
s3_remove_all(struct s3 *s, const char *key)
{
	struct versions vs = { key, NULL, 0, 0 };
	size_t i;
	int r;

	if ((r = pages(s, versions_query, key, on_version, &vs)) != 0)
		goto out;
	if (vs.n == 0) {
		err_set_detail("%s: no object '%s'", s->where, key);
		r = CE_NOT_FOUND;
		goto out;
	}
	for (i = 0; i < vs.n; i++)
		if ((r = s3_delete(s, key, vs.v[i].id)) != 0)
			break;
 out:
	free(vs.v);
	return r;
}

struct uploads {
	struct s3 *s;
	int64_t before;
	size_t n;
	int r;
};

static int
uploads_query(const void *ctx, const struct s3_top *last, char *query,
    size_t size)
{
	const char *cur_upload_prefix = ctx;
	char pre[S3_KEY_MAX * 3], km[S3_VAL_MAX * 3], um[S3_VAL_MAX * 3];
	int r;

	if ((r = s3_encode(cur_upload_prefix, 0, pre, sizeof(pre))) != 0)
		return r;
	if (last == NULL) {
		snprintf(query, size, "prefix=%s&uploads=", pre);
		return 0;
	}
	if ((r = s3_encode(last->next_key, 0, km, sizeof(km))) != 0 ||
	    (r = s3_encode(last->next_upload, 0, um, sizeof(um))) != 0)
		return r;
	snprintf(query, size, "key-marker=%s&prefix=%s&upload-id-marker=%s&"
	    "uploads=", km, pre, um);
	return 0;
}

static int
on_upload(void *arg, const struct s3_record *rec)
{
	struct uploads *u = arg;
	int64_t t;

	if (strcmp(rec->type, "Upload") != 0)
		return 0;
	if (s3_parse_time(rec->f[S3F_INITIATED], &t) != 0 || t >= u->before)
		return 0;
	/* Aborted as found: the next page is asked after this one. */
	if (abort_upload(u->s, rec->f[S3F_KEY], rec->f[S3F_UPLOAD_ID]) == 0)
		u->n++;
	return 0;
}

int
s3_abort_uploads(struct s3 *s, const char *prefix, int64_t before,
    size_t *np)
{
	struct uploads u = { NULL, before, 0, 0 };
	struct s3 *s2;
	int r;

	/* Aborts go over a second connection while the listing pages. */
	if ((r = s3_open(s->bucket, &s2)) != 0)
		return r;
	u.s = s2;
	r = pages(s, uploads_query, prefix, on_upload, &u);
	s3_close(s2);
	if (np != NULL)
		*np = u.n;
	return r;
}
