/* hsm role init|login-check|change|unlock. */
#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "hsm.h"
#include "role.h"
#include "secret.h"
#include "tool.h"

static int
target_role(const struct opts *o, int *rolep)
{
	if (o->role == NULL) {
		err_set_detail("--role is required");
		return CE_USAGE;
	}
	return role_parse(o->role, rolep);
}

static int
cmd_init(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct secret *c = NULL;
	struct opts lo = *o;
	int r, role;

	if ((r = target_role(o, &role)) != 0)
		return cli_fail(PROG, r, "role init");
	if (role != ROLE_CO && role != ROLE_CU)
		return cli_usage_error(PROG, "role init: --role co or cu (the "
		    "PO is set by 'partition init', the SO by 'init')");
	/* The PO logs in to set the CO, the CO to set the CU. */
	lo.role = role == ROLE_CO ? "po" : "co";
	if ((r = open_session(&lo, o->args[0], ROLE_PO, &h, &s)) == 0 &&
	    (r = read_cred(o, CRED_NEW, role == ROLE_CO ?
	    "New Crypto Officer credential: " : "New Crypto User credential: ",
	    &c)) == 0)
		r = role_init(s, role, c);
	secret_free(c);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "role init");
	printf("%s credential set\n", role_name(role));
	return EXIT_DONE;
}

static int
cmd_login_check(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	int r, role;

	if ((r = target_role(o, &role)) != 0)
		return cli_fail(PROG, r, "login-check");
	r = open_session(o, o->args[0], role, &h, &s);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "login failed");
	printf("%s login ok\n", role_name(role));
	return EXIT_DONE;
}

static int
cmd_change(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct secret *c = NULL;
	int r, role;

	if ((r = target_role(o, &role)) != 0)
		return cli_fail(PROG, r, "role change");
	if ((r = open_session(o, o->args[0], role, &h, &s)) == 0 &&
	    (r = read_cred(o, CRED_NEW, "New credential: ", &c)) == 0)
		r = role_change(s, c);
	secret_free(c);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "role change");
	printf("%s credential changed\n", role_name(role));
	return EXIT_DONE;
}

static int
cmd_unlock(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct opts lo = *o;
	int r, role;

	if ((r = target_role(o, &role)) != 0)
		return cli_fail(PROG, r, "role unlock");
	lo.role = "po";
	if ((r = open_session(&lo, o->args[0], ROLE_PO, &h, &s)) == 0)
		r = role_unlock(s, role);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "role unlock");
	printf("%s unlocked\n", role == ROLE_CO ? "CO and CU" : "CU");
	return EXIT_DONE;
}

const struct cmd cmds_role[] = {
	{ "init", cmd_init, O_PIN | O_NEWPIN | O_ROLE, 1,
	    "hsm:DIR#LABEL --role co|cu [--pin-file F] [--new-pin-file F]  "
	    "(PO sets CO, CO sets CU)" },
	{ "login-check", cmd_login_check, O_PIN | O_ROLE, 1,
	    "hsm:DIR#LABEL --role po|co|cu [--pin-file F]" },
	{ "change", cmd_change, O_PIN | O_NEWPIN | O_ROLE, 1,
	    "hsm:DIR#LABEL --role po|co|cu [--pin-file F] [--new-pin-file F]" },
	{ "unlock", cmd_unlock, O_PIN | O_ROLE, 1,
	    "hsm:DIR#LABEL --role co|cu [--pin-file F]  (PO; HSM policy 15)" },
};
const size_t ncmds_role = sizeof(cmds_role) / sizeof(cmds_role[0]);
