/*
 * The one option parser of every tool (cli_getopt, lib/cli.h): getopt_long
 * over the tool's own table plus the options every tool takes, with one
 * behaviour and one wording for them and for mistakes.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"

static int quiet;

void
cli_set_quiet(int on)
{
	quiet = on;
}

int
cli_quiet(void)
{
	return quiet;
}

void
cli_note(const char *prog, const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct option common[] = {
	{ "help", no_argument, NULL, CLI_OPT_HELP },
	{ "quiet", no_argument, NULL, CLI_OPT_QUIET },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
};
#define NCOMMON (sizeof(common) / sizeof(common[0]))

/* The tool's rows then the common ones, NULL-terminated, into g->all. */
static int
merge(struct cli_getopt *g)
{
	size_t n = 0;

	while (g->opts != NULL && g->opts[n].name != NULL)
		n++;
	if (n > CLI_GETOPT_MAX)
		return -1;
	memset(g->all, 0, sizeof(g->all));
	if (n > 0)
		memcpy(g->all, g->opts, n * sizeof(g->all[0]));
	memcpy(g->all + n, common, sizeof(common));
	g->nopts = n;
	return 0;
}

/* "PROG WORDS: WHAT ARG" and the usage, on stderr. */
static int
bad(struct cli_getopt *g, const char *what, const char *arg)
{
	fprintf(stderr, "%s%s%s: %s%s\n", g->prog, g->words ? " " : "",
	    g->words ? g->words : "", what, arg);
	if (g->usage != NULL)
		g->usage(stderr, g->ctx);
	return CLI_OPT_BAD;
}

void
cli_getopt_init(struct cli_getopt *g, const char *prog, const char *words,
    const struct option *opts)
{
	memset(g, 0, sizeof(*g));
	g->prog = prog;
	g->words = words;
	g->opts = opts;
}

int
cli_getopt(struct cli_getopt *g, int argc, char **argv)
{
	size_t i;
	int c, idx = -1;

	if (!g->started) {
		if (merge(g) != 0)
			return bad(g, "too many options in the table", "");
		g->started = 1;
		optind = 1;
		opterr = 0;
	}
	for (;;) {
		idx = -1;
		c = getopt_long(argc, argv, "hq", g->all, &idx);
		g->name = idx >= 0 ? g->all[idx].name : NULL;
		switch (c) {
		case -1:
			return -1;
		case 'h':
		case CLI_OPT_HELP:
			/* A tool without a usage function prints its own. */
			if (g->usage == NULL)
				return 'h';
			g->usage(stdout, g->ctx);
			return CLI_OPT_HELP;
		case 'q':
		case CLI_OPT_QUIET:
			cli_set_quiet(1);
			continue;
		case CLI_OPT_JSON:
			cli_json_mode();
			return CLI_OPT_JSON;
		case '?':
		case ':':
			return bad(g, "unknown option or missing value: ",
			    argv[optind - 1]);
		}
		/* A command-scoped table: does this option apply here? */
		if (g->bits != NULL && idx >= 0 && (size_t)idx < g->nopts &&
		    g->bits[idx] != 0 && (g->allowed & g->bits[idx]) == 0)
			return bad(g, "does not apply here: --", g->name);
		for (i = 0; g->bits == NULL && idx < 0 && i < g->nopts; i++)
			if (g->all[i].val == c)
				g->name = g->all[i].name;
		return c;
	}
}
