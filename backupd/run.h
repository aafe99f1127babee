/*
 * backupd run: the schedule loop over the jobs of a configuration file
 * (lib/bdconf.h), and its node_exporter textfile metrics.
 */
#ifndef COFFER_BACKUPD_RUN_H
#define COFFER_BACKUPD_RUN_H

#include <stdint.h>

#include "bdconf.h"

#define PROG "backupd"

/* What the last run of a job did (for the log and the metrics). */
struct job_state {
	int64_t next;          /* when it is due (UTC seconds) */
	int64_t last_run;      /* 0: never ran */
	int64_t last_success;  /* 0: never succeeded */
	double last_duration;  /* seconds */
	uint64_t last_objects;
	int last_exit;         /* exit status of the last run: 0..4 */
	uint64_t failures;     /* runs that failed since the daemon started */
	uint64_t pruned;       /* backups soft-deleted by retention */
};

/*
 * backupd run --config FILE [--once]: runs every due job, then sleeps until
 * the next one is due, until SIGTERM or SIGINT; --once runs every job once
 * and returns the worst exit status.
 */
int backupd_run(const char *config, int once);

/* Writes the metrics of every job to c->metrics (atomically). */
int metrics_write(const struct bdconf *c, const struct job_state *st,
    uint64_t backups, unsigned capacity);

#endif
