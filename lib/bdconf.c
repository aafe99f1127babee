#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bdconf.h"
#include "buf.h"
#include "err.h"
#include "file.h"
#include "kdf.h"
#include "role.h"

#define MAX_WORDS BDCONF_WORDS_MAX

int
bdconf_get_line(struct buf *b, char line[BDCONF_LINE_MAX])
{
	size_t n = 0;
	uint8_t c;

	if (buf_len(b) == 0)
		return CE_TRUNCATED;
	while (buf_get_u8(b, &c) == 0 && c != '\n') {
		/* a file written on Windows: "\r\n" ends a line as "\n" does */
		if (c == '\r' && buf_len(b) > 0 && buf_ptr(b)[0] == '\n') {
			(void)buf_skip(b, 1);
			break;
		}
		if (n + 1 >= BDCONF_LINE_MAX || c == '\0' ||
		    (c < 0x20 && c != '\t') || c == 0x7f)
			return CE_FORMAT;
		line[n++] = (char)c;
	}
	line[n] = '\0';
	return 0;
}

int
bdconf_split(char *line, char *w[BDCONF_WORDS_MAX], size_t *np)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (n == MAX_WORDS)
			return CE_FORMAT;
		w[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	*np = n;
	return 0;
}

/* "N" or "N" with s, m, h or d: seconds within the interval bounds. */
static int
parse_interval(const char *s, uint64_t *vp)
{
	uint64_t v = 0, mul = 1;

	if (*s < '0' || *s > '9')
		return CE_FORMAT;
	for (; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (uint64_t)(*s - '0')) > BDCONF_INTERVAL_MAX)
			return CE_FORMAT;
	if (*s == 's')
		mul = 1;
	else if (*s == 'm')
		mul = 60;
	else if (*s == 'h')
		mul = 3600;
	else if (*s == 'd')
		mul = 86400;
	else if (*s != '\0')
		return CE_FORMAT;
	if (*s != '\0' && s[1] != '\0')
		return CE_FORMAT;
	v *= mul;
	if (v < BDCONF_INTERVAL_MIN || v > BDCONF_INTERVAL_MAX)
		return CE_FORMAT;
	*vp = v;
	return 0;
}

static int
parse_count(const char *s, unsigned *vp)
{
	unsigned long v = 0;

	if (*s == '\0')
		return CE_FORMAT;
	for (; *s; s++)
		if (*s < '0' || *s > '9' ||
		    (v = v * 10 + (unsigned long)(*s - '0')) > 100000)
			return CE_FORMAT;
	*vp = (unsigned)v;
	return 0;
}

/* "keep" then pairs: last|daily|weekly|monthly N, each at most once. */
static int
parse_keep(char **w, size_t n, struct bstore_keep *k)
{
	static const char *names[] = { "last", "daily", "weekly", "monthly" };
	unsigned *slots[] = { &k->last, &k->daily, &k->weekly, &k->monthly };
	int seen[4] = { 0, 0, 0, 0 };
	size_t i, j;

	memset(k, 0, sizeof(*k));
	if (n < 3 || (n - 1) % 2 != 0)
		return CE_FORMAT;
	for (i = 1; i < n; i += 2) {
		for (j = 0; j < 4; j++)
			if (strcmp(w[i], names[j]) == 0)
				break;
		if (j == 4 || seen[j] || parse_count(w[i + 1], slots[j]) != 0)
			return CE_FORMAT;
		seen[j] = 1;
	}
	if (k->last + k->daily + k->weekly + k->monthly == 0)
		return CE_FORMAT;
	return 0;
}

static int
copy(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= BDCONF_PATH_MAX)
		return CE_FORMAT;
	memcpy(dst, src, n + 1);
	return 0;
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BDCONF_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-'))
			return 0;
	return 1;
}

/* "job NAME key=value ...". */
static int
parse_job(char **w, size_t n, struct bdconf_job *j)
{
	size_t i;
	char *v;
	int r;

	memset(j, 0, sizeof(*j));
	j->kdf = KDF_INTERACTIVE;
	j->role = ROLE_CO;
	if (n < 2 || !name_ok(w[1]))
		return CE_FORMAT;
	memcpy(j->name, w[1], strlen(w[1]) + 1);
	for (i = 2; i < n; i++) {
		if ((v = strchr(w[i], '=')) == NULL)
			return CE_FORMAT;
		*v++ = '\0';
		if (strcmp(w[i], "from") == 0 && j->from[0] == '\0')
			r = copy(j->from, v);
		else if (strcmp(w[i], "pin-file") == 0 && j->pin_file[0] == '\0')
			r = copy(j->pin_file, v);
		else if (strcmp(w[i], "challenge-file") == 0 &&
		    j->challenge_file[0] == '\0')
			r = copy(j->challenge_file, v);
		else if (strcmp(w[i], "backup-pin-file") == 0 &&
		    j->backup_pin_file[0] == '\0')
			r = copy(j->backup_pin_file, v);
		else if (strcmp(w[i], "kdf") == 0)
			r = kdf_profile_choose(v, &j->kdf) == 0 ? 0 : CE_FORMAT;
		else if (strcmp(w[i], "role") == 0)
			r = role_parse(v, &j->role) == 0 && (j->role == ROLE_CO ||
			    j->role == ROLE_CU) ? 0 : CE_FORMAT;
		else
			r = CE_FORMAT;
		if (r != 0)
			return r;
	}
	if (j->from[0] == '\0' || j->backup_pin_file[0] == '\0' ||
	    (j->pin_file[0] == '\0') == (j->challenge_file[0] == '\0'))
		return CE_FORMAT;
	return 0;
}

