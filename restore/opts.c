#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bstore.h"
#include "cli.h"
#include "sealed.h"
#include "kdf.h"
#include "err.h"
#include "endpoint.h"
#include "role.h"
#include "secret.h"
#include "tool.h"

enum {
	L_FROM = 256, L_BACKUP, L_TO, L_ROLE, L_KDF, L_BPIN_FILE, L_BPIN_ENV,
	L_DPIN_FILE, L_DPIN_ENV, L_OBJECT, L_JSON, L_DEEP, L_REPLACE, L_ADD,
	L_MAX_KDF, L_RBS_ID, L_RBS_FP, L_SOURCE, L_LABEL, L_LATEST, L_VERIFIED,
	L_WITH_DOMAINS, L_WITH_POLICIES, L_DOMAIN_DIR, L_NAMES, L_ALL, L_FORCE,
	L_HELP, L_BSHARE, L_BSHARE_PIN, L_MODULE,
};

static const struct option longopts[] = {
	{ "from", required_argument, NULL, L_FROM },
	{ "backup", required_argument, NULL, L_BACKUP },
	{ "to", required_argument, NULL, L_TO },
	{ "role", required_argument, NULL, L_ROLE },
	{ "kdf", required_argument, NULL, L_KDF },
	CRED_OPTIONS("", 0),
	CRED_OPTIONS("po-", 1),
	{ "backup-pin-file", required_argument, NULL, L_BPIN_FILE },
	{ "backup-pin-env", required_argument, NULL, L_BPIN_ENV },
	{ "backup-share", required_argument, NULL, L_BSHARE },
	{ "backup-share-pin-file", required_argument, NULL, L_BSHARE_PIN },
	{ "domain-pin-file", required_argument, NULL, L_DPIN_FILE },
	{ "domain-pin-env", required_argument, NULL, L_DPIN_ENV },
	{ "object", required_argument, NULL, L_OBJECT },
	{ "json", no_argument, NULL, L_JSON },
	{ "deep", no_argument, NULL, L_DEEP },
	{ "max-kdf", required_argument, NULL, L_MAX_KDF },
	{ "replace", no_argument, NULL, L_REPLACE },
	{ "add", no_argument, NULL, L_ADD },
	{ "rbs-identity", required_argument, NULL, L_RBS_ID },
	{ "server-fingerprint", required_argument, NULL, L_RBS_FP },
	{ "source", required_argument, NULL, L_SOURCE },
	{ "label", required_argument, NULL, L_LABEL },
	{ "latest", no_argument, NULL, L_LATEST },
	{ "names", no_argument, NULL, L_NAMES },
	{ "all", no_argument, NULL, L_ALL },
	{ "force", no_argument, NULL, L_FORCE },
	{ "verified", no_argument, NULL, L_VERIFIED },
	{ "with-domains", no_argument, NULL, L_WITH_DOMAINS },
	{ "with-policies", no_argument, NULL, L_WITH_POLICIES },
	{ "domain-dir", required_argument, NULL, L_DOMAIN_DIR },
	{ "module", required_argument, NULL, L_MODULE },
	{ "help", no_argument, NULL, L_HELP },
	{ NULL, 0, NULL, 0 },
};

