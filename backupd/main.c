/*
 * backupd: makes dated backup partitions of HSM partitions into a backup
 * store (docs/backupd.md): one-shot ("backupd backup") or on a schedule
 * ("backupd run", run.c); the store is created with "backupd init".
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "bstore.h"
#include "cli.h"
#include "cred.h"
#include "err.h"
#include "endpoint.h"
#include "kdf.h"
#include "role.h"
#include "run.h"
#include "secret.h"

#define MAX_OBJECTS 1024

struct opts {
	const char *from, *to, *role, *kdf, *config;
	struct cred_src cred;   /* the role's: password, shares or challenge */
	const char *bpin_file, *bpin_env;
	const char *objects[MAX_OBJECTS];
	size_t nobjects;
	unsigned long capacity, grace;
	int json, have_capacity, have_grace, once;
	char **args;
	int nargs;
};

enum {
	L_FROM = 256, L_TO, L_ROLE, L_KDF, L_PIN_FILE, L_PIN_ENV, L_BPIN_FILE,
	L_BPIN_ENV, L_OBJECT, L_JSON, L_CAPACITY, L_GRACE, L_SHARE, L_SHARE_PIN,
	L_CHALLENGE_FILE, L_CHALLENGE_ENV, L_CONFIG, L_ONCE, L_HELP,
};

static const struct option longopts[] = {
	{ "from", required_argument, NULL, L_FROM },
	{ "to", required_argument, NULL, L_TO },
	{ "role", required_argument, NULL, L_ROLE },
	{ "kdf", required_argument, NULL, L_KDF },
	{ "pin-file", required_argument, NULL, L_PIN_FILE },
	{ "pin-env", required_argument, NULL, L_PIN_ENV },
	{ "backup-pin-file", required_argument, NULL, L_BPIN_FILE },
	{ "backup-pin-env", required_argument, NULL, L_BPIN_ENV },
	{ "object", required_argument, NULL, L_OBJECT },
	{ "json", no_argument, NULL, L_JSON },
	{ "capacity", required_argument, NULL, L_CAPACITY },
	{ "grace-days", required_argument, NULL, L_GRACE },
	{ "share", required_argument, NULL, L_SHARE },
	{ "share-pin-file", required_argument, NULL, L_SHARE_PIN },
	{ "challenge-file", required_argument, NULL, L_CHALLENGE_FILE },
	{ "challenge-env", required_argument, NULL, L_CHALLENGE_ENV },
	{ "config", required_argument, NULL, L_CONFIG },
	{ "once", no_argument, NULL, L_ONCE },
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
	    "       %s init dir:PATH [--capacity N] [--grace-days N]\n"
	    "       %s gc dir:PATH\n"
	    "       %s run --config FILE [--once]\n\n"
	    "--pin-*, --share, --challenge-*: the source partition's Crypto "
	    "Officer (or\n--role cu): a password, M share files, or the "
	    "challenge of an activated role; "
	    "--backup-pin-*: the\nbackup partition password; without them, "
	    "a prompt. Never argv.\n"
	    "Exit status: 0 done, 1 failed, 2 usage, 3 refused (credential, "
	    "policy), 4 integrity.\nSee docs/backupd.md.\n", PROG, PROG, PROG,
	    PROG);
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
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
		case L_HELP: help(stdout); return -1;
		case L_FROM: o->from = optarg; break;
		case L_TO: o->to = optarg; break;
		case L_ROLE: o->role = optarg; break;
		case L_KDF: o->kdf = optarg; break;
		case L_PIN_FILE: o->cred.pin_file = optarg; break;
		case L_PIN_ENV: o->cred.pin_env = optarg; break;
		case L_CHALLENGE_FILE: o->cred.challenge_file = optarg; break;
		case L_CHALLENGE_ENV: o->cred.challenge_env = optarg; break;
		case L_SHARE:
		case L_SHARE_PIN:
			if ((ch == L_SHARE ? cred_add_share(&o->cred, optarg) :
			    cred_add_share_pin(&o->cred, optarg)) != 0)
				return cli_usage_error(PROG, "too many --%s",
				    ch == L_SHARE ? "share" : "share-pin-file");
			break;
		case L_BPIN_FILE: o->bpin_file = optarg; break;
		case L_BPIN_ENV: o->bpin_env = optarg; break;
		case L_JSON: o->json = 1; break;
		case L_CONFIG: o->config = optarg; break;
		case L_ONCE: o->once = 1; break;
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
cmd_init(struct opts *o)
{
	struct bstore_config cfg = { BSTORE_CAPACITY_DEFAULT,
	    BSTORE_GRACE_DAYS_DEFAULT };
	int r;

	if (o->nargs != 1)
		return cli_usage_error(PROG, "init: name the store: dir:PATH");
	if (o->have_capacity)
		cfg.capacity = (unsigned)(o->capacity > BSTORE_CAPACITY_MAX ?
		    BSTORE_CAPACITY_MAX + 1 : o->capacity);
	if (o->have_grace)
		cfg.grace_days = (unsigned)(o->grace > BSTORE_GRACE_DAYS_MAX ?
		    BSTORE_GRACE_DAYS_MAX + 1 : o->grace);
	if ((r = bstore_init(o->args[0], &cfg)) != 0)
		return cli_fail(PROG, r, "cannot create the backup store");
	printf("backup store %s: capacity %u backup partitions, %u grace "
	    "days\n", o->args[0], cfg.capacity, cfg.grace_days);
	return EXIT_DONE;
}

