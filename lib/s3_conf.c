/*
 * Where an S3 store's endpoint and credentials come from (s3.h): the
 * configuration file first, then the environment for what it left out.
 * The secret key is held in secret memory and never printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "s3_int.h"
#include "secret.h"

#define CONF_DEFAULT "/etc/coffer/s3.conf"
#define CONF_MAX (64u * 1024)
#define SECRET_MAX 256

static int
set(char *dst, size_t size, const char *v, const char *what)
{
	if (strlen(v) >= size) {
		err_set_detail("S3 configuration: %s is too long", what);
		return CE_TOO_LONG;
	}
	snprintf(dst, size, "%s", v);
	return 0;
}

/* Takes the secret from v[0..n) (trailing newline dropped). */
static int
set_secret(struct s3_conf *c, const uint8_t *v, size_t n)
{
	while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
		n--;
	if (n == 0 || n >= SECRET_MAX) {
		err_set_detail("S3 configuration: the secret access key is "
		    "empty or too long");
		return CE_INVALID;
	}
	secret_free(c->secret);
	if ((c->secret = secret_new(n + 1)) == NULL)
		return CE_NOMEM;
	memcpy(secret_ptr(c->secret), v, n);
	secret_ptr(c->secret)[n] = '\0';
	return 0;
}

static int
secret_file(struct s3_conf *c, const char *path)
{
	struct buf *b = NULL;
	int r;

	if ((r = file_read_secret_input(path, SECRET_MAX, &b)) != 0)
		return r;
	r = set_secret(c, buf_ptr(b), buf_len(b));
	buf_free(b);
	return r;
}

static int
line(struct s3_conf *c, const char *path, int no, char *ln)
{
	char *k = ln, *v;
	unsigned long mib;

	while (*k == ' ' || *k == '\t')
		k++;
	if (*k == '#' || *k == '\0')
		return 0;
	if ((v = strpbrk(k, " \t")) == NULL)
		goto bad;
	*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	if (strcmp(k, "endpoint") == 0)
		return set(c->endpoint, sizeof(c->endpoint), v, "endpoint");
	if (strcmp(k, "region") == 0)
		return set(c->region, sizeof(c->region), v, "region");
	if (strcmp(k, "access-key-id") == 0)
		return set(c->access_key, sizeof(c->access_key), v,
		    "access-key-id");
	if (strcmp(k, "secret-access-key-file") == 0)
		return secret_file(c, v);
	if (strcmp(k, "ca-file") == 0)
		return set(c->ca_file, sizeof(c->ca_file), v, "ca-file");
	if (strcmp(k, "part-size") == 0) {
		errno = 0;
		mib = strtoul(v, NULL, 10);
		if (errno != 0 || mib < S3_PART_MIN / (1024 * 1024) ||
		    mib > 5120)
			goto bad;
		c->part_size = (size_t)mib * 1024 * 1024;
		return 0;
	}
 bad:
	err_set_detail("%s line %d: expected 'endpoint URL', 'region R', "
	    "'access-key-id ID', 'secret-access-key-file PATH', 'ca-file "
	    "PATH' or 'part-size MiB' (5 to 5120)", path, no);
	return CE_FORMAT;
}

static int
read_file_conf(struct s3_conf *c)
{
	const char *path = getenv("COFFER_S3_CONFIG");
	struct buf *b = NULL;
	char ln[1024];
	const char *p, *e;
	size_t n;
	int r, no = 0;

	if (path == NULL || *path == '\0')
		path = CONF_DEFAULT;
	if ((r = file_read_nofollow(path, CONF_MAX, &b)) != 0) {
		if (r == CE_NOT_FOUND || errno == ENOENT)
			return 0;   /* no file: the environment says it all */
		return r;
	}
	p = (const char *)buf_ptr(b);
	e = p + buf_len(b);
	while (p < e && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));

		n = (size_t)((nl != NULL ? nl : e) - p);
		no++;
		if (n >= sizeof(ln)) {
			err_set_detail("%s line %d is too long", path, no);
			r = CE_FORMAT;
			break;
		}
		memcpy(ln, p, n);
		ln[n] = '\0';
		r = line(c, path, no, ln);
		p += n + (nl != NULL);
	}
	buf_free(b);
	return r;
}

int
s3_conf_load(struct s3_conf *c)
{
	const char *v;
	size_t n;
	int r;

	memset(c, 0, sizeof(*c));
	c->part_size = S3_PART_DEFAULT;
	if ((r = read_file_conf(c)) != 0)
		goto fail;
	if (c->endpoint[0] == '\0' && (v = getenv("AWS_ENDPOINT_URL")) != NULL &&
	    (r = set(c->endpoint, sizeof(c->endpoint), v, "AWS_ENDPOINT_URL")))
		goto fail;
	if (c->region[0] == '\0' && (((v = getenv("AWS_REGION")) != NULL &&
	    *v) || (v = getenv("AWS_DEFAULT_REGION")) != NULL) &&
	    (r = set(c->region, sizeof(c->region), v, "AWS_REGION")) != 0)
		goto fail;
	if (c->access_key[0] == '\0' &&
	    (v = getenv("AWS_ACCESS_KEY_ID")) != NULL &&
	    (r = set(c->access_key, sizeof(c->access_key), v,
	    "AWS_ACCESS_KEY_ID")) != 0)
		goto fail;
	if (c->secret == NULL && (v = getenv("AWS_SECRET_ACCESS_KEY")) != NULL &&
	    (r = set_secret(c, (const uint8_t *)v, strlen(v))) != 0)
		goto fail;
	if (c->region[0] == '\0')
		snprintf(c->region, sizeof(c->region), "us-east-1");
	if (c->endpoint[0] == '\0')
		snprintf(c->endpoint, sizeof(c->endpoint),
		    "https://s3.%s.amazonaws.com", c->region);
	n = strlen(c->endpoint);
	while (n > 0 && c->endpoint[n - 1] == '/')
		c->endpoint[--n] = '\0';
	if (strncmp(c->endpoint, "https://", 8) != 0 &&
	    strncmp(c->endpoint, "http://", 7) != 0) {
		err_set_detail("S3 endpoint '%s': write https://HOST[:PORT] (or "
		    "http:// to use plain HTTP on purpose)", c->endpoint);
		r = CE_USAGE;
		goto fail;
	}
	if (c->access_key[0] == '\0' || c->secret == NULL) {
		err_set_detail("no S3 credentials: set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY, or access-key-id and "
		    "secret-access-key-file in the file COFFER_S3_CONFIG names "
		    "(default " CONF_DEFAULT ")");
		r = CE_NOT_LOGGED_IN;
		goto fail;
	}
	return 0;
 fail:
	s3_conf_clear(c);
	return r;
}

void
s3_conf_clear(struct s3_conf *c)
{
	secret_free(c->secret);
	c->secret = NULL;
}
