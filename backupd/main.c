/*
 * backupd: makes dated backup partitions of HSM partitions into a backup
 * store (docs/backupd.md): one-shot ("backupd backup") or on a schedule
 * ("backupd run"), and keeps the store (init, gc, prune, delete, undelete,
 * trash, purge). This file parses options and dispatches.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backupd.h"
#include "cli.h"
#include "err.h"
#include "secret.h"

enum {
	L_FROM = 256, L_TO, L_ROLE, L_KDF, L_BPIN_FILE, L_BPIN_ENV, L_OBJECT,
	L_JSON, L_CAPACITY, L_GRACE, L_OBJECT_LOCK, L_LOCK_MODE, L_CONFIG, L_ONCE, L_KEEP_LAST,
	L_KEEP_DAILY, L_KEEP_WEEKLY, L_KEEP_MONTHLY, L_DRY_RUN, L_RBS_ID,
	L_RBS_FP, L_HELP, L_BSHARE, L_BSHARE_PIN, L_MODULE, L_DOM_STRING,
	L_DOM_LABEL, L_DPIN_FILE, L_DPIN_ENV,
};

static const struct option longopts[] = {
	{ "from", required_argument, NULL, L_FROM },
	{ "to", required_argument, NULL, L_TO },
	{ "role", required_argument, NULL, L_ROLE },
	{ "kdf", required_argument, NULL, L_KDF },
	CRED_OPTIONS("", 0),
	{ "backup-pin-file", required_argument, NULL, L_BPIN_FILE },
	{ "backup-pin-env", required_argument, NULL, L_BPIN_ENV },
	{ "backup-share", required_argument, NULL, L_BSHARE },
	{ "backup-share-pin-file", required_argument, NULL, L_BSHARE_PIN },
	{ "object", required_argument, NULL, L_OBJECT },
	{ "json", no_argument, NULL, L_JSON },
	{ "capacity", required_argument, NULL, L_CAPACITY },
	{ "grace-days", required_argument, NULL, L_GRACE },
	{ "object-lock", required_argument, NULL, L_OBJECT_LOCK },
	{ "lock-mode", required_argument, NULL, L_LOCK_MODE },
	{ "config", required_argument, NULL, L_CONFIG },
	{ "once", no_argument, NULL, L_ONCE },
	{ "keep-last", required_argument, NULL, L_KEEP_LAST },
	{ "keep-daily", required_argument, NULL, L_KEEP_DAILY },
	{ "keep-weekly", required_argument, NULL, L_KEEP_WEEKLY },
	{ "keep-monthly", required_argument, NULL, L_KEEP_MONTHLY },
	{ "dry-run", no_argument, NULL, L_DRY_RUN },
	{ "rbs-identity", required_argument, NULL, L_RBS_ID },
	{ "server-fingerprint", required_argument, NULL, L_RBS_FP },
	{ "module", required_argument, NULL, L_MODULE },
	{ "domain-string", required_argument, NULL, L_DOM_STRING },
	{ "domain-label", required_argument, NULL, L_DOM_LABEL },
	{ "domain-pin-file", required_argument, NULL, L_DPIN_FILE },
	{ "domain-pin-env", required_argument, NULL, L_DPIN_ENV },
	{ "help", no_argument, NULL, L_HELP },
	{ NULL, 0, NULL, 0 },
};

static void
help(FILE *f)
{
	fprintf(f, "usage: %s backup --from hsm:DIR#LABEL --to dir:PATH "
	    "[--object LABEL]... [--json]\n"
	    "               [--pin-file F | --pin-env V] "
	    "[--backup-pin-file F | --backup-pin-env V]\n"
	    "               [--kdf PROFILE] [--role co|cu]\n"
	    "               [--share FILE ... [--share-pin-file F ...] | "
	    "--challenge-file F]  (PED)\n"
	    "               [--backup-share FILE ... [--backup-share-pin-file "
	    "F ...]]  (PED Backup HSM)\n"
	    "       %s backup --from pkcs11:token=LABEL[;serial=S] --module PATH "
	    "--to dir:PATH\n"
	    "               --domain-string S [--domain-pin-file F | "
	    "--domain-pin-env V]\n"
	    "               [--domain-label L] [--pin-file F | --pin-env V] "
	    "[--backup-pin-file F] [--json]\n"
	    "       %s init dir:PATH|s3://BUCKET/PREFIX [--capacity N] "
	    "[--grace-days N]\n"
	    "               [--object-lock DAYS [--lock-mode "
	    "compliance|governance]]  (s3://)\n"
	    "       %s run --config FILE [--once]\n"
	    "       %s check --config FILE [--json]\n"
	    "       %s enable JOB --config FILE\n"
	    "       %s prune dir:PATH [--keep-last N] [--keep-daily N] "
	    "[--keep-weekly N]\n"
	    "               [--keep-monthly N] [--dry-run] [--json]\n"
	    "       %s delete|undelete dir:PATH NAME\n"
	    "       %s trash|purge|gc dir:PATH [--json]\n"
	    "       %s copy --from STORE --to STORE NAME [--json]\n\n"
	    "--pin-*, --share, --challenge-*: the source partition's Crypto "
	    "Officer (or\n--role cu): a password, M share files, or the "
	    "challenge of an activated role; "
	    "--backup-pin-*: the\nbackup partition password; without them, "
	    "a prompt. Never argv. --backup-share: the\nbackup partition "
	    "credential as M share files (a PED Backup HSM takes only these).\n"
	    "A pkcs11: source (RFC 7512 URI) takes the token's user PIN from "
	    "--pin-*, and is\nsealed under the password domain "
	    "--domain-string S (its password: --domain-pin-*);\nobjects that "
	    "cannot leave the token are named on stderr, exit 0 "
	    "(docs/pkcs11.md).\n"
	    "A store is dir:PATH, rbs://HOST:PORT/STORE or a Backup HSM, "
	    "hsm:DIR (hsm init\n--backup); on a Backup HSM delete, prune and "
	    "purge take its SO's --pin-*\nor --share (docs/backup-hsm.md).\n"
	    "Exit status: 0 done, 1 failed, 2 usage, 3 refused (credential, "
	    "policy), 4 integrity.\nSee docs/backupd.md.\n", PROG, PROG, PROG, PROG,
	    PROG, PROG, PROG, PROG, PROG, PROG);
}

static int
parse_num(const char *s, unsigned long *vp)
{
	char *end;

	if (*s < '0' || *s > '9')
		return CE_USAGE;
	*vp = strtoul(s, &end, 10);
	return *end == '\0' ? 0 : CE_USAGE;
}

static int
opts_parse(int argc, char **argv, struct opts *o)
{
	int ch, r;
	struct cli_getopt g;

	memset(o, 0, sizeof(*o));
	cli_getopt_init(&g, PROG, NULL, longopts);
	while ((ch = cli_getopt(&g, argc, argv)) != -1) {
		if (ch == CLI_OPT_BAD)
			return EXIT_USAGE;
		if ((r = cred_opt(&o->cred, ch, optarg)) < 0)
			return cli_usage_error(PROG, "too many --%s",
			    cred_opt_name(ch));
		if (r > 0)
			continue;
		switch (ch) {
		case 'h':
		case L_HELP: help(stdout); return -1;
		case L_FROM: o->from = optarg; break;
		case L_TO: o->to = optarg; break;
		case L_ROLE: o->role = optarg; break;
		case L_KDF: o->kdf = optarg; break;
		case L_BPIN_FILE: o->bpin_file = optarg; break;
		case L_BPIN_ENV: o->bpin_env = optarg; break;
		case L_BSHARE:
		case L_BSHARE_PIN:
			if (cred_add_backup_share(&o->bshares,
			    ch == L_BSHARE_PIN, optarg) != 0)
				return cli_usage_error(PROG, "%s", err_detail());
			break;
		case L_JSON: o->json = 1; cli_json_mode(); break;
		case L_CONFIG: o->config = optarg; break;
		case L_MODULE: o->module = optarg; break;
		case L_DOM_STRING: o->domain_string = optarg; break;
		case L_DOM_LABEL: o->domain_label = optarg; break;
		case L_DPIN_FILE: o->dpin_file = optarg; break;
		case L_DPIN_ENV: o->dpin_env = optarg; break;
		case L_ONCE: o->once = 1; break;
		case L_DRY_RUN: o->dry_run = 1; break;
		case L_RBS_ID:
		case L_RBS_FP:
			/* rbs:// stores: the client identity and first pin. */
			if ((r = bstore_rbs_identity(ch == L_RBS_ID ? optarg :
			    NULL, ch == L_RBS_FP ? optarg : NULL)) != 0)
				return cli_fail(PROG, r, "--server-fingerprint");
			break;
		case L_KEEP_LAST:
		case L_KEEP_DAILY:
		case L_KEEP_WEEKLY:
		case L_KEEP_MONTHLY: {
			unsigned long v;
			unsigned *slot = ch == L_KEEP_LAST ? &o->keep.last :
			    ch == L_KEEP_DAILY ? &o->keep.daily :
			    ch == L_KEEP_WEEKLY ? &o->keep.weekly :
			    &o->keep.monthly;

			if (parse_num(optarg, &v) != 0 || v > 100000)
				return cli_usage_error(PROG, "%s: a count from "
				    "0 to 100000, not '%s'", argv[optind - 1],
				    optarg);
			*slot = (unsigned)v;
			break;
		}
		case L_OBJECT:
			if (o->nobjects == MAX_OBJECTS)
				return cli_usage_error(PROG, "at most %d --object",
				    MAX_OBJECTS);
			o->objects[o->nobjects++] = optarg;
			break;
		case L_CAPACITY:
		case L_GRACE:
			if (parse_num(optarg, ch == L_CAPACITY ? &o->capacity :
			    &o->grace) != 0)
				return cli_usage_error(PROG, "not a number: "
				    "'%s'", optarg);
			if (ch == L_CAPACITY)
				o->have_capacity = 1;
			else
				o->have_grace = 1;
			break;
		case L_OBJECT_LOCK:
			if (parse_num(optarg, &o->lock_days) != 0 ||
			    o->lock_days < 1 || o->lock_days > BSTORE_LOCK_DAYS_MAX)
				return cli_usage_error(PROG, "--object-lock: days "
				    "from 1 to %u, not '%s'", BSTORE_LOCK_DAYS_MAX,
				    optarg);
			break;
		case L_LOCK_MODE:
			if (strcmp(optarg, "compliance") != 0 &&
			    strcmp(optarg, "governance") != 0)
				return cli_usage_error(PROG, "--lock-mode: "
				    "compliance or governance, not '%s'", optarg);
			o->lock_mode = optarg;
			break;
		default:
			return cli_usage_error(PROG, "unknown option or missing "
			    "value: %s", argv[optind - 1]);
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if ((o->cred.pin_file && o->cred.pin_env) ||
	    (o->cred.challenge_file && o->cred.challenge_env) || (o->bpin_file && o->bpin_env))
		return cli_usage_error(PROG, "give a secret as a file or a "
		    "variable, not both");
	return 0;
}

