#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdconf.h"
#include "buf.h"
#include "err.h"
#include "file.h"
#include "rbsconf.h"

#define CONF_MAX (64u * 1024)
#define REG_MAX (4u * 1024 * 1024)
#define DEFAULT_MAX_CONN 32
#define DEFAULT_IDLE 60
#define DEFAULT_MAX_UPLOAD_MIB 65536

static int
num(const char *s, uint64_t lo, uint64_t hi, uint64_t *vp)
{
	uint64_t v = 0;

	if (*s == '\0')
		return CE_FORMAT;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (hi - (uint64_t)(*s - '0')) / 10)
			return CE_FORMAT;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < lo)
		return CE_FORMAT;
	*vp = v;
	return 0;
}

static int
copy(char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size)
		return CE_FORMAT;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* HOST:PORT or [V6]:PORT; port 0..65535. */
static int
host_port(const char *s, struct rbsconf *c)
{
	const char *colon = strrchr(s, ':');
	uint64_t v;
	size_t hl;

	if (colon == NULL || colon == s)
		return CE_FORMAT;
	hl = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			return CE_FORMAT;
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(c->host) || num(colon + 1, 0, 65535, &v) != 0)
		return CE_FORMAT;
	memcpy(c->host, s, hl);
	c->host[hl] = '\0';
	snprintf(c->port, sizeof(c->port), "%u", (unsigned)v);
	return 0;
}

static int
parse(struct buf *b, struct rbsconf *c)
{
	char line[BDCONF_LINE_MAX], *w[BDCONF_WORDS_MAX];
	int lineno = 0, r;
	uint64_t v;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->max_conn = DEFAULT_MAX_CONN;
	c->idle_timeout = DEFAULT_IDLE;
	c->max_upload = (uint64_t)DEFAULT_MAX_UPLOAD_MIB << 20;
	while ((r = bdconf_get_line(b, line)) == 0) {
		lineno++;
		if (bdconf_split(line, w, &n) != 0)
			goto bad;
		if (n == 0)
			continue;
		if (strcmp(w[0], "state") == 0 && n == 2) {
			if (copy(c->state, sizeof(c->state), w[1]) != 0)
				goto bad;
		} else if (strcmp(w[0], "listen") == 0 && n == 2) {
			if (host_port(w[1], c) != 0)
				goto bad;
		} else if (strcmp(w[0], "store") == 0 && n == 3) {
			struct rbsconf_store *st = &c->stores[c->nstores];

			if (c->nstores == RBSCONF_STORES_MAX ||
			    !rbs_store_name_ok(w[1], strlen(w[1])) ||
			    rbsconf_store(c, w[1]) != NULL ||
			    strncmp(w[2], "dir:", 4) != 0 ||
			    copy(st->name, sizeof(st->name), w[1]) != 0 ||
			    copy(st->uri, sizeof(st->uri), w[2]) != 0)
				goto bad;
			c->nstores++;
		} else if (strcmp(w[0], "max-connections") == 0 && n == 2) {
			if (num(w[1], 1, 10000, &v) != 0)
				goto bad;
			c->max_conn = (unsigned)v;
		} else if (strcmp(w[0], "idle-timeout") == 0 && n == 2) {
			if (num(w[1], 1, 86400, &v) != 0)
				goto bad;
			c->idle_timeout = (unsigned)v;
		} else if (strcmp(w[0], "max-upload-mib") == 0 && n == 2) {
			if (num(w[1], 1, (uint64_t)1 << 30, &v) != 0)
				goto bad;
			c->max_upload = v << 20;
		} else if (strcmp(w[0], "user") == 0 && n == 2) {
			if (copy(c->user, sizeof(c->user), w[1]) != 0)
				goto bad;
		} else
			goto bad;
	}
	if (r != CE_TRUNCATED)
		goto bad;
	if (c->state[0] == '\0' || c->host[0] == '\0' || c->nstores == 0) {
		err_set_detail("the rbs configuration needs 'state DIR', "
		    "'listen HOST:PORT' and at least one 'store NAME dir:PATH'");
		return CE_FORMAT;
	}
	return 0;
 bad:
	err_set_detail("rbs configuration line %d is not valid (expected "
	    "state DIR, listen HOST:PORT, store NAME dir:PATH, "
	    "max-connections N, idle-timeout SECONDS, max-upload-mib N or "
	    "user NAME, each once, at most %d stores; see docs/rbs.md)",
	    lineno + 1, RBSCONF_STORES_MAX);
	return CE_FORMAT;
}

int
rbsconf_load(const char *path, struct rbsconf *c)
{
	struct buf *b = NULL;
	int r;

	if ((r = file_read(path, CONF_MAX, &b)) != 0) {
		if (r == CE_NOT_FOUND)
			err_set_detail("no configuration file '%s'", path);
		return r;
	}
	r = parse(b, c);
	buf_free(b);
	return r;
}

