/*
 * restore: lists, shows and verifies the backups of a store, and restores
 * one into a partition (docs/restore.md). This file only dispatches.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "secret.h"
#include "tool.h"

static const struct {
	const char *name;
	int (*fn)(struct opts *o);
	int nargs;
	const char *synopsis;
} cmds[] = {
	{ "list", cmd_list, 0, "list --from dir:PATH [--source SERIAL] [--label L] "
	    "[--verified]\n               [--latest | --names] [--json]" },
	{ "show", cmd_show, 1, "show --from dir:PATH NAME [--json]" },
	{ "verify", cmd_verify, -1, "verify --from dir:PATH (NAME | --all) "
	    "[--json]\n"
	    "       restore verify --deep --from dir:PATH NAME "
	    "(--to hsm:DIR#LABEL [--pin-file F] | --domain-pin-file F "
	    "[--kdf P]) [--backup-pin-file F]" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

void
restore_help(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s --from dir:PATH --backup NAME --to hsm:DIR#LABEL "
	    "(--replace | --add)\n"
	    "               [--object LABEL]... [--pin-file F] "
	    "[--backup-pin-file F] [--json]\n"
	    "               [--with-domains [--domain-dir D]] "
	    "[--with-policies] [--po-pin-file F]\n"
	    "               [--force]\n"
	    "       %s --from dir:PATH --backup NAME --to pkcs11:token=LABEL"
	    "[;serial=S] --module PATH\n"
	    "               --add --domain-pin-file F [--pin-file F] "
	    "[--backup-pin-file F] [--json]\n", PROG, PROG);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "       %s %s\n", PROG, cmds[i].synopsis);
	fprintf(f, "\nA store is dir:PATH, rbs://HOST:PORT/STORE or a Backup HSM, "
	    "hsm:DIR (docs/backup-hsm.md).\n");
	fprintf(f, "Secrets: --pin-file/--pin-env (the target's Crypto "
	    "Officer; on a PED HSM\n--share FILE ... [--share-pin-file F ...] "
	    "or --challenge-file/--challenge-env),\n--backup-pin-file/"
	    "--backup-pin-env (the backup password; or --backup-share FILE "
	    "M times\n[--backup-share-pin-file F ...], its share set), "
	    "--domain-pin-file/\n"
	    "--domain-pin-env; or a prompt. Never argv.\n--force: a V1 "
	    "partition takes back an SMK it retired (docs/sks.md).\n"
	    "A pkcs11: target (RFC 7512 URI) takes the token's user PIN from "
	    "--pin-*, the\nbackup's password domain from --domain-pin-*, "
	    "and keys only wrapped (docs/pkcs11.md).\nExit status: 0 done, 1 failed, 2 usage, 3 refused "
	    "(credential, domain), 4 integrity.\nSee docs/restore.md.\n");
}

static int
run(int argc, char **argv)
{
	struct opts o;
	size_t i;
	int r;

	signal(SIGPIPE, SIG_IGN);
	if ((r = cli_main_begin(PROG, argc, argv, restore_help)) >= 0)
		return r;
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if ((r = opts_parse(cmds[i].name, argc - 1, argv + 1, &o)) != 0)
			return r < 0 ? EXIT_DONE : r;
		if (cmds[i].nargs >= 0 && o.nargs != cmds[i].nargs)
			return cli_usage_error(PROG, "%s: expected %d "
			    "argument%s, got %d", cmds[i].name, cmds[i].nargs,
			    cmds[i].nargs == 1 ? "" : "s", o.nargs);
		return cmds[i].fn(&o);
	}
	if (argv[1][0] != '-')
		return cli_usage_error(PROG, "unknown command '%s'", argv[1]);
	if ((r = opts_parse("", argc, argv, &o)) != 0)
		return r < 0 ? EXIT_DONE : r;
	if (o.nargs != 0)
		return cli_usage_error(PROG, "unexpected argument '%s'",
		    o.args[0]);
	return cmd_restore(&o);
}

int
main(int argc, char **argv)
{
	return cli_exit(run(argc, argv));
}
