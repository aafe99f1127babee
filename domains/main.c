/*
 * domains: cloning domains of partitions - create one for people to hold,
 * list, add, remove, relabel, pick the primary. A table of subcommands;
 * see docs/domains.md (and its rollover section).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "domains.h"
#include "secret.h"

static const struct cmd cmds[] = {
	{ "create", cmd_create, O_TYPE | O_KDF | O_DOMPIN | O_SPLIT | O_JSON, 0,
	    "[--type password] [--kdf PROFILE] [--domain-pin-file F | "
	    "--domain-pin-env V] [--json]\n"
	    "       domains create --type ped --m M --n N --out-dir DIR "
	    "[--new-share-pin | --new-share-pin-file F ...] [--force] "
	    "[--json]",
	    "Makes a new cloning domain. A password domain: reads the password, "
	    "draws a\nrandom salt and prints the domain string, fingerprint and "
	    "KDF profile for\nthe credential inventory (nothing is stored; "
	    "every partition that joins\nthe domain is given the string and the "
	    "password). A PED domain: 32 random bytes "
	    "written as an M-of-N set of share\nfiles DIR/domain-I-of-N.cshare "
	    "(0600, never overwritten unless --force),\noptionally each under "
	    "its own PIN." },
	{ "list", cmd_list, O_LOGIN | O_ROLE | O_JSON, 1,
	    "hsm:DIR#LABEL [--role po|co|cu] [--pin-file F | --pin-env V] "
	    "[--json]\n       (PED HSM: --share F ... [--share-pin-file F ...] "
	    "instead of --pin-*)",
	    "Lists the partition's domains: label, type, primary, local "
	    "fingerprint." },
	{ "add", cmd_add, O_LOGIN | O_DOMPIN | O_SHARE | O_LABEL | O_TYPE |
	    O_KDF | O_PRIMARY | O_DOMSTR, 1,
	    "hsm:DIR#LABEL --label L [--primary]\n"
	    "       (--domain-string S | --legacy-domain [--kdf PROFILE]) "
	    "[--domain-pin-file F | --domain-pin-env V]\n"
	    "       | --domain-share FILE ... [--domain-share-pin-file F ...]\n"
	    "       [--pin-file F | --share F ...]",
	    "PO: adds a domain (at most three per partition; labels 1-32 "
	    "characters,\nunique). A password domain from its domain string and "
	    "its password\n(--domain-pin-*/a prompt); an unsalted domain made "
	    "before domain strings\nwith --legacy-domain; a PED domain from M of "
	    "its share files (--domain-share)." },
	{ "remove", cmd_remove, O_LOGIN, 2,
	    "hsm:DIR#LABEL DOMAIN [--pin-file F | --pin-env V]",
	    "PO: removes a domain; the last one is never removed." },
	{ "relabel", cmd_relabel, O_LOGIN, 3,
	    "hsm:DIR#LABEL DOMAIN NEWLABEL [--pin-file F | --pin-env V]",
	    "PO: renames a domain (labels are local; the peer never sees them)." },
	{ "primary", cmd_primary, O_LOGIN, 2,
	    "hsm:DIR#LABEL DOMAIN [--pin-file F | --pin-env V]",
	    "PO: makes DOMAIN the primary (offered first in transfers and "
	    "backups)." },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static int
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s COMMAND [OPTIONS] ...\n\n"
	    "Cloning domains: key material moves only between partitions that "
	    "share one.\n\ncommands:\n", PROG);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s %s\n", cmds[i].name, PROG, cmds[i].name);
	fprintf(f, "\n'%s COMMAND --help' describes each command; exit "
	    "status: 0 done, 1 failed,\n2 usage, 3 refused (credential, "
	    "policy, last domain), 4 integrity.\n", PROG);
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
	struct opts o;
	size_t i;
	int r;

	if ((r = cli_main_begin(PROG, argc, argv, help)) >= 0)
		return r;
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if ((r = opts_parse(&cmds[i], argc - 1, argv + 1, &o)) != 0)
			return r < 0 ? EXIT_DONE : r;
		return cmds[i].fn(&o);
	}
	fprintf(stderr, "%s: unknown command '%s'\n", PROG, argv[1]);
	return usage(stderr);
}

int
main(int argc, char **argv)
{
	return cli_exit(run(argc, argv));
}
