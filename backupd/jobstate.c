/*
 * Disabled jobs, kept on disk: a job whose credential was refused (exit 3)
 * is never run again by the scheduler, across restarts, until a person
 * runs `backupd enable JOB` or changes the job's line in the configuration.
 * An unattended job must never spend a login attempt on a credential that
 * failed once: ten of them lock the role out of production.
 *
 *   STATE/<job>.disabled   "disabled <RFC 3339 time> <fingerprint>\n<why>\n"
 *
 * The fingerprint is a hash of the job's configuration; a mark whose
 * fingerprint is not the job's current one is from an older configuration
 * and is dropped (the operator changed the job: it runs again).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backupd.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "file.h"
#include "utc.h"

#define MARK_MAX 1024

int
jobstate_dir(const struct bdconf *c, const char *config, char out[PATH_MAX])
{
	const char *env = getenv("STATE_DIRECTORY"), *slash;

	if (c->state[0] != '\0')
		snprintf(out, PATH_MAX, "%s", c->state);
	else if (env != NULL && env[0] != '\0' && strchr(env, ':') == NULL)
		snprintf(out, PATH_MAX, "%s", env);
	else if ((slash = strrchr(config, '/')) == NULL)
		snprintf(out, PATH_MAX, ".");
	else
		snprintf(out, PATH_MAX, "%.*s", (int)(slash - config), config);
	if (out[0] == '\0')
		snprintf(out, PATH_MAX, "/");
	return 0;
}

void
job_fingerprint(const struct bdconf_job *j, char out[JOB_FP_LEN + 1])
{
	uint8_t h[CC_HASH_LEN];
	char text[6 * BDCONF_PATH_MAX];
	size_t i;

	snprintf(text, sizeof(text), "%s\n%s\n%s\n%s\n%s\n%d\n%d\n", j->name,
	    j->from, j->pin_file, j->challenge_file, j->backup_pin_file,
	    j->kdf, j->role);
	cc_sha384(text, strlen(text), h);
	for (i = 0; i < JOB_FP_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void
mark_path(const char *dir, const char *job, char path[PATH_MAX])
{
	snprintf(path, PATH_MAX, "%s/%s.disabled", dir, job);
}

int
jobstate_get(const char *dir, const struct bdconf_job *j,
    struct job_disabled *d)
{
	char path[PATH_MAX], fp[JOB_FP_LEN + 1], when[UTC_ISO_LEN + 1];
	char mfp[JOB_FP_LEN + 1], *text, *nl;
	struct buf *b = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	mark_path(dir, j->name, path);
	if ((r = file_read_nofollow(path, MARK_MAX, &b)) != 0)
		return r == CE_NOT_FOUND ? 0 : r;
	if ((text = strndup((const char *)buf_ptr(b), buf_len(b))) == NULL) {
		buf_free(b);
		return CE_NOMEM;
	}
	buf_free(b);
	job_fingerprint(j, fp);
	/* Unreadable marks count as disabled: a person looks, not the timer. */
	d->disabled = 1;
	if (sscanf(text, "disabled %20s %32s", when, mfp) == 2) {
		if (strcmp(mfp, fp) != 0) {
			/* The job's line changed since: the operator acted. */
			d->disabled = 0;
			d->changed = 1;
			(void)unlink(path);
		}
		(void)utc_parse_iso(when, &d->since);
	}
	if ((nl = strchr(text, '\n')) != NULL)
		snprintf(d->why, sizeof(d->why), "%.*s", (int)strcspn(nl + 1,
		    "\n"), nl + 1);
	free(text);
	return 0;
}

int
jobstate_disable(const char *dir, const struct bdconf_job *j, const char *why)
{
	char path[PATH_MAX], fp[JOB_FP_LEN + 1], when[UTC_ISO_LEN + 1];
	char text[MARK_MAX];
	int n;

	mark_path(dir, j->name, path);
	job_fingerprint(j, fp);
	utc_iso((int64_t)time(NULL), when);
	n = snprintf(text, sizeof(text), "disabled %s %s\n%.900s\n", when, fp,
	    why);
	if (n < 0 || (size_t)n >= sizeof(text))
		return CE_TOO_LONG;
	return file_write_atomic(path, text, (size_t)n, 0600);
}

int
jobstate_enable(const char *dir, const char *job)
{
	char path[PATH_MAX];

	mark_path(dir, job, path);
	if (unlink(path) != 0) {
		if (errno == ENOENT) {
			err_set_detail("job '%s' is not disabled", job);
			return CE_NOT_FOUND;
		}
		err_set_detail("cannot remove %s: %s", path, strerror(errno));
		return CE_IO;
	}
	return file_fsync_dir(dir);
}
