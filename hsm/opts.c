#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bstore.h"
#include "cli.h"
#include "err.h"
#include "hsm.h"
#include "tool.h"
#include "role.h"
#include "secret.h"
#include "uri.h"

enum {
	L_NEW_PIN_FILE = 256, L_NEW_PIN_ENV, L_DOM_PIN_FILE, L_DOM_PIN_ENV,
	L_LABEL, L_KDF, L_JSON, L_ROLE, L_TYPE,
	L_SIZE, L_COUNT, L_FIRST, L_IN, L_OUT, L_SIG, L_AAD, L_HASH, L_FORCE,
	L_TAMPER, L_PUBLIC, L_APP, L_SERIAL, L_NO_CLONING, L_SO_RESET,
	L_DOMLABEL, L_TAIL, L_M, L_N, L_SHARES_OUT,
	L_NEW_SHARE_PIN_FILE,
	L_NEW_SHARE_PIN, L_DOM_SHARE, L_DOM_SHARE_PIN, L_DOM_SHARES_OUT,
	L_DOM_M, L_DOM_N, L_PED, L_VERSION, L_AUTH_PIN_FILE, L_AUTH_PIN_ENV,
	L_OBJECT, L_CONFLICT, L_AUTH_SHARE, L_AUTH_M, L_AUTH_N,
	L_AUTH_SHARES_OUT, L_BY, L_ID, L_SIGFMT, L_DOM_STRING, L_NEW_DOMAIN,
	L_LEGACY_DOMAIN, L_HEAD, L_BACKUP, L_CAPACITY,
};

/* The login credential's options (lib/cred.h) go where --pin-file does. */
#define LOGIN_ROW(...) { { __VA_ARGS__ }, O_PIN }

static const struct {
	struct option opt;
	unsigned bit;
} table[] = {
	CRED_OPTION_ROWS(LOGIN_ROW, "", 0),
	{ { "new-pin-file", required_argument, NULL, L_NEW_PIN_FILE }, O_NEWPIN },
	{ { "new-pin-env", required_argument, NULL, L_NEW_PIN_ENV }, O_NEWPIN },
	{ { "domain-pin-file", required_argument, NULL, L_DOM_PIN_FILE }, O_DOMPIN },
	{ { "domain-pin-env", required_argument, NULL, L_DOM_PIN_ENV }, O_DOMPIN },
	{ { "label", required_argument, NULL, L_LABEL }, O_LABEL },
	{ { "kdf", required_argument, NULL, L_KDF }, O_KDF },
	{ { "json", no_argument, NULL, L_JSON }, O_JSON },
	{ { "role", required_argument, NULL, L_ROLE }, O_ROLE },
	{ { "type", required_argument, NULL, L_TYPE }, O_TYPE },
	{ { "size", required_argument, NULL, L_SIZE }, O_SIZE },
	{ { "count", required_argument, NULL, L_COUNT }, O_COUNT },
	{ { "first", required_argument, NULL, L_FIRST }, O_COUNT },
	{ { "in", required_argument, NULL, L_IN }, O_IN },
	{ { "out", required_argument, NULL, L_OUT }, O_OUT },
	{ { "signature", required_argument, NULL, L_SIG }, O_SIG },
	{ { "aad", required_argument, NULL, L_AAD }, O_AAD },
	{ { "hash", required_argument, NULL, L_HASH }, O_HASH },
	{ { "force", no_argument, NULL, L_FORCE }, O_FORCE },
	{ { "tamper", no_argument, NULL, L_TAMPER }, O_TAMPER },
	{ { "public", no_argument, NULL, L_PUBLIC }, O_PUBLIC },
	{ { "application", required_argument, NULL, L_APP }, O_PUBLIC },
	{ { "serial", required_argument, NULL, L_SERIAL }, O_INIT },
	{ { "no-cloning", no_argument, NULL, L_NO_CLONING }, O_INIT },
	{ { "so-reset-pin", no_argument, NULL, L_SO_RESET }, O_INIT },
	{ { "backup", no_argument, NULL, L_BACKUP }, O_INIT },
	{ { "capacity", required_argument, NULL, L_CAPACITY }, O_INIT },
	{ { "domain-label", required_argument, NULL, L_DOMLABEL }, O_DOMLABEL },
	{ { "domain-string", required_argument, NULL, L_DOM_STRING }, O_DOMPIN },
	{ { "new-domain", no_argument, NULL, L_NEW_DOMAIN }, O_DOMPIN },
	{ { "legacy-domain", no_argument, NULL, L_LEGACY_DOMAIN }, O_DOMPIN },
	{ { "tail", required_argument, NULL, L_TAIL }, O_TAIL },
	{ { "m", required_argument, NULL, L_M }, O_NEWPIN },
	{ { "n", required_argument, NULL, L_N }, O_NEWPIN },
	{ { "shares-out", required_argument, NULL, L_SHARES_OUT }, O_NEWPIN },
	{ { "new-share-pin-file", required_argument, NULL,
	    L_NEW_SHARE_PIN_FILE }, O_NEWPIN },
	{ { "new-share-pin", no_argument, NULL, L_NEW_SHARE_PIN }, O_NEWPIN },
	{ { "domain-share", required_argument, NULL, L_DOM_SHARE }, O_DOMPIN },
	{ { "domain-share-pin-file", required_argument, NULL, L_DOM_SHARE_PIN },
	    O_DOMPIN },
	{ { "domain-shares-out", required_argument, NULL, L_DOM_SHARES_OUT },
	    O_DOMPIN },
	{ { "domain-m", required_argument, NULL, L_DOM_M }, O_DOMPIN },
	{ { "domain-n", required_argument, NULL, L_DOM_N }, O_DOMPIN },
	{ { "ped", no_argument, NULL, L_PED }, O_PED },
	{ { "version", required_argument, NULL, L_VERSION }, O_VERSION },
	{ { "auth-pin-file", required_argument, NULL, L_AUTH_PIN_FILE }, O_AUTHPIN },
	{ { "auth-pin-env", required_argument, NULL, L_AUTH_PIN_ENV }, O_AUTHPIN },
	{ { "object", required_argument, NULL, L_OBJECT }, O_OBJECT },
	{ { "conflict", required_argument, NULL, L_CONFLICT }, O_CONFLICT },
	{ { "auth-share", required_argument, NULL, L_AUTH_SHARE }, O_AUTHPIN },
	{ { "auth-m", required_argument, NULL, L_AUTH_M }, O_AUTHPIN },
	{ { "auth-n", required_argument, NULL, L_AUTH_N }, O_AUTHPIN },
	{ { "auth-shares-out", required_argument, NULL, L_AUTH_SHARES_OUT },
	    O_AUTHPIN },
	{ { "by", required_argument, NULL, L_BY }, O_BY },
	{ { "id", required_argument, NULL, L_ID }, O_ID },
	{ { "sig-format", required_argument, NULL, L_SIGFMT }, O_SIGFMT },
	{ { "head", required_argument, NULL, L_HEAD }, O_HEAD },
};
#define NOPTS (sizeof(table) / sizeof(table[0]))

