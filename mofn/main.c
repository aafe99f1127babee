/*
 * mofn: M-of-N split credentials. A table of subcommands, each in its own
 * file (as wireguard-tools' wg.c); see docs/mofn.md.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mofn.h"
#include "secret.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
	{ "split", split_main, "split a secret (given or new) into N shares, "
	    "any M of which recover it" },
	{ "combine", combine_main, "recover the secret from M shares into a "
	    "0600 file" },
	{ "verify", verify_main, "check that shares recombine, revealing "
	    "nothing" },
	{ "inspect", inspect_main, "show a share's set, M, N and index" },
	{ "duplicate", duplicate_main, "copy a share (copies are "
	    "interchangeable)" },
	{ "reissue", reissue_main, "make a new M-of-N set of the same secret "
	    "from M shares" },
};

static int
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s COMMAND [OPTIONS] ...\n\n"
	    "M-of-N split credentials: Shamir shares over GF(2^8), at most 16,\n"
	    "each a file (optionally under its own PIN) or a line of text.\n\n"
	    "commands:\n", PROG);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s %-10s %s\n", PROG, cmds[i].name,
		    cmds[i].help);
	fprintf(f, "\n'%s COMMAND --help' describes each command; exit "
	    "status: 0 done, 1 failed,\n2 usage, 3 refused (too few, mixed, "
	    "duplicate or corrupt shares, wrong PIN),\n4 integrity.\n", PROG);
	return f == stdout ? EXIT_DONE : EXIT_USAGE;
}

static void
help(FILE *f)
{
	(void)usage(f);
}

static int
run(int argc, char **argv)
{
	size_t i;
	int r;

	if ((r = cli_main_begin(PROG, argc, argv, help)) >= 0)
		return r;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", PROG, argv[1]);
	return usage(stderr);
}

int
main(int argc, char **argv)
{
	return cli_exit(run(argc, argv));
}
