/* hsm role init|login-check|change|unlock|activate|deactivate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "cli.h"
#include "err.h"
#include "hsm.h"
#include "partition.h"
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

/* Sets the credential of role through session s: a new password or share
 * set (files taken back if the HSM refuses), by role_init or role_change. */
static int
set_cred(struct opts *o, struct session *s, int role, int init,
    const char *prompt)
{
	struct partition_info pi;
	struct cred_written w;
	struct secret *c = NULL;
	int r, ped;

	memset(&w, 0, sizeof(w));
	if ((ped = hsm_is_ped(session_hsm(s))) < 0)
		return ped;
	if ((r = partition_session_info(s, &pi)) != 0 ||
	    (r = new_cred(o, ped, pi.kdf, role_name(role), prompt, &w,
	    &c)) != 0)
		return r;
	r = init ? role_init(s, role, c) : role_change(s, c);
	if (r == 0)
		cred_tag_record(session_hsm(s), session_label(s), role, &w.tag);
	secret_free(c);
	if (r != 0)
		cred_written_undo(&w);
	else
		cred_written_report(PROG, &w);
	return r;
}

static int
cmd_init(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct opts lo = *o;
	int r, role;

	if ((r = target_role(o, &role)) != 0)
		return cli_fail(PROG, r, "role init");
	if (role != ROLE_CO && role != ROLE_CU)
		return cli_usage_error(PROG, "role init: --role co or cu (the "
		    "PO is set by 'partition init', the SO by 'init')");
	/* The PO logs in to set the CO, the CO to set the CU. */
	lo.role = role == ROLE_CO ? "po" : "co";
	if ((r = open_session(&lo, o->args[0], ROLE_PO, &h, &s)) == 0)
		r = set_cred(o, s, role, 1, role == ROLE_CO ?
		    "New Crypto Officer credential: " :
		    "New Crypto User credential: ");
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
	int r, role;

	if ((r = target_role(o, &role)) != 0)
		return cli_fail(PROG, r, "role change");
	if ((r = open_session(o, o->args[0], role, &h, &s)) == 0)
		r = set_cred(o, s, role, 0, "New credential: ");
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

static int
cmd_activate(struct opts *o)
{
	struct cli_secret_src csrc = { o->login.challenge_file,
	    o->login.challenge_env };
	struct cred_src shares = o->login;
	struct secret *cred = NULL, *chal = NULL;
	struct hsm *h = NULL;
	char *label = NULL, prompt[96];
	int r, role;

	if ((r = target_role(o, &role)) != 0)
		return cli_fail(PROG, r, "role activate");
	/* Here --challenge-* is the challenge being set; the login is the
	 * role's shares. */
	shares.challenge_file = shares.challenge_env = NULL;
	if ((r = open_hsm(o->args[0], 1, &h, &label)) != 0 ||
	    (r = activation_check(h, role)) != 0)
		goto out;
	snprintf(prompt, sizeof(prompt), "%s credential for '%s': ",
	    role_name(role), label);
	if ((r = cred_read(PROG, &shares, 1, prompt, &cred)) != 0)
		goto out;
	if ((r = cli_read_secret("New challenge secret: ", &csrc, 1,
	    &chal)) != 0) {
		if (r == CE_USAGE && csrc.file == NULL && csrc.env == NULL)
			err_set_detail("no terminal to ask the challenge on: give "
			    "--challenge-file or --challenge-env");
		goto out;
	}
	r = role_activate(h, label, role, cred, chal);
 out:
	secret_free(cred);
	secret_free(chal);
	hsm_close(h);
	if (r != 0) {
		free(label);
		return cli_fail(PROG, r, "role activate");
	}
	printf("%s of '%s' activated: it logs in with the challenge secret "
	    "alone until 'hsm role deactivate'\n", role_name(role), label);
	free(label);
	return EXIT_DONE;
}

static int
cmd_deactivate(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct opts lo = *o;
	int r, role, was = 0;

	if ((r = target_role(o, &role)) != 0)
		return cli_fail(PROG, r, "role deactivate");
	if (role != ROLE_CO && role != ROLE_CU) {
		err_set_detail("only the CO and the CU are ever activated");
		return cli_fail(PROG, CE_POLICY, "role deactivate");
	}
	/* The role itself, or (--by po) the PO with its shares: a way to
	 * stop a leaked challenge without gathering the role's holders. */
	lo.role = o->by != NULL ? o->by : o->role;
	if ((r = open_session(&lo, o->args[0], role, &h, &s)) == 0)
		r = role_deactivate(s, role, &was);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "role deactivate");
	if (was)
		printf("%s deactivated: it logs in with its shares again\n",
		    role_name(role));
	else
		printf("%s was not activated\n", role_name(role));
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
	{ "activate", cmd_activate, O_PIN | O_ROLE, 1,
	    "hsm:DIR#LABEL --role co|cu --share F ... [--share-pin-file F ...] "
	    "[--challenge-file F]  (PED)" },
	{ "deactivate", cmd_deactivate, O_PIN | O_ROLE | O_BY, 1,
	    "hsm:DIR#LABEL --role co|cu [--by po] (--share F ... | "
	    "--challenge-file F)  (PED)" },
};
const size_t ncmds_role = sizeof(cmds_role) / sizeof(cmds_role[0]);
