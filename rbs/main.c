/*
 * rbs: the Remote Backup Service (docs/rbs.md). The server side makes its
 * identity (init), keeps the register of clients (client add|list|revoke)
 * and serves stores over TLS 1.3 (serve, rbs/serve.c); the client side
 * makes a client identity (enroll). This file parses options and
 * dispatches; the formats and the protocol are in lib/.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "rbs.h"
#include "rbsconf.h"
#include "tls.h"

#define STORES_ARG_MAX 32

enum {
	L_DIR = 256, L_CERT, L_ROLE, L_STORE, L_CONFIG, L_OUT, L_NAME, L_JSON,
	L_PORT_FILE, L_LOG, L_HELP,
};

static const struct option longopts[] = {
	{ "dir", required_argument, NULL, L_DIR },
	{ "cert", required_argument, NULL, L_CERT },
	{ "role", required_argument, NULL, L_ROLE },
	{ "store", required_argument, NULL, L_STORE },
	{ "config", required_argument, NULL, L_CONFIG },
	{ "out", required_argument, NULL, L_OUT },
	{ "name", required_argument, NULL, L_NAME },
	{ "json", no_argument, NULL, L_JSON },
	{ "port-file", required_argument, NULL, L_PORT_FILE },
	{ "log", required_argument, NULL, L_LOG },
	{ "help", no_argument, NULL, L_HELP },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	const char *dir, *cert, *role, *config, *out, *name, *port_file, *log;
	const char *stores[STORES_ARG_MAX];
	size_t nstores;
	int json;
	char **args;
	int nargs;
};

static void
help(FILE *f)
{
	fprintf(f, "usage: %s init DIR [--name HOST]\n"
	    "       %s client add NAME --cert FILE --role backup|restore|admin "
	    "--store NAME... [--dir DIR]\n"
	    "       %s client list [--dir DIR] [--json]\n"
	    "       %s client revoke NAME [--dir DIR]\n"
	    "       %s serve --config FILE [--log syslog|stderr] "
	    "[--port-file FILE]\n"
	    "       %s enroll --out DIR [--name NAME]\n"
	    "       %s fingerprint CERT.pem\n\n"
	    "DIR of the server defaults to " RBS_STATE_DEFAULT ". Clients use "
	    "a store as rbs://HOST:PORT/STORE\nwith backupd and restore "
	    "(--rbs-identity DIR, --server-fingerprint on first use).\n"
	    "Exit status: 0 done, 1 failed, 2 usage, 3 refused.\n"
	    "See docs/rbs.md.\n", PROG, PROG, PROG, PROG, PROG, PROG, PROG);
}

/* Returns 0, an exit status, or -1 after --help. */
static int
parse(int argc, char **argv, struct opts *o)
{
	int c;
	struct cli_getopt g;

	memset(o, 0, sizeof(*o));
	o->dir = RBS_STATE_DEFAULT;
	cli_getopt_init(&g, PROG, NULL, longopts);
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		if (c == CLI_OPT_BAD)
			return EXIT_USAGE;
		switch (c) {
		case L_DIR: o->dir = optarg; break;
		case L_CERT: o->cert = optarg; break;
		case L_ROLE: o->role = optarg; break;
		case L_STORE:
			if (o->nstores == STORES_ARG_MAX)
				return cli_usage_error(PROG, "at most %d "
				    "--store", STORES_ARG_MAX);
			o->stores[o->nstores++] = optarg;
			break;
		case L_CONFIG: o->config = optarg; break;
		case L_OUT: o->out = optarg; break;
		case L_NAME: o->name = optarg; break;
		case L_JSON: o->json = 1; cli_json_mode(); break;
		case L_PORT_FILE: o->port_file = optarg; break;
		case L_LOG: o->log = optarg; break;
		case L_HELP:
			help(stdout);
			return -1;
		default:
			return EXIT_USAGE;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

static void
print_fp(const char *what, const uint8_t fp[TLS_FP_LEN])
{
	char s[TLS_FP_STR_LEN + 1];

	tls_fp_str(fp, s);
	printf("%s %s\n", what, s);
}

static int
cmd_init(struct opts *o)
{
	struct rbs_client_rec *v = NULL;
	uint8_t fp[TLS_FP_LEN];
	size_t n;
	int r;

	if (o->nargs != 1)
		return cli_usage_error(PROG, "init: give the state directory");
	if (o->name != NULL && !rbsreg_name_ok(o->name))
		return cli_usage_error(PROG, "--name: the server's host name "
		    "(letters, digits, . _ -)");
	if ((r = tls_identity_create(o->args[0], o->name ? o->name :
	    "coffer-rbs", fp)) != 0)
		return cli_fail(PROG, r, "cannot create the server identity");
	/* An empty register, so that the state directory is complete. */
	if ((r = rbsreg_load(o->args[0], &v, &n)) != 0 ||
	    (r = rbsreg_save(o->args[0], v, n)) != 0) {
		free(v);
		return cli_fail(PROG, r, "cannot create the client register");
	}
	free(v);
	printf("server identity in %s (key.pem 0600, cert.pem)\n",
	    o->args[0]);
	print_fp("server fingerprint:", fp);
	printf("give it to each client's admin: the first connection is made "
	    "with --server-fingerprint\n");
	return EXIT_DONE;
}

static int
cmd_enroll(struct opts *o)
{
	uint8_t fp[TLS_FP_LEN];
	int r;

	if (o->out == NULL || o->nargs != 0)
		return cli_usage_error(PROG, "enroll: give --out DIR");
	if (o->name != NULL && !rbsreg_name_ok(o->name))
		return cli_usage_error(PROG, "--name: letters, digits, . _ -");
	if ((r = tls_identity_create(o->out, o->name ? o->name :
	    "coffer-rbs-client", fp)) != 0)
		return cli_fail(PROG, r, "cannot create the client identity");
	printf("client identity in %s (key.pem 0600, cert.pem)\n", o->out);
	print_fp("client fingerprint:", fp);
	printf("send %s/cert.pem to the rbs server's admin: 'rbs client add "
	    "NAME --cert cert.pem --role ... --store ...'\n", o->out);
	return EXIT_DONE;
}

static int
cmd_fingerprint(struct opts *o)
{
	uint8_t fp[TLS_FP_LEN];
	int r;

	if (o->nargs != 1)
		return cli_usage_error(PROG, "fingerprint: give a certificate");
	if ((r = tls_cert_file_fp(o->args[0], fp)) != 0)
		return cli_fail(PROG, r, "cannot read the certificate");
	print_fp("", fp);
	return EXIT_DONE;
}

static int
client_add(struct opts *o)
{
	struct rbs_client_rec *v = NULL, rec;
	size_t n, i, k = 0;
	int r;

	memset(&rec, 0, sizeof(rec));
	if (o->nargs != 1 || o->cert == NULL || o->role == NULL ||
	    o->nstores == 0)
		return cli_usage_error(PROG, "client add NAME --cert FILE "
		    "--role backup|restore|admin --store NAME...");
	if (!rbsreg_name_ok(o->args[0]))
		return cli_usage_error(PROG, "client name '%s': 1 to 64 of "
		    "A-Z a-z 0-9 . _ -", o->args[0]);
	snprintf(rec.name, sizeof(rec.name), "%s", o->args[0]);
	if ((r = rbs_role_parse(o->role, &rec.role)) != 0)
		return cli_fail(PROG, r, "client add");
	for (i = 0; i < o->nstores; i++) {
		size_t l = strlen(o->stores[i]);

		if (strcmp(o->stores[i], "*") != 0 &&
		    !rbs_store_name_ok(o->stores[i], l))
			return cli_usage_error(PROG, "store name '%s': 1 to 64 "
			    "of A-Z a-z 0-9 . _ - (or '*' for all)",
			    o->stores[i]);
		if (k + l + 2 >= sizeof(rec.stores))
			return cli_usage_error(PROG, "too many stores");
		k += (size_t)snprintf(rec.stores + k, sizeof(rec.stores) - k,
		    "%s%s", i ? "," : "", o->stores[i]);
	}
	if ((r = tls_cert_file_fp(o->cert, rec.fp)) != 0)
		return cli_fail(PROG, r, "cannot read the client's certificate");
	if ((r = rbsreg_load(o->dir, &v, &n)) != 0)
		return cli_fail(PROG, r, "cannot read the client register");
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].name, rec.name) == 0 ||
		    memcmp(v[i].fp, rec.fp, TLS_FP_LEN) == 0) {
			err_set_detail("client '%s' %s; revoke it and add the "
			    "new one under another name", v[i].name,
			    strcmp(v[i].name, rec.name) == 0 ?
			    "is registered already" : "has this certificate");
			free(v);
			return cli_fail(PROG, CE_EXISTS, "client add");
		}
	}
	if (n == RBSCONF_CLIENTS_MAX) {
		free(v);
		err_set_detail("the register holds %d clients", RBSCONF_CLIENTS_MAX);
		return cli_fail(PROG, CE_FULL, "client add");
	}
	v[n++] = rec;
	r = rbsreg_save(o->dir, v, n);
	free(v);
	if (r != 0)
		return cli_fail(PROG, r, "cannot write the client register");
	printf("client %s added: role %s, stores %s\n", rec.name,
	    rbs_role_name(rec.role), rec.stores);
	print_fp("client fingerprint:", rec.fp);
	return EXIT_DONE;
}

