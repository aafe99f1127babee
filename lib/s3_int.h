/*
 * s3 internals shared by s3.c (requests), s3_conf.c (where the endpoint
 * and credentials come from) and s3_xml.c (reading S3's XML answers). Not
 * for use outside lib/s3*.c.
 */
#ifndef COFFER_S3_INT_H
#define COFFER_S3_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "s3.h"

struct secret;

struct s3_conf {
	char endpoint[512];      /* scheme://host[:port], no trailing '/' */
	char region[64];
	char access_key[128];
	struct secret *secret;   /* the secret access key, NUL-terminated */
	char ca_file[PATH_MAX];  /* "" : the system's CAs */
	size_t part_size;        /* multipart part size, bytes */
};

/* Fills c (s3.h "Where the endpoint and the credentials come from"). */
int s3_conf_load(struct s3_conf *c);
void s3_conf_clear(struct s3_conf *c);

/*
 * The fields an S3 XML answer carries that this client reads. Top-level
 * values (IsTruncated, NextContinuationToken, UploadId, Code, Message...)
 * land in `top`; each repeated element (Contents, Version, DeleteMarker,
 * Upload, CommonPrefixes) is handed to `on_record` with its fields.
 */
enum s3_field {
	S3F_KEY, S3F_SIZE, S3F_ETAG, S3F_VERSION_ID, S3F_UPLOAD_ID,
	S3F_INITIATED, S3F_PREFIX, S3F_COUNT
};
#define S3_VAL_MAX 1024

struct s3_record {
	const char *type;                    /* "Contents", "Version", ... */
	char f[S3F_COUNT][S3_VAL_MAX];
};

struct s3_top {
	char is_truncated[8];
	char next_token[S3_VAL_MAX];         /* NextContinuationToken */
	char next_key[S3_VAL_MAX];           /* NextKeyMarker */
	char next_version[S3_VAL_MAX];       /* NextVersionIdMarker */
	char next_upload[S3_VAL_MAX];        /* NextUploadIdMarker */
	char upload_id[S3_VAL_MAX];          /* InitiateMultipartUpload */
	char code[128];                      /* Error */
	char message[512];
};

typedef int (*s3_record_fn)(void *arg, const struct s3_record *rec);

/* Parses doc; CE_PROTOCOL when it is not well-formed XML. */
int s3_xml_parse(const char *doc, size_t len, struct s3_top *top,
    s3_record_fn on_record, void *arg);

/* Percent-encodes s for a URL path (keep '/') or a query value (not). */
int s3_encode(const char *s, int keep_slash, char *out, size_t size);

/* Parses an ISO 8601 UTC time as S3 writes them (fraction allowed). */
int s3_parse_time(const char *s, int64_t *tp);

#endif
