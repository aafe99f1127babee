/* domains: option parsing, credential input and logins for every command. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "domain.h"
#include "domains.h"
#include "endpoint.h"
#include "err.h"
#include "role.h"
#include "secret.h"
#include "cred.h"
#include "share.h"

enum {
	L_DOM_PIN_FILE = 256, L_DOM_PIN_ENV, L_DOM_SHARE, L_DOM_SHARE_PIN,
	L_ROLE, L_LABEL, L_TYPE, L_KDF, L_PRIMARY, L_JSON, L_M, L_N, L_OUT_DIR,
	L_FORCE, L_NEW_SHARE_PIN, L_NEW_SHARE_PIN_FILE, L_DOM_STRING,
	L_LEGACY_DOMAIN,
};

/* The login credential's options (lib/cred.h), under O_LOGIN. */
#define LOGIN_ROW(...) { { __VA_ARGS__ }, O_LOGIN }

static const struct {
	struct option opt;
	unsigned bit;
} table[] = {
	CRED_OPTION_ROWS(LOGIN_ROW, "", 0),
	{ { "domain-pin-file", required_argument, NULL, L_DOM_PIN_FILE }, O_DOMPIN },
	{ { "domain-pin-env", required_argument, NULL, L_DOM_PIN_ENV }, O_DOMPIN },
	{ { "domain-share", required_argument, NULL, L_DOM_SHARE }, O_SHARE },
	{ { "domain-share-pin-file", required_argument, NULL, L_DOM_SHARE_PIN },
	    O_SHARE },
	{ { "domain-string", required_argument, NULL, L_DOM_STRING }, O_DOMSTR },
	{ { "legacy-domain", no_argument, NULL, L_LEGACY_DOMAIN }, O_DOMSTR },
	{ { "role", required_argument, NULL, L_ROLE }, O_ROLE },
	{ { "label", required_argument, NULL, L_LABEL }, O_LABEL },
	{ { "type", required_argument, NULL, L_TYPE }, O_TYPE },
	{ { "kdf", required_argument, NULL, L_KDF }, O_KDF },
	{ { "primary", no_argument, NULL, L_PRIMARY }, O_PRIMARY },
	{ { "json", no_argument, NULL, L_JSON }, O_JSON },
	{ { "m", required_argument, NULL, L_M }, O_SPLIT },
	{ { "n", required_argument, NULL, L_N }, O_SPLIT },
	{ { "out-dir", required_argument, NULL, L_OUT_DIR }, O_SPLIT },
	{ { "force", no_argument, NULL, L_FORCE }, O_SPLIT },
	{ { "new-share-pin", no_argument, NULL, L_NEW_SHARE_PIN }, O_SPLIT },
	{ { "new-share-pin-file", required_argument, NULL,
	    L_NEW_SHARE_PIN_FILE }, O_SPLIT },
};
#define NOPTS (sizeof(table) / sizeof(table[0]))

static void
usage(FILE *f, const void *ctx)
{
	const struct cmd *c = ctx;

	fprintf(f, "usage: %s %s %s\n\n%s\nSee docs/domains.md for every "
	    "option.\n", PROG, c->name, c->synopsis, c->help);
}

static int
parse_count(const char *opt, const char *v, unsigned *outp)
{
	char *end;
	long l = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || l < 1 || l > SHARE_MAX_N)
		return cli_usage_error(PROG, "%s wants a number from 1 to %d, "
		    "not '%s'", opt, SHARE_MAX_N, v);
	*outp = (unsigned)l;
	return 0;
}

int
opts_parse(const struct cmd *c, int argc, char **argv, struct opts *o)
{
	struct option longopts[NOPTS + 1];
	unsigned bits[NOPTS];
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
	cli_getopt_init(&g, PROG, c->name, longopts);
	g.bits = bits;
	g.allowed = c->allowed;
	g.usage = usage;
	g.ctx = c;
	while ((ch = cli_getopt(&g, argc, argv)) != -1) {
		if (ch == CLI_OPT_HELP || ch == CLI_OPT_BAD)
			return ch == CLI_OPT_HELP ? -1 : EXIT_USAGE;
		name = g.name;
		if ((r = cred_opt(&o->login, ch, optarg)) < 0)
			return cli_usage_error(PROG, "too many --%s", name);
		if (r > 0)
			continue;
		switch (ch) {
		case L_NEW_SHARE_PIN: o->new_pins.prompt = 1; break;
		case L_DOM_PIN_FILE: o->dom_pin_file = optarg; break;
		case L_DOM_PIN_ENV: o->dom_pin_env = optarg; break;
		case L_DOM_STRING: o->domain_string = optarg; break;
		case L_LEGACY_DOMAIN: o->legacy_domain = 1; break;
		case L_ROLE: o->role = optarg; break;
		case L_LABEL: o->label = optarg; break;
		case L_TYPE: o->type = optarg; break;
		case L_KDF: o->kdf = optarg; break;
		case L_PRIMARY: o->primary = 1; break;
		case L_JSON: o->json = 1; cli_json_mode(); break;
		case CLI_OPT_JSON: o->json = 1; break;
		case L_OUT_DIR: o->out_dir = optarg; break;
		case L_FORCE: o->force = 1; break;
		case L_DOM_SHARE:
		case L_DOM_SHARE_PIN:
		case L_NEW_SHARE_PIN_FILE:
			r = ch == L_DOM_SHARE ?
			    cred_add_share(&o->domain, optarg) :
			    ch == L_DOM_SHARE_PIN ?
			    cred_add_share_pin(&o->domain, optarg) :
			    cred_add_new_pin(&o->new_pins, optarg);
			if (r != 0)
				return cli_usage_error(PROG, "too many --%s",
				    name);
			break;
		case L_M:
		case L_N:
			if ((r = parse_count(ch == L_M ? "--m" : "--n", optarg,
			    ch == L_M ? &o->m : &o->n)) != 0)
				return r;
			break;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->nargs != c->nargs) {
		fprintf(stderr, "%s %s: expected %d argument%s, got %d\n", PROG,
		    c->name, c->nargs, c->nargs == 1 ? "" : "s", o->nargs);
		usage(stderr, c);
		return EXIT_USAGE;
	}
	if ((o->login.pin_file && o->login.pin_env) ||
	    (o->dom_pin_file && o->dom_pin_env))
		return cli_usage_error(PROG, "give a secret as a file or a "
		    "variable, not both");
	return 0;
}

int
read_domain_password(const struct opts *o, const char *prompt,
    struct secret **sp)
{
	struct cli_secret_src src = { o->dom_pin_file, o->dom_pin_env };
	int r;

	r = cli_read_secret(prompt, &src, 1, sp);
	if (r == CE_USAGE && src.file == NULL && src.env == NULL)
		err_set_detail("no terminal to type it on; use "
		    "--domain-pin-file PATH or --domain-pin-env NAME");
	return r;
}

int
login(const struct opts *o, struct endpoint *e, int def_role)
{
	int r, role = def_role;

	if (o->role != NULL && (r = role_parse(o->role, &role)) != 0)
		return r;
	return cred_endpoint_login(PROG, e, role, &o->login, ENDPOINT_TX);
}

int
open_session(const struct opts *o, const char *uri, int def_role,
    struct endpoint **ep)
{
	struct endpoint *e = NULL;
	int r;

	if ((r = endpoint_open(uri, &e)) != 0)
		return r;
	if ((r = login(o, e, def_role)) != 0) {
		endpoint_close(e);
		return r;
	}
	*ep = e;
	return 0;
}
