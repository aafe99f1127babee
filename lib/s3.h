/*
 * s3: a small client for the S3 API, for the s3:// backup store
 * (bstore_s3.c, docs/backup-store.md "S3 stores").
 *
 * HTTP is libcurl's, and so is the request signing (AWS Signature Version
 * 4, CURLOPT_AWS_SIGV4); TLS is verified against the system's CAs or the
 * configured CA file. Nothing here writes HTTP or signs by hand. Response
 * bodies are bounded (S3_XML_MAX) except downloads, which go to a file.
 * Payloads are sent unsigned (x-amz-content-sha256: UNSIGNED-PAYLOAD): what
 * travels is ciphertext whose integrity the archive carries itself.
 *
 * Where the endpoint and the credentials come from (never argv):
 *   1. the file COFFER_S3_CONFIG names (default /etc/coffer/s3.conf), if
 *      it exists: lines "endpoint URL", "region R", "access-key-id ID",
 *      "secret-access-key-file PATH" (a 0600 file holding the secret),
 *      "ca-file PATH", "part-size MiB"; the file itself must be private
 *      when it names a secret;
 *   2. then the environment fills what the file left out: AWS_ENDPOINT_URL,
 *      AWS_REGION (or AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID,
 *      AWS_SECRET_ACCESS_KEY.
 * An endpoint of http:// is plain HTTP, which the URL itself says
 * explicitly; https:// (and the default) verify the server.
 */
#ifndef COFFER_S3_H
#define COFFER_S3_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct s3;

#define S3_KEY_MAX 1024
#define S3_XML_MAX (8u * 1024 * 1024)
#define S3_PART_MIN (5u * 1024 * 1024)   /* S3's smallest part but the last */
#define S3_PART_DEFAULT (16u * 1024 * 1024)

/* Object Lock modes ("" when an object has no retention). */
#define S3_LOCK_GOVERNANCE "GOVERNANCE"
#define S3_LOCK_COMPLIANCE "COMPLIANCE"

/* Opens a client for bucket (configuration as above). */
int s3_open(const char *bucket, struct s3 **sp);
void s3_close(struct s3 *s);

/* "endpoint/bucket", for messages. */
const char *s3_where(const struct s3 *s);

/* Creates the bucket; lock: with Object Lock (and so versioning) on. */
int s3_bucket_create(struct s3 *s, int lock);

/* What a HEAD tells. */
struct s3_head {
	uint64_t size;
	char etag[80];
	char version_id[128];
	char lock_mode[16];      /* S3_LOCK_* or "" */
	int64_t lock_until;      /* retain-until, 0 when none */
};

/* HEAD key: 0, CE_NOT_FOUND, or the error. */
int s3_head(struct s3 *s, const char *key, struct s3_head *h);

/* GET key into *bp (at most max bytes). */
int s3_get(struct s3 *s, const char *key, size_t max, struct buf **bp);

/* GET bytes [off, off+len) of key into *bp (fewer at its end). */
int s3_get_range(struct s3 *s, const char *key, uint64_t off, size_t len,
    struct buf **bp);

/* GET key appended to fd. */
int s3_get_fd(struct s3 *s, const char *key, int fd);

/* Object Lock retention of a PUT: mode "" for none. */
struct s3_lock {
	char mode[16];
	int64_t until;
};

/* PUT of a small object from memory. */
int s3_put(struct s3 *s, const char *key, const void *p, size_t n,
    const struct s3_lock *lock);

/*
 * Uploads fd's bytes [0, size) as key: one PUT up to the part size,
 * beyond it a multipart upload whose completion is the last request, so
 * the object is visible whole or not at all. Memory stays a few buffers
 * whatever the size. A failed multipart upload is aborted on the way out
 * (a killed one is left for s3_abort_uploads).
 */
int s3_put_fd(struct s3 *s, const char *key, int fd, uint64_t size,
    const struct s3_lock *lock);

/* Server-side copy of src to dst (dst gets no retention of its own). */
int s3_copy(struct s3 *s, const char *src, const char *dst);

/*
 * DELETE key: version_id NULL removes the current object (a versioned
 * bucket keeps the old version behind a delete marker); a version id
 * removes that version for good, which Object Lock refuses before its
 * retention date (CE_POLICY).
 */
int s3_delete(struct s3 *s, const char *key, const char *version_id);

/*
 * Removes key for good: every version and delete marker of it. CE_POLICY
 * naming the date when a version is still under retention (nothing
 * removed then when it is the only version).
 */
int s3_remove_all(struct s3 *s, const char *key);

/* One key of a listing. */
struct s3_item {
	const char *key;         /* the whole key */
	uint64_t size;
	char etag[80];
};

/*
 * Lists the keys under prefix (without delimiter: every depth; with '/':
 * this level only) page by page (ListObjectsV2, 1000 a page), calling fn
 * for each; a nonzero return stops the walk and is returned.
 */
typedef int (*s3_list_fn)(void *arg, const struct s3_item *it);
int s3_list(struct s3 *s, const char *prefix, int delimit, s3_list_fn fn,
    void *arg);

/*
 * Aborts the multipart uploads under prefix begun before `before` (unix
 * time; abandoned by killed writers). *np gets the count aborted.
 */
int s3_abort_uploads(struct s3 *s, const char *prefix, int64_t before,
    size_t *np);

#endif