int
parse_u64(const char *s, uint64_t *vp)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	if (*s == '-' || *s == '\0')
		return CE_USAGE;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return CE_USAGE;
	if (strcmp(end, "K") == 0 || strcmp(end, "KiB") == 0)
		mul = 1024;
	else if (strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0)
		mul = 1024 * 1024;
	else if (strcmp(end, "G") == 0 || strcmp(end, "GiB") == 0)
		mul = 1024ULL * 1024 * 1024;
	else if (*end != '\0')
		return CE_USAGE;
	if (v > UINT64_MAX / mul)
		return CE_USAGE;
	*vp = v * mul;
	return 0;
}

/* What usage() prints: the command's words and synopsis. */
struct usage_ctx {
	const char *words;
	const struct cmd *c;
};

static void
usage(FILE *f, const void *ctx)
{
	const struct usage_ctx *u = ctx;

	fprintf(f, "usage: %s %s %s\n", PROG, u->words, u->c->synopsis);
	fprintf(f, "See docs/hsm.md for every option.\n");
}

int
opts_parse(const char *words, const struct cmd *c, int argc, char **argv,
    struct opts *o)
{
	struct option longopts[NOPTS + 1];
	unsigned bits[NOPTS];
	struct usage_ctx u = { words, c };
	struct cli_getopt g;
	const char *name;
	size_t i;
	int ch, r;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < NOPTS; i++) {
		longopts[i] = table[i].opt;
		bits[i] = table[i].bit;
	}
	memset(&longopts[NOPTS], 0, sizeof(longopts[NOPTS]));
	cli_getopt_init(&g, PROG, words, longopts);
	g.bits = bits;
	g.allowed = c->allowed;
	g.usage = usage;
	g.ctx = &u;
	while ((ch = cli_getopt(&g, argc, argv)) != -1) {
		if (ch == CLI_OPT_HELP || ch == CLI_OPT_BAD)
			return ch == CLI_OPT_HELP ? -1 : EXIT_USAGE;
		name = g.name;
		if ((r = cred_opt(&o->login, ch, optarg)) > 0)
			continue;
		switch (ch) {
		case L_NEW_PIN_FILE: o->newc.pin_file = optarg; break;
		case L_NEW_PIN_ENV: o->newc.pin_env = optarg; break;
		case L_SHARES_OUT: o->newc.dir = optarg; break;
		case L_DOM_SHARES_OUT: o->newdom.dir = optarg; break;
		case L_NEW_SHARE_PIN: o->pins.prompt = 1; break;
		case L_PED: o->ped = 1; break;
		case L_BY: o->by = optarg; break;
		case L_ID: o->id = optarg; break;
		case L_SIGFMT: o->sig_format = optarg; break;
		case L_HEAD: o->head = optarg; break;
		case L_DOM_SHARE:
		case L_DOM_SHARE_PIN:
		case L_NEW_SHARE_PIN_FILE:
			r = ch == L_DOM_SHARE ? cred_add_share(&o->dom, optarg) :
			    ch == L_DOM_SHARE_PIN ? cred_add_share_pin(&o->dom,
			    optarg) : cred_add_new_pin(&o->pins, optarg);
			break;
		case L_M:
		case L_N:
		case L_AUTH_M:
		case L_AUTH_N:
		case L_DOM_M:
		case L_DOM_N: {
			uint64_t v;

			if (parse_u64(optarg, &v) != 0 || v < 1 || v > SHARE_MAX_N) {
				fprintf(stderr, "%s %s: --%s wants a number from 1 "
				    "to %d, not '%s'\n", PROG, words, name,
				    SHARE_MAX_N, optarg);
				return EXIT_USAGE;
			}
			if (ch == L_M)
				o->newc.m = (unsigned)v;
			else if (ch == L_N)
				o->newc.n = (unsigned)v;
			else if (ch == L_AUTH_M)
				o->auth_new.m = (unsigned)v;
			else if (ch == L_AUTH_N)
				o->auth_new.n = (unsigned)v;
			else if (ch == L_DOM_M)
				o->newdom.m = (unsigned)v;
			else
				o->newdom.n = (unsigned)v;
			break;
		}
		case L_DOM_PIN_FILE: o->dom_pin_file = optarg; break;
		case L_DOM_PIN_ENV: o->dom_pin_env = optarg; break;
		case L_LABEL: o->label = optarg; break;
		case L_KDF: o->kdf = optarg; break;
		case L_JSON: o->json = 1; cli_json_mode(); break;
		case L_ROLE: o->role = optarg; break;
		case L_TYPE: o->type = optarg; break;
		case L_IN: o->in = optarg; break;
		case L_OUT: o->out = optarg; break;
		case L_SIG: o->sig = optarg; break;
		case L_AAD: o->aad = optarg; break;
		case L_HASH: o->hash = optarg; break;
		case L_FORCE: o->force = 1; break;
		case L_TAMPER: o->tamper = 1; break;
		case L_PUBLIC: o->is_public = 1; break;
		case L_APP: o->application = optarg; break;
		case L_NO_CLONING: o->no_cloning = 1; break;
		case L_SO_RESET: o->so_reset_pin = 1; break;
		case L_BACKUP: o->backup = 1; break;
		case L_DOMLABEL: o->domain_label = optarg; break;
		case L_DOM_STRING: o->domain_string = optarg; break;
		case L_NEW_DOMAIN: o->new_domain = 1; break;
		case L_LEGACY_DOMAIN: o->legacy_domain = 1; break;
		case L_AUTH_PIN_FILE: o->auth_pin_file = optarg; break;
		case L_AUTH_PIN_ENV: o->auth_pin_env = optarg; break;
		case L_CONFLICT: o->conflict = optarg; break;
		case L_AUTH_SHARES_OUT: o->auth_new.dir = optarg; break;
		case L_AUTH_SHARE: r = cred_add_share(&o->auth_src, optarg); break;
		case L_OBJECT:
			if (o->nobjects == OPTS_OBJECTS_MAX) {
				fprintf(stderr, "%s %s: at most %d --object "
				    "options\n", PROG, words, OPTS_OBJECTS_MAX);
				return EXIT_USAGE;
			}
			o->objects[o->nobjects++] = optarg;
			break;
		case L_VERSION:
			if (strcmp(optarg, "0") != 0 && strcmp(optarg, "1") != 0) {
				fprintf(stderr, "%s %s: --version: 0 (V0) or 1 "
				    "(V1, Scalable Key Storage), not '%s'\n", PROG,
				    words, optarg);
				return EXIT_USAGE;
			}
			o->version = optarg[0] - '0';
			break;
		case L_SIZE:
		case L_COUNT:
		case L_FIRST:
		case L_SERIAL:
		case L_CAPACITY:
		case L_TAIL: {
			uint64_t v;

			if (parse_u64(optarg, &v) != 0) {
				fprintf(stderr, "%s %s: --%s: not a number: '%s'\n",
				    PROG, words, name, optarg);
				return EXIT_USAGE;
			}
			if (ch == L_SIZE)
				o->size = v;
			else if (ch == L_COUNT) {
				o->count = v;
				o->have_count = 1;
			} else if (ch == L_FIRST)
				o->first = v;
			else if (ch == L_SERIAL)
				o->serial = v;
			else if (ch == L_CAPACITY && v == 0) {
				fprintf(stderr, "%s %s: --capacity: 1 to %u "
				    "backup partitions\n", PROG, words,
				    BSTORE_CAPACITY_MAX);
				return EXIT_USAGE;
			} else if (ch == L_CAPACITY)
				o->capacity = v;
			else
				o->tail = v;
			break;
		}
		}
		/* Too many share or PIN files, from cred_opt or above. */
		if (r != 0) {
			fprintf(stderr, "%s %s: --%s: %s\n", PROG, words, name,
			    err_detail());
			return EXIT_USAGE;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->nargs != c->nargs) {
		fprintf(stderr, "%s %s: expected %d argument%s, got %d\n", PROG,
		    words, c->nargs, c->nargs == 1 ? "" : "s", o->nargs);
		usage(stderr, &u);
		return EXIT_USAGE;
	}
	if ((o->login.pin_file && o->login.pin_env) ||
	    (o->newc.pin_file && o->newc.pin_env) ||
	    (o->login.challenge_file && o->login.challenge_env) ||
	    (o->dom_pin_file && o->dom_pin_env) ||
	    (o->auth_pin_file && o->auth_pin_env)) {
		fprintf(stderr, "%s %s: give a secret as a file or a variable, "
		    "not both\n", PROG, words);
		return EXIT_USAGE;
	}
	return 0;
}