static int
client_list(struct opts *o)
{
	struct rbs_client_rec *v = NULL;
	char fp[TLS_FP_STR_LEN + 1];
	struct json *j;
	size_t n, i;
	int r;

	if ((r = rbsreg_load(o->dir, &v, &n)) != 0)
		return cli_fail(PROG, r, "cannot read the client register");
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_arr_begin(j, "clients");
		for (i = 0; i < n; i++) {
			tls_fp_str(v[i].fp, fp);
			json_obj_begin(j, NULL);
			json_str(j, "name", v[i].name);
			json_str(j, "role", rbs_role_name(v[i].role));
			json_str(j, "fingerprint", fp);
			json_str(j, "stores", v[i].stores);
			json_bool(j, "revoked", v[i].revoked);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
		json_free(j);
	} else {
		for (i = 0; i < n; i++) {
			tls_fp_str(v[i].fp, fp);
			printf("%-16s %-8s %-8s %s %s\n", v[i].name,
			    rbs_role_name(v[i].role), v[i].revoked ?
			    "revoked" : "active", v[i].stores, fp);
		}
		if (n == 0)
			printf("no clients registered\n");
	}
	free(v);
	return EXIT_DONE;
}

static int
client_revoke(struct opts *o)
{
	struct rbs_client_rec *v = NULL;
	size_t n, i;
	int r;

	if (o->nargs != 1)
		return cli_usage_error(PROG, "client revoke NAME");
	if ((r = rbsreg_load(o->dir, &v, &n)) != 0)
		return cli_fail(PROG, r, "cannot read the client register");
	for (i = 0; i < n && strcmp(v[i].name, o->args[0]) != 0; i++)
		;
	if (i == n) {
		free(v);
		err_set_detail("no client '%s' (see 'rbs client list')",
		    o->args[0]);
		return cli_fail(PROG, CE_NOT_FOUND, "client revoke");
	}
	/* Kept in the register, marked: its certificate stays refused. */
	v[i].revoked = 1;
	r = rbsreg_save(o->dir, v, n);
	free(v);
	if (r != 0)
		return cli_fail(PROG, r, "cannot write the client register");
	printf("client %s revoked: its next connection is refused\n",
	    o->args[0]);
	return EXIT_DONE;
}

