/*
 * backupd run: the scheduled form of `backupd backup`. Each job backs up
 * one partition into the configured store every `interval`, logging in
 * unattended (a password file, or the challenge of an activated PED CO or
 * CU), then applies the retention policy to the series it writes (soft
 * delete, never the last good backup; purge past the grace period) and
 * rewrites the metrics file. At start it removes what killed runs left in
 * the store's .tmp/. One line per event on stderr, with its syslog
 * priority under journald (log.c).
 *
 * An unattended job never spends a credential twice: a run refused with
 * exit 3 (a wrong or unreadable credential, a locked role, a policy)
 * disables the job on disk (jobstate.c) until `backupd enable JOB` or a
 * change of its line; it is never retried by itself. Other failures are
 * retried at the next interval. `verify every N` adds a job that checks
 * every backup's structure. SIGHUP re-reads the configuration between
 * jobs (a bad one is logged and the old one kept); SIGTERM or SIGINT ends
 * the loop between jobs, never inside one.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "bstore.h"
#include "cli.h"
#include "cred.h"
#include "endpoint.h"
#include "kdf.h"
#include "err.h"
#include "backupd.h"
#include "secret.h"

static volatile sig_atomic_t stop, reload;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The scheduler's state: the configuration and one state per job. */
struct sched {
	const char *config;
	struct bdconf *c;
	struct job_state *s;
	struct bstore *st;
	char statedir[PATH_MAX];
	int64_t verify_next;
	struct verify_state v;
};

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
	/* The backup password file is checked before any login is spent. */
	if ((r = cli_read_secret("backup partition password: ", &bsrc, 0,
	    &pw)) != 0 ||
	    (r = kdf_password_check(pw, "a backup partition password")) != 0 ||
	    (r = endpoint_open(j->from, &e)) != 0 ||
	    (r = endpoint_cloning_check(e)) != 0 ||
	    (r = cred_endpoint_login(PROG, e, j->role, &cred, 0)) != 0)
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
		bd_log(LOG_INFO, "retention: soft-deleted %s (undo within the "
		    "store's grace period)", names[i]);
	s->pruned += n;
	free(names);
	/* What has been in the trash past the grace period goes for good. */
	if ((r = bstore_purge(st, (int64_t)time(NULL), &n)) != 0)
		return r;
	if (n > 0)
		bd_log(LOG_INFO, "retention: purged %zu backup%s past the grace "
		    "period", n, n == 1 ? "" : "s");
	return 0;
}

/* Records and reports that job j is disabled after refusal r. */
static void
disable_job(struct sched *x, const struct bdconf_job *j, struct job_state *s,
    int r)
{
	char why[300];

	snprintf(why, sizeof(why), "%s%s%s", err_str(r),
	    err_detail()[0] ? ": " : "", err_detail());
	s->off.disabled = 1;
	s->off.since = (int64_t)time(NULL);
	snprintf(s->off.why, sizeof(s->off.why), "%.200s", why);
	if (jobstate_disable(x->statedir, j, why) != 0)
		bd_log(LOG_ERR, "job %s: cannot record it disabled in %s: %s "
		    "(it stays disabled until backupd stops)", j->name,
		    x->statedir, err_detail());
	bd_log(LOG_ERR, "job %s: DISABLED: its credential was refused, so "
	    "it will not try again (each try could count toward the role's "
	    "lockout); fix it, then run 'backupd enable %s --config %s'",
	    j->name, j->name, x->config);
}

