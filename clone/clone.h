/*
 * clone: copies objects from one partition to another that shares a
 * cloning domain, over the transfer protocol (lib/xfer) between two
 * endpoints (lib/endpoint). main.c parses, cred.c reads the two
 * credentials, run.c moves the objects, report.c says what happened.
 */
#ifndef COFFER_CLONE_CLONE_H
#define COFFER_CLONE_CLONE_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "cred.h"

struct endpoint;
struct endpoint_stats;
struct secret;

#define PROG "clone"
#define CLONE_SELECT_MAX 1024 /* --object options */

struct clone_opts {
	const char *from, *to;
	struct cred_src from_cred, to_cred; /* --from-* / --to-* credentials */
	const char *objects[CLONE_SELECT_MAX];
	size_t nobjects;
	int conflict;     /* enum endpoint_conflict (ENDPOINT_SYNC for --sync) */
	int json;
	int force;        /* V1: overwrite the target's SMK (its objects go) */
	int smk_only;     /* V1: send the SKS master key alone */
};

/*
 * The one place clone reads credentials (never argv): the source's and
 * the target's Crypto Officer, each as its HSM takes it (lib/cred): a
 * password from --*-pin-file / --*-pin-env or a prompt; on a PED HSM its
 * shares (--*-share, --*-share-pin-file) or an activated CO's challenge
 * (--*-challenge-file / --*-challenge-env). Both are read before either
 * partition is logged in to.
 */
struct cred_login;
int clone_read_creds(const struct clone_opts *o, struct endpoint *src,
    struct endpoint *dst, struct cred_login *from, struct cred_login *to);

/* What a run did, for the report. */
struct clone_result {
	int r;                  /* 0 or the CE_* code that stopped it */
	const char *what;       /* the step that failed */
	char detail[1024];
	char domain[40];        /* the domain the session ran under */
	uint64_t sent;
	const struct endpoint_stats *st;  /* NULL before the sink existed */
	char **clashes;         /* fail mode: every label that clashed */
	size_t nclashes;
	char **missing;         /* selected labels the source lacks */
	size_t nmissing;
};

/* Runs the clone, fills res, reports it (clone_report). Returns the
 * exit status. */
int clone_run(const struct clone_opts *o, struct clone_result *res);

/* Prints the outcome (human or --json) and returns the exit status. */
int clone_report(const struct clone_opts *o, struct clone_result *res);

void clone_result_free(struct clone_result *res);

#endif
