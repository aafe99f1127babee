/*
 * bdconf: the configuration of `backupd run` (docs/backupd.md "run"), the
 * scheduled form of `backupd backup`: one store, a schedule, retention,
 * a node_exporter textfile for metrics, and the jobs (one partition each,
 * with the files its unattended credentials are read from; never the
 * secrets themselves).
 *
 *   # comments and blank lines
 *   store dir:/srv/coffer/backups   (or rbs://HOST:PORT/NAME, or hsm:DIR)
 *   interval 1d                     seconds, or N with s, m, h or d
 *   keep last 7 daily 14 weekly 8 monthly 12
 *   metrics /var/lib/node_exporter/textfile/coffer_backupd.prom
 *   state /var/lib/coffer/backupd       where disabled jobs are recorded
 *   verify every 7d                     a structure check of the whole store
 *   rbs-identity /etc/coffer/rbs-client   for an rbs:// store (rbs enroll)
 *   officer-pin-file /etc/coffer/bhsm.so  a Backup HSM store's SO password
 *                                         (its retention needs the SO)
 *   job payments from=hsm:/var/lib/coffer/hsm#payments
 *       challenge-file=/etc/coffer/payments.challenge
 *       backup-pin-file=/etc/coffer/payments.backup kdf=interactive
 *
 * A job is one line (shown folded here): a name (1..32 of A-Z a-z 0-9 . _ -)
 * then key=value words: from (required), exactly one of pin-file and
 * challenge-file (an activated PED CO or CU), backup-pin-file (required),
 * kdf (default interactive), role (co or cu, default co). Every line is
 * checked strictly; a bad one is CE_FORMAT with its number and what is
 * expected. Paths may not hold spaces.
 */
#ifndef COFFER_BDCONF_H
#define COFFER_BDCONF_H

#include <stddef.h>
#include <stdint.h>

#include "bstore.h"

#define BDCONF_MAX (64u * 1024)        /* bytes of the file */
#define BDCONF_LINE_MAX 1024
#define BDCONF_JOBS_MAX 64
#define BDCONF_WORDS_MAX 16
#define BDCONF_NAME_MAX 32
#define BDCONF_PATH_MAX 512
#define BDCONF_INTERVAL_DEFAULT 86400  /* a day */
#define BDCONF_INTERVAL_MIN 1
#define BDCONF_INTERVAL_MAX (366u * 86400)

struct bdconf_job {
	char name[BDCONF_NAME_MAX + 1];
	char from[BDCONF_PATH_MAX];
	char pin_file[BDCONF_PATH_MAX];       /* "" when challenge_file */
	char challenge_file[BDCONF_PATH_MAX]; /* "" when pin_file */
	char backup_pin_file[BDCONF_PATH_MAX];
	int kdf;                              /* KDF_* */
	int role;                             /* ROLE_CO or ROLE_CU */
};

struct bdconf {
	char store[BDCONF_PATH_MAX];
	uint64_t interval;                    /* seconds */
	int have_keep;
	struct bstore_keep keep;
	char metrics[BDCONF_PATH_MAX];        /* "" when none */
	char state[BDCONF_PATH_MAX];          /* "" : $STATE_DIRECTORY or the
	                                         config file's directory */
	uint64_t verify_every;                /* seconds; 0: no verify job */
	char rbs_identity[BDCONF_PATH_MAX];   /* "" when none */
	char officer_pin_file[BDCONF_PATH_MAX]; /* "" when none */
	size_t njobs;
	struct bdconf_job jobs[BDCONF_JOBS_MAX];
};

/* Parses the unread bytes of b. CE_FORMAT (detail: line and expectation). */
int bdconf_parse(struct buf *b, struct bdconf *c);

/* Reads and parses the file at path (at most BDCONF_MAX bytes). */
int bdconf_load(const char *path, struct bdconf *c);

/*
 * The line reader of Coffer's word-per-line configuration files (this one
 * and rbs's, lib/rbsconf.h): one line without its newline from b
 * (CE_TRUNCATED at the end, CE_FORMAT for control bytes or an overlong
 * line), and the line split in place at spaces and tabs, a '#' ending it
 * (CE_FORMAT past BDCONF_WORDS_MAX words).
 */
int bdconf_get_line(struct buf *b, char line[BDCONF_LINE_MAX]);
int bdconf_split(char *line, char *w[BDCONF_WORDS_MAX], size_t *np);

#endif