static void
run_job(struct sched *x, size_t i)
{
	const struct bdconf_job *j = &x->c->jobs[i];
	struct job_state *s = &x->s[i];
	struct backup_result res;
	double t0 = now_mono();
	struct bstore_entry e;
	int r;

	s->last_run = (int64_t)time(NULL);
	r = backup_job(x->c, j, x->st, &res);
	s->last_duration = now_mono() - t0;
	s->last_exit = err_exit_code(r);
	if (r != 0) {
		s->failures++;
		s->last_failure = s->last_run;
		bd_log(LOG_ERR, "job %s: backup of %s failed: %s%s%s", j->name,
		    j->from, err_str(r), err_detail()[0] ? ": " : "",
		    err_detail());
		if (s->last_exit == EXIT_REFUSED)
			disable_job(x, j, s, r);
		err_set_detail(NULL);
		return;
	}
	s->last_success = s->last_run;
	s->last_objects = res.objects;
	if (bstore_show(x->st, res.name, &e) == 0)
		s->last_bytes = e.file_size;
	bd_log(LOG_INFO, "job %s: %s: %llu objects in %.2f s", j->name,
	    res.name, (unsigned long long)res.objects, s->last_duration);
	if ((r = prune_job(x->c, x->st, res.name, s)) != 0) {
		bd_log(LOG_ERR, "job %s: retention failed: %s%s%s", j->name,
		    err_str(r), err_detail()[0] ? ": " : "", err_detail());
		err_set_detail(NULL);
	}
	s->last_verified = bstore_series_verified(x->st, res.name);
}

static void
verify_each(void *ctx, const char *name, int r)
{
	(void)ctx;
	if (r != 0)
		bd_log(LOG_ERR, "verify: %s FAILED: %s%s%s (it no longer counts "
		    "as verified)", name, err_str(r), err_detail()[0] ? ": " :
		    "", err_detail());
}

/* The verify job: every backup's structure, each failure logged. */
static void
run_verify(struct sched *x)
{
	struct backup_verify_report rep;
	int r;

	x->v.last_run = (int64_t)time(NULL);
	r = backup_verify_all(x->st, verify_each, NULL, &rep);
	x->v.last_exit = err_exit_code(r);
	x->v.checked = rep.checked;
	x->v.failed = rep.failed;
	bd_log(r == 0 ? LOG_INFO : LOG_ERR, "verify: %zu of %zu backups "
	    "passed", rep.passed, rep.checked);
	err_set_detail(NULL);
}

static void
write_metrics(struct sched *x)
{
	size_t n = 0;
	int r;

	if ((r = bstore_count(x->st, &n)) == 0)
		r = metrics_write(x->c, x->s, &x->v, n,
		    bstore_config(x->st)->capacity);
	if (r != 0) {
		bd_log(LOG_ERR, "cannot write the metrics file %s: %s%s%s",
		    x->c->metrics, err_str(r), err_detail()[0] ? ": " : "",
		    err_detail());
		err_set_detail(NULL);
	}
}

/* Reads each job's disabled mark; logs the disabled ones at error. */
static void
load_states(struct sched *x)
{
	size_t i;

	for (i = 0; i < x->c->njobs; i++) {
		struct job_state *s = &x->s[i];

		if (jobstate_get(x->statedir, &x->c->jobs[i], &s->off) != 0) {
			/* Cannot tell: a person looks before a login is spent. */
			s->off.disabled = 1;
			snprintf(s->off.why, sizeof(s->off.why), "its state in "
			    "%.80s cannot be read: %.120s", x->statedir,
			    err_detail());
		}
		if (s->off.changed)
			bd_log(LOG_NOTICE, "job %s: its configuration changed "
			    "since it was disabled: enabled again",
			    x->c->jobs[i].name);
		/* Enabled while it waited as disabled: due at once. */
		if (!s->off.disabled && s->last_exit == EXIT_REFUSED)
			s->next = 0;
		if (s->off.disabled)
			bd_log(LOG_ERR, "job %s: DISABLED (%s); fix it, then run "
			    "'backupd enable %s --config %s'", x->c->jobs[i].name,
			    s->off.why, x->c->jobs[i].name, x->config);
	}
}

/*
 * SIGHUP: the new configuration replaces the old one when it parses and
 * names the same store (another store needs a restart: the run lock is
 * the store's); jobs keep their state by name.
 */
