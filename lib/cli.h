/*
 * cli: what every Coffer tool does the same way.
 *
 * Secret input: a prompt with echo off on a TTY, a --pin-file, or a
 * --pin-env variable (removed from the environment once read); never argv.
 * Errors: one line "tool: what failed: why[: detail]" and one of the exit
 * statuses below. Progress: a bar on stderr only when stderr is a terminal.
 * JSON: documents built with jansson, one per command (docs/json.md).
 */
#ifndef COFFER_CLI_H
#define COFFER_CLI_H

#include <stdint.h>
#include <getopt.h>
#include <stdio.h>

struct secret;

/* The exit statuses every tool uses (docs/architecture.md). */
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

/*
 * The one option parser of every tool: getopt_long over the tool's table
 * (opts, NULL-terminated) plus the options every tool takes, handled alike
 * everywhere (lib/cli_opt.c):
 *   -h, --help    g->usage(stdout) is called; returns CLI_OPT_HELP (with
 *                 no g->usage: returns 'h', the tool prints its help)
 *   -q, --quiet   cli_set_quiet(1): progress bars and notes are not
 *                 drawn, errors and results still are; not returned
 *   --json        cli_json_mode(); returns CLI_OPT_JSON
 *   a mistake     "PROG WORDS: unknown option or missing value: ARG" (or,
 *                 with bits, "--NAME does not apply here") then g->usage
 *                 on stderr; returns CLI_OPT_BAD (exit with EXIT_USAGE)
 * Otherwise returns the option's code (optarg set, g->name its name), and
 * -1 at the end (optind: the first operand). bits (may be NULL) gives per
 * row of opts the commands it applies to: those whose allowed mask holds
 * it (0: every command). A tool's table holds at most CLI_GETOPT_MAX rows.
 */
enum {
	CLI_OPT_HELP = 0x0f01, CLI_OPT_QUIET, CLI_OPT_JSON,
	CLI_OPT_BAD = -2,
	CLI_GETOPT_MAX = 128,
};
struct cli_getopt {
	const char *prog, *words;      /* "hsm", "partition init" (may be NULL) */
	const struct option *opts;
	const unsigned *bits;
	unsigned allowed;
	void (*usage)(FILE *f, const void *ctx);
	const void *ctx;
	const char *name;              /* the option just returned */
	/* private: the tool's rows, then the common ones */
	struct option all[CLI_GETOPT_MAX + 4];
	size_t nopts;
	int started;
};
/* Starts g for prog (words: the command, or NULL) over the table opts. */
void cli_getopt_init(struct cli_getopt *g, const char *prog,
    const char *words, const struct option *opts);
int cli_getopt(struct cli_getopt *g, int argc, char **argv);

/* --quiet: no progress bars, no notes (cli_note); errors still print. */
void cli_set_quiet(int on);
int cli_quiet(void);
/* "prog: ..." on stderr: information, not a result; silent under --quiet. */
void cli_note(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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
/*
 * An array whose elements can be many (a listing of a million objects): each
 * element goes to an unlinked temporary file once complete, so memory stays
 * flat; the document prints as if built in memory. One per document, never
 * the root; end it with json_arr_end.
 */
void json_arr_begin_spooled(struct json *j, const char *key);
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


#endif