const struct rbsconf_store *
rbsconf_store(const struct rbsconf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nstores; i++)
		if (strcmp(c->stores[i].name, name) == 0)
			return &c->stores[i];
	return NULL;
}

int
rbsreg_name_ok(const char *s)
{
	return rbs_store_name_ok(s, strlen(s));
}

static int
stores_ok(const char *s)
{
	char tmp[RBSCONF_PATH_MAX], *save = NULL, *t;

	if (strcmp(s, "*") == 0)
		return 1;
	if (copy(tmp, sizeof(tmp), s) != 0 || s[0] == ',' ||
	    s[strlen(s) - 1] == ',' || strstr(s, ",,") != NULL)
		return 0;
	for (t = strtok_r(tmp, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save))
		if (!rbs_store_name_ok(t, strlen(t)))
			return 0;
	return 1;
}

int
rbsreg_load(const char *state, struct rbs_client_rec **vp, size_t *np)
{
	char path[PATH_MAX], line[BDCONF_LINE_MAX], *w[BDCONF_WORDS_MAX];
	struct rbs_client_rec *v = NULL, *rec;
	struct buf *b = NULL;
	size_t n = 0, nw;
	int r, lineno = 0;

	snprintf(path, sizeof(path), "%s/" RBS_CLIENTS_FILE, state);
	if ((v = calloc(RBSCONF_CLIENTS_MAX, sizeof(*v))) == NULL)
		return CE_NOMEM;
	if ((r = file_read(path, REG_MAX, &b)) == CE_NOT_FOUND)
		goto done;
	if (r != 0)
		goto out;
	while ((r = bdconf_get_line(b, line)) == 0) {
		lineno++;
		if (bdconf_split(line, w, &nw) != 0)
			goto bad;
		if (nw == 0)
			continue;
		rec = &v[n];
		if (nw != 5 || n == RBSCONF_CLIENTS_MAX ||
		    !rbsreg_name_ok(w[0]) ||
		    copy(rec->name, sizeof(rec->name), w[0]) != 0 ||
		    rbs_role_parse(w[1], &rec->role) != 0 ||
		    tls_fp_parse(w[2], rec->fp) != 0 || !stores_ok(w[3]) ||
		    copy(rec->stores, sizeof(rec->stores), w[3]) != 0 ||
		    (strcmp(w[4], "active") != 0 &&
		    strcmp(w[4], "revoked") != 0))
			goto bad;
		rec->revoked = strcmp(w[4], "revoked") == 0;
		n++;
	}
	if (r != CE_TRUNCATED)
		goto bad;
 done:
	*vp = v;
	*np = n;
	v = NULL;
	r = 0;
	goto out;
 bad:
	err_set_detail("%s line %d is not valid (NAME ROLE SHA256:... "
	    "STORES active|revoked); fix it or re-add the client", path,
	    lineno);
	r = CE_FORMAT;
 out:
	free(v);
	buf_free(b);
	return r;
}

int
rbsreg_save(const char *state, const struct rbs_client_rec *v, size_t n)
{
	char path[PATH_MAX], fp[TLS_FP_STR_LEN + 1], line[1024];
	struct buf *b;
	size_t i;
	int r = 0;

	snprintf(path, sizeof(path), "%s/" RBS_CLIENTS_FILE, state);
	if ((b = buf_new(REG_MAX)) == NULL)
		return CE_NOMEM;
	snprintf(line, sizeof(line), "# Coffer rbs client register "
	    "(docs/rbs.md): NAME ROLE FINGERPRINT STORES STATE\n");
	r = buf_put(b, line, strlen(line));
	for (i = 0; r == 0 && i < n; i++) {
		tls_fp_str(v[i].fp, fp);
		snprintf(line, sizeof(line), "%s %s %s %s %s\n", v[i].name,
		    rbs_role_name(v[i].role), fp, v[i].stores,
		    v[i].revoked ? "revoked" : "active");
		r = buf_put(b, line, strlen(line));
	}
	if (r == 0)
		r = file_write_atomic(path, buf_ptr(b), buf_len(b), 0600);
	buf_free(b);
	return r;
}

int
rbsreg_allows(const struct rbs_client_rec *rec, const char *store)
{
	const char *p = rec->stores;
	size_t n = strlen(store);

	if (strcmp(p, "*") == 0)
		return 1;
	while (*p != '\0') {
		size_t k = strcspn(p, ",");

		if (k == n && strncmp(p, store, n) == 0)
			return 1;
		p += k;
		if (*p == ',')
			p++;
	}
	return 0;
}