static int
cmd_serve(struct opts *o)
{
	struct rbsconf *c;
	int r, to_stderr = 0;

	if (o->config == NULL || o->nargs != 0)
		return cli_usage_error(PROG, "serve --config FILE");
	if (o->log != NULL) {
		if (strcmp(o->log, "stderr") == 0)
			to_stderr = 1;
		else if (strcmp(o->log, "syslog") != 0)
			return cli_usage_error(PROG, "--log syslog|stderr");
	}
	if ((c = malloc(sizeof(*c))) == NULL)
		return cli_fail(PROG, CE_NOMEM, "serve");
	if ((r = rbsconf_load(o->config, c)) != 0) {
		free(c);
		return cli_fail(PROG, r, "cannot load the configuration");
	}
	r = serve_main(c, o->port_file, to_stderr);
	free(c);
	return r;
}

static int
run(int argc, char **argv)
{
	struct opts o;
	const char *cmd;
	int r, sub = 0;

	signal(SIGPIPE, SIG_IGN);
	if ((r = cli_main_begin(PROG, argc, argv, help)) >= 0)
		return r;
	cmd = argv[1];
	if (strcmp(cmd, "client") == 0) {
		if (argc < 3)
			return cli_usage_error(PROG, "client add|list|revoke");
		sub = 1;
	}
	if ((r = parse(argc - 1 - sub, argv + 1 + sub, &o)) != 0)
		return r < 0 ? EXIT_DONE : r;
	if (strcmp(cmd, "init") == 0)
		return cmd_init(&o);
	if (strcmp(cmd, "enroll") == 0)
		return cmd_enroll(&o);
	if (strcmp(cmd, "fingerprint") == 0)
		return cmd_fingerprint(&o);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(&o);
	if (sub && strcmp(argv[2], "add") == 0)
		return client_add(&o);
	if (sub && strcmp(argv[2], "list") == 0)
		return client_list(&o);
	if (sub && strcmp(argv[2], "revoke") == 0)
		return client_revoke(&o);
	return cli_usage_error(PROG, "unknown command '%s%s%s'", cmd,
	    sub ? " " : "", sub ? argv[2] : "");
}

int
main(int argc, char **argv)
{
	return cli_exit(run(argc, argv));
}