int
bdconf_parse(struct buf *b, struct bdconf *cp)
{
	struct bdconf *c;
	char line[BDCONF_LINE_MAX], *w[MAX_WORDS];
	size_t n, i;
	int lineno = 0, r;
	const char *want = "";

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CE_NOMEM;
	c->interval = BDCONF_INTERVAL_DEFAULT;
	while ((r = bdconf_get_line(b, line)) == 0) {
		lineno++;
		if ((r = bdconf_split(line, w, &n)) != 0) {
			want = "at most 16 words";
			goto bad;
		}
		if (n == 0)
			continue;
		if (strcmp(w[0], "store") == 0) {
			want = "'store dir:PATH', 'store rbs://HOST:PORT/NAME' "
			    "or 'store hsm:DIR' (a Backup HSM), once";
			if (n != 2 || c->store[0] != '\0' ||
			    (strncmp(w[1], "dir:", 4) != 0 &&
			    strncmp(w[1], "rbs://", 6) != 0 &&
			    strncmp(w[1], "s3://", 5) != 0 &&
			    strncmp(w[1], "hsm:", 4) != 0) || copy(c->store, w[1]))
				goto bad;
		} else if (strcmp(w[0], "interval") == 0) {
			want = "'interval N[s|m|h|d]', 1 s to 366 d";
			if (n != 2 || parse_interval(w[1], &c->interval) != 0)
				goto bad;
		} else if (strcmp(w[0], "keep") == 0) {
			want = "'keep last N daily N weekly N monthly N' (any "
			    "of them, not all 0), once";
			if (c->have_keep || parse_keep(w, n, &c->keep) != 0)
				goto bad;
			c->have_keep = 1;
		} else if (strcmp(w[0], "state") == 0) {
			want = "'state DIR' (where disabled jobs are recorded), "
			    "once";
			if (n != 2 || c->state[0] != '\0' ||
			    copy(c->state, w[1]) != 0)
				goto bad;
		} else if (strcmp(w[0], "verify") == 0) {
			want = "'verify every N[s|m|h|d]' (a structure check of "
			    "every backup in the store), once";
			if (n != 3 || c->verify_every != 0 ||
			    strcmp(w[1], "every") != 0 ||
			    parse_interval(w[2], &c->verify_every) != 0)
				goto bad;
		} else if (strcmp(w[0], "metrics") == 0) {
			want = "'metrics PATH', once";
			if (n != 2 || c->metrics[0] != '\0' ||
			    copy(c->metrics, w[1]) != 0)
				goto bad;
		} else if (strcmp(w[0], "rbs-identity") == 0) {
			want = "'rbs-identity DIR' (an rbs:// store's client "
			    "identity, made by 'rbs enroll'), once";
			if (n != 2 || c->rbs_identity[0] != '\0' ||
			    copy(c->rbs_identity, w[1]) != 0)
				goto bad;
		} else if (strcmp(w[0], "officer-pin-file") == 0) {
			want = "'officer-pin-file PATH' (the SO password of a "
			    "Backup HSM store, for retention), once";
			if (n != 2 || c->officer_pin_file[0] != '\0' ||
			    copy(c->officer_pin_file, w[1]) != 0)
				goto bad;
		} else if (strcmp(w[0], "job") == 0) {
			want = "'job NAME from=hsm:DIR#LABEL (pin-file=F | "
			    "challenge-file=F) backup-pin-file=F [kdf=P] "
			    "[role=co|cu]' with a unique NAME of 1..32 "
			    "A-Z a-z 0-9 . _ -";
			if (c->njobs == BDCONF_JOBS_MAX) {
				want = "at most 64 jobs";
				goto bad;
			}
			if (parse_job(w, n, &c->jobs[c->njobs]) != 0)
				goto bad;
			if (strncasecmp(c->jobs[c->njobs].from, "pkcs11:",
			    7) == 0) {
				want = "a partition (from=hsm:DIR#LABEL): a "
				    "PKCS#11 token is backed up by 'backupd "
				    "backup --from pkcs11:...' (a systemd "
				    "timer can run it), not by a job yet";
				goto bad;
			}
			for (i = 0; i < c->njobs; i++)
				if (strcmp(c->jobs[i].name,
				    c->jobs[c->njobs].name) == 0)
					goto bad;
			c->njobs++;
		} else {
			want = "store, interval, keep, state, verify, metrics, "
			    "rbs-identity, officer-pin-file or job";
			goto bad;
		}
	}
	if (r != CE_TRUNCATED) {
		lineno++;
		want = "a line of at most 1023 printable characters";
		goto bad;
	}
	if (c->store[0] == '\0' || c->njobs == 0) {
		err_set_detail("backupd configuration: it needs a 'store "
		    "dir:PATH' line and at least one 'job' line");
		free(c);
		return CE_FORMAT;
	}
	*cp = *c;
	free(c);
	return 0;
 bad:
	err_set_detail("backupd configuration: line %d is not valid: "
	    "expected %s", lineno, want);
	free(c);
	return CE_FORMAT;
}

int
bdconf_load(const char *path, struct bdconf *c)
{
	struct buf *b = NULL;
	int r;

	if ((r = file_read(path, BDCONF_MAX, &b)) != 0)
		return r;
	r = bdconf_parse(b, c);
	buf_free(b);
	return r;
}