static void
reload_config(struct sched *x)
{
	struct bdconf *nc;
	struct job_state *ns;
	size_t i, k;
	int r;

	if ((nc = calloc(1, sizeof(*nc))) == NULL)
		return;
	if ((r = bdconf_load(x->config, nc)) != 0 ||
	    strcmp(nc->store, x->c->store) != 0) {
		bd_log(LOG_ERR, "reload: %s: %s; the running configuration is "
		    "kept", x->config, r != 0 ? err_detail() :
		    "another store needs a restart");
		err_set_detail(NULL);
		free(nc);
		return;
	}
	if ((ns = calloc(nc->njobs, sizeof(*ns))) == NULL) {
		free(nc);
		return;
	}
	for (i = 0; i < nc->njobs; i++)
		for (k = 0; k < x->c->njobs; k++)
			if (strcmp(nc->jobs[i].name, x->c->jobs[k].name) == 0)
				ns[i] = x->s[k];
	free(x->c);
	free(x->s);
	x->c = nc;
	x->s = ns;
	jobstate_dir(x->c, x->config, x->statedir);
	if (x->c->verify_every == 0)
		x->verify_next = 0;
	load_states(x);
	bd_log(LOG_NOTICE, "reloaded %s: %zu job%s", x->config, x->c->njobs,
	    x->c->njobs == 1 ? "" : "s");
}

/* One pass over what is due; returns the worst exit status of the runs. */
static int
run_due(struct sched *x, int once)
{
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int worst = 0;

	for (i = 0; i < x->c->njobs && !stop; i++) {
		struct job_state *s = &x->s[i];

		if (s->next > now)
			continue;
		/* A disabled job is looked at, never run, until a person
		 * enables it (`backupd enable` takes effect here). */
		if (s->off.disabled && (jobstate_get(x->statedir,
		    &x->c->jobs[i], &s->off) != 0 || s->off.disabled)) {
			s->off.disabled = 1;
			if (once)
				worst = worst > EXIT_REFUSED ? worst :
				    EXIT_REFUSED;
			s->next = now + (int64_t)x->c->interval;
			continue;
		}
		run_job(x, i);
		if (s->last_exit > worst)
			worst = s->last_exit;
		s->next = s->last_run + (int64_t)x->c->interval;
		write_metrics(x);
	}
	if (x->c->verify_every != 0 && !stop && x->verify_next <= now) {
		run_verify(x);
		if (x->v.last_exit > worst)
			worst = x->v.last_exit;
		x->verify_next = x->v.last_run + (int64_t)x->c->verify_every;
		write_metrics(x);
	}
	return worst;
}

static int64_t
next_due(const struct sched *x)
{
	int64_t next = INT64_MAX;
	size_t i;

	for (i = 0; i < x->c->njobs; i++)
		if (x->s[i].next < next)
			next = x->s[i].next;
	if (x->c->verify_every != 0 && x->verify_next < next)
		next = x->verify_next;
	return next;
}