int
opts_parse(const char *cmd, int argc, char **argv, struct opts *o)
{
	int ch, r;
	struct cli_getopt g;

	memset(o, 0, sizeof(*o));
	cli_getopt_init(&g, PROG, NULL, longopts);
	while ((ch = cli_getopt(&g, argc, argv)) != -1) {
		if (ch == CLI_OPT_BAD)
			return EXIT_USAGE;
		if ((r = cred_opt(CRED_OPT_SET(ch) == 1 ? &o->po : &o->cred,
		    ch, optarg)) < 0)
			return cli_usage_error(PROG, "too many --%s",
			    cred_opt_name(ch));
		if (r > 0)
			continue;
		switch (ch) {
		case 'h':
		case L_HELP:
			restore_help(stdout);
			return -1;
		case L_FROM: o->from = optarg; break;
		case L_BACKUP: o->backup = optarg; break;
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
		case L_DPIN_FILE: o->dpin_file = optarg; break;
		case L_DPIN_ENV: o->dpin_env = optarg; break;
		case L_JSON: o->json = 1; cli_json_mode(); break;
		case L_DEEP: o->deep = 1; break;
		case L_MAX_KDF: {
			int k;

			if (kdf_profile_parse(optarg, &k) != 0)
				return cli_usage_error(PROG, "--max-kdf: unknown "
				    "profile '%s' (test, interactive, moderate, "
				    "sensitive)", optarg);
			sealed_set_max_kdf(k);
			break;
		}
		case L_SOURCE: o->source = optarg; break;
		case L_LABEL: o->label = optarg; break;
		case L_LATEST: o->latest = 1; break;
		case L_NAMES: o->names = 1; break;
		case L_ALL: o->all = 1; break;
		case L_FORCE: o->force = 1; break;
		case L_VERIFIED: o->verified_only = 1; break;
		case L_WITH_DOMAINS: o->with_domains = 1; break;
		case L_WITH_POLICIES: o->with_policies = 1; break;
		case L_DOMAIN_DIR: o->domain_dir = optarg; break;
		case L_MODULE: o->module = optarg; break;
		case L_REPLACE: o->replace = 1; break;
		case L_ADD: o->add = 1; break;
		case L_RBS_ID:
		case L_RBS_FP:
			/* rbs:// stores: the client identity and first pin. */
			if ((r = bstore_rbs_identity(ch == L_RBS_ID ? optarg :
			    NULL, ch == L_RBS_FP ? optarg : NULL)) != 0)
				return cli_fail(PROG, r, "--server-fingerprint");
			break;
		case L_OBJECT:
			if (o->nobjects == MAX_OBJECTS)
				return cli_usage_error(PROG, "at most %d --object",
				    MAX_OBJECTS);
			o->objects[o->nobjects++] = optarg;
			break;
		default:
			return cli_usage_error(PROG, "%s%sunknown option or "
			    "missing value: %s", cmd, *cmd ? ": " : "",
			    argv[optind - 1]);
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if ((o->cred.pin_file && o->cred.pin_env) ||
	    (o->cred.challenge_file && o->cred.challenge_env) || (o->bpin_file && o->bpin_env) ||
	    (o->dpin_file && o->dpin_env))
		return cli_usage_error(PROG, "give a secret as a file or a "
		    "variable, not both");
	return 0;
}

int
open_store(const struct opts *o, struct bstore **sp)
{
	int r;

	if (o->from == NULL)
		return cli_usage_error(PROG, "name the backup store with "
		    "--from dir:PATH");
	if ((r = bstore_open(o->from, sp)) != 0)
		return cli_fail(PROG, r, "cannot open the backup store");
	return 0;
}

int
check_backup_name(const char *name)
{
	if (bstore_name_parse(name, NULL, NULL) == 0)
		return 0;
	return cli_usage_error(PROG, "'%s' is not a backup name: backups are "
	    "named <label>_<serial>_<yyyymmddThhmmssZ>.cbk (see 'restore "
	    "list')", name);
}

int
read_backup_pin(const struct opts *o, struct secret **sp)
{
	struct cred_src c = o->bshares;

	c.pin_file = o->bpin_file;
	c.pin_env = o->bpin_env;
	return cred_backup_secret(PROG, &c, 0, sp);
}

int
open_target(const struct opts *o, const char *uri, int flags,
    struct endpoint **ep)
{
	struct endpoint *e = NULL;
	int r, role = ROLE_CO;

	if (o->role != NULL && (r = role_parse(o->role, &role)) != 0)
		return r;
	/*
	 * A target that will receive key material (ENDPOINT_TX) answers to
	 * the cloning policies as a clone target does, before any credential
	 * is read: restore moves keys in exactly as cloning does.
	 */
	if ((r = endpoint_open(uri, &e)) != 0 ||
	    ((flags & ENDPOINT_TX) && (r = endpoint_cloning_check(e)) != 0) ||
	    (r = cred_endpoint_login(PROG, e, role, &o->cred, flags)) != 0) {
		endpoint_close(e);
		return r;
	}
	*ep = e;
	return 0;
}

void
progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	(void)total;
	progress_update(ctx, done);
}
