/*
 * backupd run: the scheduled form of `backupd backup`. Each job backs up
 * one partition into the configured store every `interval`, logging in
 * unattended (a password file, or the challenge of an activated PED CO or
 * CU), then applies the retention policy (soft delete, never the last good
 * backup; purge past the grace period) and rewrites the metrics file. At
 * start it removes what killed runs left in the store's .tmp/. One line per run on stderr
 * (journald). A failed job is retried at its next interval; the others go
 * on. SIGTERM or SIGINT ends the loop between jobs, never inside one.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "bstore.h"
#include "cli.h"
#include "cred.h"
#include "endpoint.h"
#include "err.h"
#include "backupd.h"
#include "secret.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One backup of job j: open, log in, read the password, back up. */
static int
backup_job(const struct bdconf *c, const struct bdconf_job *j,
    struct bstore *st, struct backup_result *res)
{
	struct cred_src cred;
	struct cli_secret_src bsrc = { j->backup_pin_file, NULL };
	struct backup_params p;
	struct endpoint *e = NULL;
	struct secret *pw = NULL;
	int r;

	memset(&cred, 0, sizeof(cred));
	cred.pin_file = j->pin_file[0] ? j->pin_file : NULL;
	cred.challenge_file = j->challenge_file[0] ? j->challenge_file : NULL;
	if ((r = endpoint_open(j->from, &e)) != 0 ||
	    (r = endpoint_cloning_check(e)) != 0 ||
	    (r = cred_endpoint_login(PROG, e, j->role, &cred, 0)) != 0 ||
	    (r = cli_read_secret("backup partition password: ", &bsrc, 0,
	    &pw)) != 0)
		goto out;
	memset(&p, 0, sizeof(p));
	p.password = pw;
	p.kdf = j->kdf;
	p.store_uri = c->store;
	r = backup_make(e, st, &p, res);
 out:
	secret_free(pw);
	endpoint_close(e);
	return r;
}

/*
 * Retention for the series the job writes (its source partition, named by
 * the backup just made): soft-deletes what the policy drops there and
 * nothing of any other source, nor backups made by hand under another
 * label.
 */
static int
prune_job(const struct bdconf *c, struct bstore *st, const char *made,
    struct job_state *s)
{
	char (*names)[BSTORE_NAME_MAX] = NULL;
	struct bstore_keep keep;
	size_t n = 0, i;
	int r;

	if (!c->have_keep)
		return 0;
	keep = c->keep;
	if ((r = bstore_name_parse(made, keep.series, NULL)) != 0 ||
	    (r = bstore_prune(st, &keep, 0, &names, &n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s: retention: soft-deleted %s (undo within "
		    "the store's grace period)\n", PROG, names[i]);
	s->pruned += n;
	free(names);
	/* What has been in the trash past the grace period goes for good. */
	if ((r = bstore_purge(st, (int64_t)time(NULL), &n)) != 0)
		return r;
	if (n > 0)
		fprintf(stderr, "%s: retention: purged %zu backup%s past the "
		    "grace period\n", PROG, n, n == 1 ? "" : "s");
	return 0;
}

static void
run_job(const struct bdconf *c, const struct bdconf_job *j, struct bstore *st,
    struct job_state *s)
{
	struct backup_result res;
	double t0 = now_mono();
	int r;

	s->last_run = (int64_t)time(NULL);
	r = backup_job(c, j, st, &res);
	s->last_duration = now_mono() - t0;
	s->last_exit = err_exit_code(r);
	if (r != 0) {
		s->failures++;
		fprintf(stderr, "%s: job %s: backup of %s failed: %s%s%s\n",
		    PROG, j->name, j->from, err_str(r),
		    err_detail()[0] ? ": " : "", err_detail());
		err_set_detail(NULL);
		return;
	}
	s->last_success = s->last_run;
	s->last_objects = res.objects;
	fprintf(stderr, "%s: job %s: %s: %llu objects in %.2f s\n", PROG,
	    j->name, res.name, (unsigned long long)res.objects,
	    s->last_duration);
	if ((r = prune_job(c, st, res.name, s)) != 0) {
		fprintf(stderr, "%s: job %s: retention failed: %s%s%s\n", PROG,
		    j->name, err_str(r), err_detail()[0] ? ": " : "",
		    err_detail());
		err_set_detail(NULL);
	}
}

static void
write_metrics(const struct bdconf *c, struct bstore *st,
    const struct job_state *s)
{
	size_t n = 0;
	int r;

	if ((r = bstore_count(st, &n)) == 0)
		r = metrics_write(c, s, n, bstore_config(st)->capacity);
	if (r != 0) {
		fprintf(stderr, "%s: cannot write the metrics file %s: %s%s%s\n",
		    PROG, c->metrics, err_str(r), err_detail()[0] ? ": " : "",
		    err_detail());
		err_set_detail(NULL);
	}
}

int
backupd_run(const char *config, int once)
{
	struct bdconf *c = NULL;
	struct job_state *s = NULL;
	struct bstore *st = NULL;
	struct sigaction sa;
	int64_t now, next;
	size_t i;
	int r, worst = 0, runlock = -1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cli_fail(PROG, CE_NOMEM, "run");
	if ((r = bdconf_load(config, c)) != 0) {
		r = cli_fail(PROG, r, "cannot read the configuration");
		goto out;
	}
	if (c->rbs_identity[0] != '\0' &&
	    (r = bstore_rbs_identity(c->rbs_identity, NULL)) != 0) {
		r = cli_fail(PROG, r, "rbs-identity");
		goto out;
	}
	if ((r = bstore_open(c->store, &st)) != 0) {
		r = cli_fail(PROG, r, "cannot open the backup store");
		goto out;
	}
	/* One scheduler per store: two would run each job twice and
	 * overwrite each other's metrics. Held until this process ends. */
	if ((r = bstore_run_lock(st, &runlock)) != 0) {
		r = cli_fail(PROG, r, "refused");
		goto out;
	}
	if ((s = calloc(c->njobs, sizeof(*s))) == NULL) {
		r = cli_fail(PROG, CE_NOMEM, "run");
		goto out;
	}
	/* What a killed earlier run left in .tmp/ goes first. */
	if (bstore_gc(st, &i) == 0 && i > 0)
		fprintf(stderr, "%s: removed %zu temporar%s of interrupted "
		    "backups\n", PROG, i, i == 1 ? "y" : "ies");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "%s: %zu job%s into %s every %llu s%s\n", PROG,
	    c->njobs, c->njobs == 1 ? "" : "s", c->store,
	    (unsigned long long)c->interval, once ? " (once)" : "");
	while (!stop) {
		now = (int64_t)time(NULL);
		for (i = 0; i < c->njobs && !stop; i++) {
			if (s[i].next > now)
				continue;
			run_job(c, &c->jobs[i], st, &s[i]);
			if (s[i].last_exit > worst)
				worst = s[i].last_exit;
			s[i].next = s[i].last_run + (int64_t)c->interval;
			write_metrics(c, st, s);
		}
		if (once)
			break;
		next = s[0].next;
		for (i = 1; i < c->njobs; i++)
			if (s[i].next < next)
				next = s[i].next;
		/* One-second naps so a signal ends the wait promptly. */
		while (!stop && (int64_t)time(NULL) < next)
			sleep(1);
	}
	if (stop)
		fprintf(stderr, "%s: stopping on a signal\n", PROG);
	r = once ? worst : EXIT_DONE;
 out:
	if (runlock >= 0)
		close(runlock);
	bstore_close(st);
	free(s);
	free(c);
	return r;
}