static int
run(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct opts *o);
	} cmds[] = {
		{ "backup", cmd_backup }, { "init", cmd_init }, { "gc", cmd_gc },
		{ "prune", cmd_prune }, { "delete", cmd_delete },
		{ "undelete", cmd_undelete }, { "trash", cmd_trash },
		{ "purge", cmd_purge }, { "copy", cmd_copy },
	};
	struct opts o;
	size_t i;
	int r;

	signal(SIGPIPE, SIG_IGN);
	if ((r = cli_main_begin(PROG, argc, argv, help)) >= 0)
		return r;
	if ((r = opts_parse(argc - 1, argv + 1, &o)) != 0)
		return r < 0 ? EXIT_DONE : r;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(&o);
	if (strcmp(argv[1], "run") == 0) {
		if (o.config == NULL || o.nargs != 0)
			return cli_usage_error(PROG, "run needs --config FILE "
			    "(docs/backupd.md) and no other argument");
		return backupd_run(o.config, o.once);
	}
	if (strcmp(argv[1], "check") == 0) {
		if (o.config == NULL || o.nargs != 0)
			return cli_usage_error(PROG, "check needs --config FILE "
			    "and no other argument");
		return backupd_check(o.config, o.json);
	}
	if (strcmp(argv[1], "enable") == 0) {
		if (o.config == NULL || o.nargs != 1)
			return cli_usage_error(PROG, "enable needs the JOB and "
			    "--config FILE");
		return backupd_enable(o.config, o.args[0]);
	}
	return cli_usage_error(PROG, "unknown command '%s'", argv[1]);
}

int
main(int argc, char **argv)
{
	return cli_exit(run(argc, argv));
}
