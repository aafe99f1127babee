/*
 * mofn: the tool's subcommands and the plumbing they share (reading share
 * files and lines with their PINs, writing a new set). Everything about
 * shares themselves is lib/share.
 */
#ifndef COFFER_MOFN_H
#define COFFER_MOFN_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "share.h"

struct secret;

#define PROG "mofn"

int split_main(int argc, char **argv);
int combine_main(int argc, char **argv);
int verify_main(int argc, char **argv);
int inspect_main(int argc, char **argv);
int duplicate_main(int argc, char **argv);
int reissue_main(int argc, char **argv);

/* PIN files given with a repeatable option, used in order. */
struct pin_list {
	const char *files[SHARE_MAX_INPUTS];
	size_t n, next;
};

/* Adds one --pin-file; returns 0 or CE_USAGE when there are too many. */
int pin_list_add(struct pin_list *pl, const char *path);

/* Shares read from the command line, each with where it came from. */
struct inputs {
	struct share *sh[SHARE_MAX_INPUTS];
	char name[SHARE_MAX_INPUTS][PATH_MAX + 24];
	size_t n;
	size_t rejected;  /* left out: they failed their own checksum */
};

/*
 * Calls fn for each share in paths[0..npaths): a share file (is_file set,
 * the whole file) or each share line of a text file or of "-" (standard
 * input). fn returns 0 or an exit status that stops the walk. Returns 0 or
 * the exit status (printed already).
 */
typedef int (*item_fn)(void *ctx, const char *name, const uint8_t *p,
    size_t len, int is_file);
int inputs_walk(char **paths, int npaths, item_fn fn, void *ctx);

/*
 * Reads every share in paths[0..npaths): a share file, a text file of
 * share lines (one per line; blank lines and lines starting with '#'
 * skipped), or "-" for lines on standard input. PIN-protected files take
 * the next file of pins, else prompt. A share that fails its checksum is
 * reported, counted in rejected and left out. On failure prints the error
 * and returns the exit status; 0 on success.
 */
int inputs_load(struct inputs *in, char **paths, int npaths,
    struct pin_list *pins);

/* Frees the shares. */
void inputs_free(struct inputs *in);

/* Prints "mofn: share #i from NAME is corrupt ..." for each bad input. */
void inputs_report_bad(const struct inputs *in, uint32_t bad);

/* Prints the mapping of input numbers to names (after a combine error). */
void inputs_list(const struct inputs *in);

/*
 * share_combine over the inputs. Unless quiet, prints the error (with the
 * inputs listed) and names corrupt shares; returns the exit status then.
 * Quiet: returns the CE_* code and prints nothing.
 */
int inputs_combine(const struct inputs *in, struct secret **sp,
    struct share_report *rep, int quiet);

/* Where a new set goes and how its shares are protected. */
struct out_opts {
	const char *dir;       /* write share files here, or */
	int text;              /* print share lines on stdout */
	int force;
	int pin_prompt;        /* ask a PIN for each share */
	struct pin_list pins;  /* or read them: 1 file for all, or one each */
	int kdf;               /* Argon2id profile for PINs */
};

/*
 * Handles the options every set writer shares, by getopt value: 'm' --m,
 * 'n' --n, 'o' --out-dir, 't' --text, 'p' ask PINs, 'N' a PIN file, 'k'
 * --kdf, 'f' --force. Returns -1 for another option, else 0 or the exit
 * status of a usage error (printed).
 */
int out_opts_parse(int c, const char *arg, struct out_opts *o, unsigned *mp,
    unsigned *np);

/* Checks M, N and the options; prints and returns the usage status. */
int out_opts_check(const struct out_opts *o, unsigned m, unsigned n);

/* Writes the set; on failure removes the files it wrote. */
int outputs_write(struct share *set[], unsigned n, const struct out_opts *o);

/* Parses "1".."16"; returns 0 or prints a usage error and returns 2. */
int parse_count(const char *opt, const char *v, unsigned *outp);

/* Parses a --kdf name; returns 0 or prints and returns the exit status. */
int parse_kdf(const char *v, int *profilep);

/* The common help line telling which --help to use. */
int usage_hint(const char *cmd);

#endif
