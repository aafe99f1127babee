/*
 * hsm: the emulated HSM's administration tool. This file only dispatches
 * "hsm GROUP COMMAND" to the subcommand tables in cmd_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "secret.h"
#include "tool.h"

static const struct {
	const char *name;
	const struct cmd *t;
	const size_t *n;
} groups[] = {
	{ "policy", cmds_policy, &ncmds_policy },
	{ "partition", cmds_partition, &ncmds_partition },
	{ "role", cmds_role, &ncmds_role },
	{ "key", cmds_key, &ncmds_key },
	{ "audit", cmds_audit, &ncmds_audit },
	{ "sks", cmds_sks, &ncmds_sks },
};

static void
help(FILE *f)
{
	size_t g, i;

	fprintf(f, "usage: %s COMMAND [ARGS] [OPTIONS]\n\n", PROG);
	fprintf(f, "The emulated HSM: a directory with hsm.db and audit.log.\n"
	    "HSMs are named DIR or hsm:DIR, partitions hsm:DIR#LABEL.\n"
	    "Secrets come from a prompt, --pin-file PATH or --pin-env NAME.\n"
	    "On a PED HSM (init --ped) every credential is an M-of-N share set:\n"
	    "log in with --share FILE (M times; --share-pin-file for PINs), or\n"
	    "as an activated CO/CU with --challenge-file; new credentials are\n"
	    "written as share files: --m M --n N --shares-out DIR.\n\n");
	for (i = 0; i < ncmds_hsm; i++)
		fprintf(f, "  %s %s %s\n", PROG, cmds_hsm[i].name,
		    cmds_hsm[i].synopsis);
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (i = 0; i < *groups[g].n; i++)
			fprintf(f, "  %s %s %s %s\n", PROG, groups[g].name,
			    groups[g].t[i].name, groups[g].t[i].synopsis);
		if (strcmp(groups[g].name, "partition") == 0)
			for (i = 0; i < ncmds_ppolicy; i++)
				fprintf(f, "  %s partition policy %s %s\n", PROG,
				    cmds_ppolicy[i].name,
				    cmds_ppolicy[i].synopsis);
	}
	fprintf(f, "\nExit status: 0 done, 1 failed, 2 usage, 3 refused "
	    "(credential, lockout, policy), 4 integrity.\nSee docs/hsm.md.\n");
}

int
hsm_cmd_group(const char *group, const struct cmd *table, size_t n, int argc,
    char **argv)
{
	struct opts o;
	char words[64];
	size_t i;
	int r;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "help") == 0 || strcmp(argv[0], "-h") == 0) {
		FILE *f = argc < 1 ? stderr : stdout;

		for (i = 0; i < n; i++)
			fprintf(f, "usage: %s %s%s%s %s\n", PROG, group,
			    *group ? " " : "", table[i].name, table[i].synopsis);
		return argc < 1 ? EXIT_USAGE : EXIT_DONE;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(argv[0], table[i].name) != 0)
			continue;
		snprintf(words, sizeof(words), "%s%s%s", group, *group ? " " : "",
		    table[i].name);
		if ((r = opts_parse(words, &table[i], argc, argv, &o)) != 0)
			return r < 0 ? EXIT_DONE : r;
		return table[i].fn(&o);
	}
	return cli_usage_error(PROG, "unknown command '%s%s%s'", group,
	    *group ? " " : "", argv[0]);
}

static int
run(int argc, char **argv)
{
	size_t g;
	int r;

	if ((r = cli_main_begin(PROG, argc, argv, help)) >= 0)
		return r;
	if (strcmp(argv[1], "partition") == 0 && argc > 2 &&
	    strcmp(argv[2], "policy") == 0)
		return hsm_cmd_group("partition policy", cmds_ppolicy,
		    ncmds_ppolicy, argc - 3, argv + 3);
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		if (strcmp(argv[1], groups[g].name) == 0)
			return hsm_cmd_group(groups[g].name, groups[g].t,
			    *groups[g].n, argc - 2, argv + 2);
	return hsm_cmd_group("", cmds_hsm, ncmds_hsm, argc - 1, argv + 1);
}

int
main(int argc, char **argv)
{
	return cli_exit(run(argc, argv));
}