int
backupd_run(const char *config, int once)
{
	struct sched x;
	struct sigaction sa;
	size_t i;
	int r, worst = 0, runlock = -1;

	memset(&x, 0, sizeof(x));
	x.config = config;
	if ((x.c = calloc(1, sizeof(*x.c))) == NULL)
		return cli_fail(PROG, CE_NOMEM, "run");
	if ((r = bdconf_load(config, x.c)) != 0) {
		r = cli_fail(PROG, r, "cannot read the configuration");
		goto out;
	}
	jobstate_dir(x.c, config, x.statedir);
	if (x.c->rbs_identity[0] != '\0' &&
	    (r = bstore_rbs_identity(x.c->rbs_identity, NULL)) != 0) {
		r = cli_fail(PROG, r, "rbs-identity");
		goto out;
	}
	if ((r = bstore_open(x.c->store, &x.st)) != 0) {
		r = cli_fail(PROG, r, "cannot open the backup store");
		goto out;
	}
	/* A job's credentials are files; a share set is held by people. */
	if (bstore_ped(x.st)) {
		err_set_detail("%s is a PED Backup HSM, whose backup partitions "
		    "take a share set: scheduled jobs cannot present one; back "
		    "up by hand with 'backupd backup --backup-share', or "
		    "schedule to a password Backup HSM", x.c->store);
		r = cli_fail(PROG, CE_UNSUPPORTED, "refused");
		goto out;
	}
	/* A Backup HSM's retention needs its SO: logged in once, here. */
	if (bstore_officer_dir(x.st) != NULL && x.c->have_keep) {
		struct cred_src so;

		memset(&so, 0, sizeof(so));
		so.pin_file = x.c->officer_pin_file[0] ?
		    x.c->officer_pin_file : NULL;
		if (so.pin_file == NULL) {
			err_set_detail("retention ('keep') on the Backup HSM %s "
			    "needs its SO: add 'officer-pin-file PATH' to %s",
			    x.c->store, config);
			r = cli_fail(PROG, CE_NOT_LOGGED_IN, "refused");
			goto out;
		}
		if ((r = cred_store_officer(PROG, x.st, &so)) != 0) {
			r = cli_fail(PROG, r, "the Backup HSM's SO did not log "
			    "in");
			goto out;
		}
	}
	/* One scheduler per store: two would run each job twice and
	 * overwrite each other's metrics. Held until this process ends. */
	if ((r = bstore_run_lock(x.st, &runlock)) != 0) {
		r = cli_fail(PROG, r, "refused");
		goto out;
	}
	if ((x.s = calloc(x.c->njobs, sizeof(*x.s))) == NULL) {
		r = cli_fail(PROG, CE_NOMEM, "run");
		goto out;
	}
	/* What a killed earlier run left in .tmp/ goes first. */
	if (bstore_gc(x.st, &i) == 0 && i > 0)
		bd_log(LOG_NOTICE, "removed %zu temporar%s of interrupted "
		    "backups", i, i == 1 ? "y" : "ies");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* A SIGHUP or SIGTERM mid-job must not fail the job's reads and
	 * writes with EINTR; the one-second naps end early anyway. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	bd_log(LOG_INFO, "%zu job%s into %s every %llu s%s; state in %s",
	    x.c->njobs, x.c->njobs == 1 ? "" : "s", x.c->store,
	    (unsigned long long)x.c->interval, once ? " (once)" : "",
	    x.statedir);
	load_states(&x);
	write_metrics(&x);
	while (!stop) {
		if (reload) {
			reload = 0;
			reload_config(&x);
		}
		r = run_due(&x, once);
		if (r > worst)
			worst = r;
		if (once)
			break;
		/* One-second naps so a signal ends the wait promptly. */
		while (!stop && !reload && (int64_t)time(NULL) < next_due(&x))
			sleep(1);
	}
	if (stop)
		bd_log(LOG_NOTICE, "stopping on a signal");
	r = once ? worst : EXIT_DONE;
 out:
	if (runlock >= 0)
		close(runlock);
	bstore_close(x.st);
	free(x.s);
	free(x.c);
	return r;
}

int
backupd_enable(const char *config, const char *job)
{
	struct bdconf *c;
	char dir[PATH_MAX];
	size_t i;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cli_fail(PROG, CE_NOMEM, "enable");
	if ((r = bdconf_load(config, c)) != 0) {
		r = cli_fail(PROG, r, "cannot read the configuration");
		goto out;
	}
	for (i = 0; i < c->njobs && strcmp(c->jobs[i].name, job) != 0; i++)
		;
	if (i == c->njobs) {
		err_set_detail("no job '%s' in %s", job, config);
		r = cli_fail(PROG, CE_NOT_FOUND, "enable");
		goto out;
	}
	jobstate_dir(c, config, dir);
	if ((r = jobstate_enable(dir, job)) != 0) {
		r = cli_fail(PROG, r, "enable");
		goto out;
	}
	bd_log(LOG_NOTICE, "job %s enabled: a running 'backupd run' takes it "
	    "up at its next interval (SIGHUP: at once)", job);
	r = EXIT_DONE;
 out:
	free(c);
	return r;
}