int
new_cred(struct opts *o, int ped, int kdf, const char *what,
    const char *prompt, struct cred_written *w, struct secret **sp)
{
	unsigned total = o->newc.n;
	int r;

	/* PIN files cover every share this command writes, domain set too. */
	if (ped && o->newdom.dir != NULL)
		total += o->newdom.n ? o->newdom.n : o->newc.n;
	if (ped && (r = cred_pins_check(&o->pins, total)) != 0)
		return r;
	if (!ped && (o->pins.n > 0 || o->pins.prompt)) {
		err_set_detail("share PINs apply to PED HSMs only");
		return CE_USAGE;
	}
	o->pins.kdf = kdf;
	return cred_new_make(PROG, &o->newc, &o->pins, ped, what, prompt, w, sp);
}

int
open_hsm(const char *arg, int need_label, struct hsm **hp, char **labelp)
{
	struct hsm_uri u;
	int r;

	if ((r = uri_parse_hsm(arg, need_label, &u)) != 0)
		return r;
	if ((r = hsm_open(u.dir, hp)) == 0 && labelp != NULL) {
		*labelp = u.label;
		u.label = NULL;
	}
	uri_clear(&u);
	return r;
}

int
open_so(const struct opts *o, const char *arg, int need_label,
    struct hsm **hp, char **labelp)
{
	struct hsm *h = NULL;
	char *label = NULL;
	int r;

