/*
 * cli: what every Coffer tool does the same way.
 *
 * Secret input: a prompt with echo off on a TTY, a --pin-file, or a
 * --pin-env variable (removed from the environment once read); never argv.
 * Errors: one line "tool: what failed: why[: detail]" and the exit status of
 * DESIGN.md. Progress: a bar on stderr only when stderr is a terminal.
 * JSON: a small streaming writer, enough for listings and status.
 */
#ifndef COFFER_CLI_H
#define COFFER_CLI_H

#include <stdint.h>
#include <stdio.h>

struct secret;

/* Exit statuses of DESIGN.md. */
#define EXIT_DONE 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_REFUSED 3
#define EXIT_INTEGRITY 4

/* Where a secret comes from; all NULL means prompt on the TTY. */
struct cli_secret_src {
	const char *file; /* --pin-file PATH: first line */
	const char *env;  /* --pin-env NAME */
};

/*
 * Reads one secret (without its newline) into *sp. Refuses an empty secret.
 * With confirm set and a TTY prompt, asks twice and compares.
 */
int cli_read_secret(const char *prompt, const struct cli_secret_src *src,
    int confirm, struct secret **sp);

/* Prints "prog: what: err_str(r)[: detail]" to stderr; returns the exit code. */
int cli_fail(const char *prog, int r, const char *what);

/* Prints "prog (coffer) VERSION" to stdout: every tool's --version. */
void cli_print_version(const char *prog);

/*
 * The opening of a multi-command tool's main (hsm, backupd, restore, domains, mofn), kept
 * in one place so they answer alike: starts libsodium, then answers no
 * command (help to stderr, EXIT_USAGE), "help", "--help" or "-h" (help to
 * stdout) and "version" or "--version". Returns -1 when main goes on to
 * the command in argv[1], else the exit status.
 */
int cli_main_begin(const char *prog, int argc, char **argv,
    void (*help)(FILE *f));

/* Prints a usage error to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Progress bar: draws on stderr only if it is a TTY. */
struct progress;
struct progress *progress_new(const char *what, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_done(struct progress *p);
/* Ends the bar where it stands (a failure) and frees p; NULL is fine. */
void progress_stop(struct progress *p);

/*
 * JSON writer (jansson underneath): json_new, then one root object or array
 * built with the calls below, printed as one compact line by json_free()
 * when the root was closed; a document left open is dropped. A root object
 * starts with "ok":true. See docs/json.md for the contract.
 */
struct json;
struct json *json_new(FILE *f);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *v);
void json_int(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, int v);
/*
 * A serial number: always a decimal string, in every tool and manifest
 * (they can exceed what a JSON reader holds exactly as a number).
 */
void json_serial(struct json *j, const char *key, uint64_t v);
/* Prints the document (if complete and none was printed yet); frees j. */
void json_free(struct json *j);

/*
 * The tool was given --json: from now on a failure that printed no
 * document prints {"ok":false,"error":{"code","exit","message"}} on stdout
 * (cli_exit), so every --json command prints exactly one document.
 */
void cli_json_mode(void);

/* Forgets --json, any pending document and the last failure (tests). */
void cli_json_reset(void);

/*
 * Every tool's main returns through this: with --json and no document
 * printed, a failing status prints the error document of the last
 * cli_fail()/cli_usage_error() (or a generic one). Returns status.
 */
int cli_exit(int status);

/* Formats a UTC time as "YYYY-MM-DDThh:mm:ssZ" into out[21]. */
void cli_time_iso(int64_t t, char out[21]);

#endif
