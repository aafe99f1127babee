/*
 * clone: copies a partition's objects (all, or a selection by label) into
 * another partition that shares a cloning domain; see docs/clone.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "clone.h"
#include "endpoint.h"
#include "err.h"
#include "secret.h"

static const char usage_text[] =
"usage: clone --from hsm:DIR#LABEL --to hsm:DIR#LABEL [--object LABEL ...]\n"
"             [--on-conflict fail|skip|replace | --sync]\n"
"             [--from-pin-file F | --from-pin-env V]\n"
"             [--to-pin-file F | --to-pin-env V] [--force] [--smk-only]\n"
"             [--json]\n"
"   PED HSMs: --from-share F ... [--from-share-pin-file F ...]\n"
"             | --from-challenge-file F | --from-challenge-env V\n"
"             (and the same with --to-) instead of --*-pin-*\n"
"\n"
"Copies every object of the source partition (or those named by --object)\n"
"into the target over the transfer protocol. Both partitions must share a\n"
"cloning domain and allow cloning; the target applies the whole transfer\n"
"in one transaction or nothing. A label the target already holds fails\n"
"the whole clone unless --on-conflict skip (keep the target's object) or\n"
"replace (overwrite it); --sync copies only what the target lacks and\n"
"never overwrites or deletes (HA members).\n"
"\n"
"V1 (SKS) partitions: the SKS master key goes first, then the blobs as\n"
"they are. A V1 target holding objects under another SMK is refused: with\n"
"--force it takes the source's SMK and those objects are erased. V0 and V1\n"
"clone into each other (the target re-encrypts). --smk-only sends the SMK\n"
"alone (Luna's SMK clone), e.g. before inserting an extract file.\n"
"\n"
"Credentials are the Crypto Officers' of both partitions: passwords from\n"
"files, environment variables or a prompt, or a PED partition's shares;\n"
"never the command line.\n"
"Exit status: 0 done; 1 failed, or committed with objects left out\n"
"(listed); 2 usage; 3 refused (credential, no common domain, policy);\n"
"4 integrity (a tampered or cut transfer, a damaged store).\n"
"See docs/clone.md.\n";

enum {
	L_FROM = 256, L_TO, L_OBJECT, L_CONFLICT, L_SYNC, L_JSON, L_FORCE,
	L_SMK_ONLY, L_HELP,
};

/* The credential option sets: --from-* and --to-* (lib/cred.h). */
enum { CRED_FROM, CRED_TO };

static int
parse(int argc, char **argv, struct clone_opts *o)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, L_FROM },
		{ "to", required_argument, NULL, L_TO },
		{ "object", required_argument, NULL, L_OBJECT },
		{ "on-conflict", required_argument, NULL, L_CONFLICT },
		{ "sync", no_argument, NULL, L_SYNC },
		CRED_OPTIONS("from-", CRED_FROM),
		CRED_OPTIONS("to-", CRED_TO),
		{ "json", no_argument, NULL, L_JSON },
		{ "force", no_argument, NULL, L_FORCE },
		{ "smk-only", no_argument, NULL, L_SMK_ONLY },
		{ "help", no_argument, NULL, L_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *conflict = NULL;
	int c, r, sync = 0;
	struct cli_getopt g;

	memset(o, 0, sizeof(*o));
	cli_getopt_init(&g, PROG, NULL, opts);
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		if (c == CLI_OPT_BAD)
			return EXIT_USAGE;
		if ((r = cred_opt(CRED_OPT_SET(c) == CRED_FROM ? &o->from_cred :
		    &o->to_cred, c, optarg)) != 0) {
			if (r > 0)
				continue;
			if (CRED_OPT_WHICH(c) == CRED_OPT_SHARE_PIN)
				return cli_usage_error(PROG, "too many share "
				    "PIN files");
			return cli_usage_error(PROG, "too many --%s",
			    CRED_OPT_SET(c) == CRED_FROM ? "from-share" :
			    "to-share");
		}
		switch (c) {
		case L_FROM: o->from = optarg; break;
		case L_TO: o->to = optarg; break;
		case L_CONFLICT: conflict = optarg; break;
		case L_SYNC: sync = 1; break;
		case L_JSON: o->json = 1; cli_json_mode(); break;
		case L_FORCE: o->force = 1; break;
		case L_SMK_ONLY: o->smk_only = 1; break;
		case L_OBJECT:
			if (o->nobjects == CLONE_SELECT_MAX)
				return cli_usage_error(PROG, "more than %d "
				    "--object options", CLONE_SELECT_MAX);
			o->objects[o->nobjects++] = optarg;
			break;
		case 'h':
		case L_HELP:
			fputs(usage_text, stdout);
			return -1;
		default:
			fprintf(stderr, "%s: unknown option or missing value: "
			    "%s\n", PROG, argv[optind - 1]);
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error(PROG, "unexpected argument '%s' (name "
		    "partitions with --from and --to)", argv[optind]);
	if (o->from == NULL || o->to == NULL)
		return cli_usage_error(PROG, "give both --from hsm:DIR#LABEL "
		    "and --to hsm:DIR#LABEL");
	if ((o->from_cred.pin_file && o->from_cred.pin_env) ||
	    (o->to_cred.pin_file && o->to_cred.pin_env))
		return cli_usage_error(PROG, "give each credential as a file "
		    "or a variable, not both");
	if (o->smk_only && o->nobjects > 0)
		return cli_usage_error(PROG, "--smk-only sends the SKS master "
		    "key alone: it takes no --object");
	if (sync && conflict != NULL)
		return cli_usage_error(PROG, "--sync never overwrites: it "
		    "takes no --on-conflict");
	o->conflict = ENDPOINT_FAIL;
	if (sync)
		o->conflict = ENDPOINT_SYNC;
	else if (conflict != NULL && (endpoint_conflict_parse(conflict,
	    &o->conflict) != 0 || o->conflict == ENDPOINT_SYNC))
		return cli_usage_error(PROG, "--on-conflict wants fail, skip "
		    "or replace, not '%s'", conflict);
	return 0;
}

static int
run(int argc, char **argv)
{
	struct clone_opts o;
	struct clone_result res;
	int r;

	if (argc == 2 && (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0)) {
		cli_print_version(PROG);
		return EXIT_DONE;
	}
	if ((r = parse(argc, argv, &o)) != 0)
		return r < 0 ? EXIT_DONE : r;
	if (secret_init() != 0) {
		fprintf(stderr, "%s: cannot initialize libsodium\n", PROG);
		return EXIT_FAILED;
	}
	memset(&res, 0, sizeof(res));
	r = clone_run(&o, &res);
	clone_result_free(&res);
	return r;
}

int
main(int argc, char **argv)
{
	return cli_exit(run(argc, argv));
}
