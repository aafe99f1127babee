/*
 * backupd check --config FILE: what an operator runs after editing the
 * configuration, before the timer does: it parses, every file it names
 * exists, every secret file (PIN, share, challenge, backup password) is a
 * regular file of the running user that group and others cannot read, the
 * HSM directories are there, the store opens, and the state and metrics
 * directories are writable. It never opens a partition nor logs in, so it
 * costs no credential. Each problem is one line with its fix.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backupd.h"
#include "bstore.h"
#include "cli.h"
#include "err.h"
#include "file.h"
#include "uri.h"

struct check {
	struct json *j;
	int worst;
	size_t problems;
};

static void
problem(struct check *k, int exit, const char *where, const char *what,
    const char *fix)
{
	k->problems++;
	if (exit > k->worst)
		k->worst = exit;
	if (k->j != NULL) {
		json_obj_begin(k->j, NULL);
		json_str(k->j, "where", where);
		json_str(k->j, "problem", what);
		json_str(k->j, "fix", fix);
		json_int(k->j, "exit", exit);
		json_obj_end(k->j);
	} else
		printf("%s: %s\n    fix: %s\n", where, what, fix);
}

/* A secret file: there, regular, ours, private (job NULL: a global line). */
static void
check_secret(struct check *k, const char *job, const char *key,
    const char *path)
{
	char where[128], fix[PATH_MAX + 64];
	struct stat st;

	if (path[0] == '\0')
		return;
	if (job != NULL)
		snprintf(where, sizeof(where), "job %s: %s=%s", job, key, path);
	else
		snprintf(where, sizeof(where), "%s %s", key, path);
	if (stat(path, &st) != 0) {
		snprintf(fix, sizeof(fix), "create it (umask 077) or correct "
		    "the path");
		problem(k, EXIT_FAILED, where, strerror(errno), fix);
		return;
	}
	if (file_check_private(path, &st) != 0) {
		snprintf(fix, sizeof(fix), "chmod 600 %s", path);
		problem(k, EXIT_REFUSED, where, err_detail(), fix);
		err_set_detail(NULL);
		return;
	}
	if (st.st_uid != geteuid()) {
		snprintf(fix, sizeof(fix), "chown %lu %s (the user backupd "
		    "runs as)", (unsigned long)geteuid(), path);
		problem(k, EXIT_REFUSED, where, "owned by another user", fix);
	}
}

static void
check_hsm(struct check *k, const struct bdconf_job *j)
{
	char where[128], path[PATH_MAX];
	struct hsm_uri u;
	struct stat st;

	snprintf(where, sizeof(where), "job %s: from=%s", j->name, j->from);
	if (uri_parse_hsm(j->from, 1, &u) != 0) {
		problem(k, EXIT_USAGE, where, "not hsm:DIR#LABEL",
		    "name the partition as hsm:DIR#LABEL");
		return;
	}
	snprintf(path, sizeof(path), "%s/hsm.db", u.dir);
	if (stat(path, &st) != 0)
		problem(k, EXIT_FAILED, where, "no HSM in that directory",
		    "correct the directory, or make the HSM with 'hsm init'");
	uri_clear(&u);
}

/* The directory of path (or path itself with dir set) must be writable. */
static void
check_writable(struct check *k, const char *what, const char *path, int dir)
{
	char d[PATH_MAX], fix[PATH_MAX + 64];
	const char *slash;

	if (dir)
		snprintf(d, sizeof(d), "%s", path);
	else if ((slash = strrchr(path, '/')) == NULL)
		snprintf(d, sizeof(d), ".");
	else
		snprintf(d, sizeof(d), "%.*s", (int)(slash - path), path);
	if (access(d, W_OK) != 0) {
		snprintf(fix, sizeof(fix), "create %s, writable by the user "
		    "backupd runs as", d);
		problem(k, EXIT_FAILED, what, strerror(errno), fix);
	}
}

int
backupd_check(const char *config, int json)
{
	struct check k;
	struct bdconf *c;
	struct bstore *st = NULL;
	char dir[PATH_MAX];
	size_t i;
	int r;

	memset(&k, 0, sizeof(k));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cli_fail(PROG, CE_NOMEM, "check");
	if ((r = bdconf_load(config, c)) != 0) {
		free(c);
		return cli_fail(PROG, r, config);
	}
	if (json) {
		k.j = json_new(stdout);
		json_obj_begin(k.j, NULL);
		json_str(k.j, "config", config);
		json_int(k.j, "jobs", (int64_t)c->njobs);
		json_arr_begin(k.j, "problems");
	}
	for (i = 0; i < c->njobs; i++) {
		const struct bdconf_job *j = &c->jobs[i];

		check_hsm(&k, j);
		check_secret(&k, j->name, "pin-file", j->pin_file);
		check_secret(&k, j->name, "challenge-file", j->challenge_file);
		check_secret(&k, j->name, "backup-pin-file", j->backup_pin_file);
	}
	if (c->rbs_identity[0] != '\0' &&
	    (r = bstore_rbs_identity(c->rbs_identity, NULL)) != 0)
		problem(&k, EXIT_FAILED, "rbs-identity", err_detail(),
		    "make it with 'rbs enroll'");
	check_secret(&k, NULL, "officer-pin-file", c->officer_pin_file);
	if ((r = bstore_open(c->store, &st)) != 0) {
		char what[512];

		snprintf(what, sizeof(what), "%s%s%s", err_str(r),
		    err_detail()[0] ? ": " : "", err_detail());
		problem(&k, EXIT_FAILED, "store", what, r == CE_NOT_FOUND ?
		    "make it with 'backupd init STORE'" : "correct the store "
		    "line, or make the store reachable");
	} else if (bstore_ped(st))
		problem(&k, EXIT_FAILED, "store", "a PED Backup HSM: its backup "
		    "partitions take a share set, which a scheduled job cannot "
		    "present", "schedule to a password Backup HSM or a dir: "
		    "store; back up to this one by hand (backupd backup "
		    "--backup-share)");
	else if (bstore_officer_dir(st) != NULL && c->have_keep &&
	    c->officer_pin_file[0] == '\0')
		problem(&k, EXIT_REFUSED, "keep", "retention on a Backup HSM "
		    "removes backup partitions, which needs its SO", "add "
		    "'officer-pin-file PATH' (the Backup HSM SO's password)");
	bstore_close(st);
	jobstate_dir(c, config, dir);
	check_writable(&k, "state directory", dir, 1);
	if (c->metrics[0] != '\0')
		check_writable(&k, "metrics", c->metrics, 0);
	if (k.j != NULL) {
		json_arr_end(k.j);
		json_obj_end(k.j);
		json_free(k.j);
	} else if (k.problems == 0)
		printf("%s: %zu job%s, every file and the store in order\n",
		    config, c->njobs, c->njobs == 1 ? "" : "s");
	free(c);
	if (k.worst != 0) {
		err_set_detail("%zu problem%s in %s (listed above)", k.problems,
		    k.problems == 1 ? "" : "s", config);
		return cli_fail(PROG, k.worst == EXIT_USAGE ? CE_USAGE :
		    k.worst == EXIT_REFUSED ? CE_POLICY : CE_IO, "check");
	}
	return EXIT_DONE;
}