/*
 * Opens the source partition, refuses there what needs no login (cloning
 * off), then logs in (--role, default co): a refusal costs no login.
 */
static int
open_source(const struct opts *o, struct endpoint **ep)
{
	struct endpoint *e = NULL;
	int r, role = ROLE_CO;

	if (o->role != NULL && (r = role_parse(o->role, &role)) != 0)
		return r;
	if ((r = endpoint_open(o->from, &e)) != 0 ||
	    (r = endpoint_cloning_check(e)) != 0 ||
	    (r = cred_endpoint_login(PROG, e, role, &o->cred, 0)) != 0) {
		endpoint_close(e);
		return r;
	}
	*ep = e;
	return 0;
}

static void
prog_cb(void *ctx, uint64_t done, uint64_t total)
{
	(void)total;
	progress_update(ctx, done);
}

static int
cmd_backup(struct opts *o)
{
	struct cli_secret_src bsrc = { o->bpin_file, o->bpin_env };
	struct backup_params p;
	struct backup_result res;
	struct bstore *s = NULL;
	struct endpoint *e = NULL;
	struct secret *pw = NULL;
	struct progress *pg = NULL;
	struct json *j;
	char t[21];
	int r, kdf = KDF_INTERACTIVE;

	if (o->from == NULL || o->to == NULL || o->nargs != 0)
		return cli_usage_error(PROG, "backup needs --from "
		    "hsm:DIR#LABEL --to dir:PATH and no other argument");
	if (o->kdf != NULL && kdf_profile_parse(o->kdf, &kdf) != 0)
		return cli_usage_error(PROG, "--kdf: unknown profile '%s' "
		    "(test, interactive, moderate, sensitive)", o->kdf);
	/* The store first: a typo in --to costs no secret and no login. */
	if ((r = bstore_open(o->to, &s)) != 0) {
		r = cli_fail(PROG, r, "cannot open the backup store");
		goto out;
	}
	if ((r = open_source(o, &e)) != 0) {
		r = cli_fail(PROG, r, "backup refused; nothing was created");
		goto out;
	}
	if ((r = cli_read_secret("backup partition password: ", &bsrc, 1,
	    &pw)) != 0) {
		r = cli_fail(PROG, r, "no backup partition password");
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.password = pw;
	p.kdf = kdf;
	p.labels = o->nobjects ? o->objects : NULL;
	p.nlabels = o->nobjects;
	p.store_uri = o->to;
	p.progress = prog_cb;
	pg = progress_new("backing up", 0);
	p.ctx = pg;
	if ((r = backup_make(e, s, &p, &res)) != 0) {
		progress_done(pg);
		pg = NULL;
		r = cli_fail(PROG, r, "backup refused; nothing was created");
		goto out;
	}
	progress_done(pg);
	pg = NULL;
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "name", res.name);
		json_str(j, "store", o->to);
		json_str(j, "source", o->from);
		cli_time_iso(res.created, t);
		json_str(j, "created", t);
		json_int(j, "objects", (int64_t)res.objects);
		json_int(j, "plain_bytes", (int64_t)res.plain_bytes);
		json_int(j, "records_size", (int64_t)res.records_size);
		json_int(j, "domains", (int64_t)res.ndomains);
		json_obj_end(j);
		json_free(j);
	} else
		printf("%s\n", res.name);
	r = EXIT_DONE;
 out:
	progress_done(pg);
	secret_free(pw);
	endpoint_close(e);
	bstore_close(s);
	return r;
}

/* Removes what killed writers left in the store's .tmp/. */
static int
cmd_gc(struct opts *o)
{
	struct bstore *s = NULL;
	size_t n = 0;
	int r;

	if (o->nargs != 1)
		return cli_usage_error(PROG, "gc: name the store: dir:PATH");
	if ((r = bstore_open(o->args[0], &s)) != 0)
		return cli_fail(PROG, r, "cannot open the backup store");
	r = bstore_gc(s, &n);
	bstore_close(s);
	if (r != 0)
		return cli_fail(PROG, r, "gc failed");
	printf("removed %zu temporar%s of interrupted backups\n", n,
	    n == 1 ? "y" : "ies");
	return EXIT_DONE;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int r;

	signal(SIGPIPE, SIG_IGN);
	if (secret_init() != 0) {
		fprintf(stderr, "%s: cannot initialize libsodium\n", PROG);
		return EXIT_FAILED;
	}
	if (argc < 2) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help(stdout);
		return EXIT_DONE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("%s (coffer) 1.0\n", PROG);
		return EXIT_DONE;
	}
	if ((r = opts_parse(argc - 1, argv + 1, &o)) != 0)
		return r < 0 ? EXIT_DONE : r;
	if (strcmp(argv[1], "backup") == 0)
		return cmd_backup(&o);
	if (strcmp(argv[1], "init") == 0)
		return cmd_init(&o);
	if (strcmp(argv[1], "gc") == 0)
		return cmd_gc(&o);
	if (strcmp(argv[1], "run") == 0) {
		if (o.config == NULL || o.nargs != 0)
			return cli_usage_error(PROG, "run needs --config FILE "
			    "(docs/backupd.md) and no other argument");
		return backupd_run(o.config, o.once);
	}
	return cli_usage_error(PROG, "unknown command '%s'", argv[1]);
}
