/*
 * node_exporter textfile metrics (docs/backupd.md, metrics): one file, written
 * atomically after every job run, that the textfile collector exposes.
 * Labels are job names (bdconf: A-Z a-z 0-9 . _ -, nothing to escape).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "backupd.h"

struct metric {
	const char *name, *help;
};

static const struct metric per_job[] = {
	{ "coffer_backup_last_run_timestamp_seconds",
	    "When the job last ran (UTC seconds; 0: never)." },
	{ "coffer_backup_last_success_timestamp_seconds",
	    "When the job last made a backup (UTC seconds; 0: never)." },
	{ "coffer_backup_last_duration_seconds",
	    "How long the job's last run took." },
	{ "coffer_backup_last_objects",
	    "Objects in the job's last backup." },
	{ "coffer_backup_last_exit_status",
	    "Exit status of the job's last run: 0 done, 1 failed, 3 refused, 4 integrity." },
	{ "coffer_backup_last_failure_timestamp_seconds",
	    "When the job last failed (UTC seconds; 0: never)." },
	{ "coffer_backup_last_bytes",
	    "Size of the job's last backup file in bytes." },
	{ "coffer_backup_last_verified_timestamp_seconds",
	    "Newest verified mark of the job's series (UTC seconds; 0: none)." },
	{ "coffer_backup_job_disabled",
	    "1 when a refused credential disabled the job (backupd enable)." },
	{ "coffer_backup_failures_total",
	    "Runs of the job that failed since backupd started." },
	{ "coffer_backup_pruned_total",
	    "Backups of the job soft-deleted by retention since backupd started." },
};
#define NPER (sizeof(per_job) / sizeof(per_job[0]))

static double
value(const struct job_state *s, size_t m)
{
	switch (m) {
	case 0: return (double)s->last_run;
	case 1: return (double)s->last_success;
	case 2: return s->last_duration;
	case 3: return (double)s->last_objects;
	case 4: return s->last_exit;
	case 5: return (double)s->last_failure;
	case 6: return (double)s->last_bytes;
	case 7: return (double)s->last_verified;
	case 8: return s->off.disabled;
	case 9: return (double)s->failures;
	default: return (double)s->pruned;
	}
}

static int
put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
put(struct buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return CE_TOO_LONG;
	return buf_put(b, line, (size_t)n);
}

/* The first per-job metrics are gauges; the last two are counters. */
#define FIRST_COUNTER (NPER - 2)

int
metrics_write(const struct bdconf *c, const struct job_state *st,
    const struct verify_state *v, uint64_t backups, unsigned capacity)
{
	struct buf *b;
	size_t m, j;
	int r = 0;

	if (c->metrics[0] == '\0')
		return 0;
	if ((b = buf_new(256 * 1024)) == NULL)
		return CE_NOMEM;
	for (m = 0; m < NPER && r == 0; m++) {
		r = put(b, "# HELP %s %s\n# TYPE %s %s\n", per_job[m].name,
		    per_job[m].help, per_job[m].name, m >= FIRST_COUNTER ?
		    "counter" : "gauge");
		for (j = 0; j < c->njobs && r == 0; j++)
			r = put(b, "%s{job=\"%s\"} %.3f\n", per_job[m].name,
			    c->jobs[j].name, value(&st[j], m));
	}
	if (r == 0)
		r = put(b, "# HELP coffer_backup_store_backups Backup partitions "
		    "in the store.\n# TYPE coffer_backup_store_backups gauge\n"
		    "coffer_backup_store_backups %llu\n"
		    "# HELP coffer_backup_store_capacity Backup partitions the "
		    "store may hold.\n# TYPE coffer_backup_store_capacity gauge\n"
		    "coffer_backup_store_capacity %u\n",
		    (unsigned long long)backups, capacity);
	if (r == 0 && c->verify_every != 0)
		r = put(b, "# HELP coffer_backup_verify_last_timestamp_seconds "
		    "When the verify job last ran (0: never).\n"
		    "# TYPE coffer_backup_verify_last_timestamp_seconds gauge\n"
		    "coffer_backup_verify_last_timestamp_seconds %lld\n"
		    "# HELP coffer_backup_verify_checked Backups the last verify "
		    "checked.\n# TYPE coffer_backup_verify_checked gauge\n"
		    "coffer_backup_verify_checked %zu\n"
		    "# HELP coffer_backup_verify_failed Backups that failed the "
		    "last verify.\n# TYPE coffer_backup_verify_failed gauge\n"
		    "coffer_backup_verify_failed %zu\n", (long long)v->last_run,
		    v->checked, v->failed);
	if (r == 0)
		r = file_write_atomic(c->metrics, buf_ptr(b), buf_len(b), 0644);
	buf_free(b);
	return r;
}