	if ((r = open_hsm(arg, need_label, &h, &label)) != 0)
		return r;
	if ((r = cred_so_login(PROG, h, &o->login)) != 0)
		goto out;
	*hp = h;
	h = NULL;
	if (labelp != NULL) {
		*labelp = label;
		label = NULL;
	}
 out:
	hsm_close(h);
	free(label);
	return r;
}

int
open_session(const struct opts *o, const char *uri, int def_role,
    struct hsm **hp, struct session **sp)
{
	struct hsm *h = NULL;
	char *label = NULL;
	int r, role = def_role;

	if (o->role != NULL && (r = role_parse(o->role, &role)) != 0)
		return r;
	if ((r = open_hsm(uri, 1, &h, &label)) != 0)
		return r;
	/* A Backup HSM offers no key use: refused before any credential. */
	if ((r = hsm_refuse_backup(h)) != 0 ||
	    (r = cred_session_login(PROG, h, label, role, &o->login, sp)) != 0)
		goto out;
	*hp = h;
	h = NULL;
 out:
	hsm_close(h);
	free(label);
	return r;
}

void
print_bytes(uint64_t n, char *out, size_t max)
{
	if (n >= 1024ULL * 1024 * 1024 && n % (1024ULL * 1024 * 1024) == 0)
		snprintf(out, max, "%llu GiB", (unsigned long long)(n >> 30));
	else if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		snprintf(out, max, "%llu MiB", (unsigned long long)(n >> 20));
	else
		snprintf(out, max, "%llu bytes", (unsigned long long)n);
}
