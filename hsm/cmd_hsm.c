/* hsm init, show, zeroize, so-change; hsm policy show|set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bstore.h"
#include "cli.h"
#include "err.h"
#include "hsm.h"
#include "kdf.h"
#include "secret.h"
#include "tool.h"
#include "uri.h"
#include "utc.h"

/*
 * The backup partitions' area of a new Backup HSM (lib/bstore_hsm.c): made
 * right after the HSM, with the capacity (0: Luna's 100). Re-initializing
 * a zeroized Backup HSM keeps an area that is there.
 */
static int
backup_area(const char *dir, unsigned capacity)
{
	struct bstore_config cfg = {
	    .capacity = BSTORE_CAPACITY_DEFAULT,
	    .grace_days = BSTORE_GRACE_DAYS_DEFAULT };
	char uri[4200];
	int r;

	if (capacity != 0)
		cfg.capacity = capacity;
	snprintf(uri, sizeof(uri), "hsm:%s", dir);
	r = bstore_init(uri, &cfg);
	return r == CE_EXISTS ? 0 : r;
}

static int
cmd_init(struct opts *o)
{
	struct hsm_init_params p;
	struct cred_written w;
	struct secret *so = NULL;
	struct hsm_uri u;
	int r;

	memset(&w, 0, sizeof(w));
	hsm_init_params_default(&p);
	if (o->label == NULL)
		return cli_usage_error(PROG, "init: --label is required");
	p.label = o->label;
	p.serial = o->serial;
	p.allow_cloning = !o->no_cloning;
	p.so_reset_pin = o->so_reset_pin;
	p.auth = o->ped ? HSM_AUTH_PED : HSM_AUTH_PASSWORD;
	p.backup = o->backup;
	if (o->capacity != 0 && !o->backup)
		return cli_usage_error(PROG, "init: --capacity applies to a "
		    "Backup HSM (--backup)");
	if (o->backup && o->capacity > BSTORE_CAPACITY_MAX)
		return cli_usage_error(PROG, "init: --capacity: 1 to %u backup "
		    "partitions", BSTORE_CAPACITY_MAX);
	if (o->kdf != NULL && (r = kdf_profile_choose(o->kdf, &p.kdf)) != 0)
		return cli_fail(PROG, r, "init");
	if (cred_src_is_ped(&o->login))
		return cli_usage_error(PROG, "init sets a new SO credential: "
		    "--share and --challenge-* do not apply");
	if ((r = uri_parse_hsm(o->args[0], 0, &u)) != 0)
		return cli_fail(PROG, r, "init");
	/* The SO credential is being set: --new-pin-* (or --pin-*). */
	if (o->newc.pin_file == NULL && o->newc.pin_env == NULL) {
		o->newc.pin_file = o->login.pin_file;
		o->newc.pin_env = o->login.pin_env;
	}
	if ((r = new_cred(o, o->ped, p.kdf, "so", "New HSM SO credential: ", &w,
	    &so)) == 0 && (r = hsm_init(u.dir, &p, so)) != 0)
		cred_written_undo(&w);
	if (r == 0 && o->backup)
		r = backup_area(u.dir, (unsigned)o->capacity);
	if (r == 0 && w.tag.have) {
		struct hsm *h = NULL;

		/* Only this set logs the SO in from now on. */
		if (hsm_open(u.dir, &h) == 0)
			cred_tag_record(h, NULL, 0, &w.tag);
		hsm_close(h);
	}
	secret_free(so);
	if (r != 0) {
		uri_clear(&u);
		return cli_fail(PROG, r, "cannot initialize the HSM");
	}
	cred_written_report(PROG, &w);
	if (o->backup)
		printf("Backup HSM '%s' initialized in %s (KDF profile %s%s); it "
		    "holds up to %u backup partitions, store URI hsm:%s\n",
		    p.label, u.dir, kdf_profile_name(p.kdf), o->ped ? ", PED" :
		    "", o->capacity ? (unsigned)o->capacity :
		    BSTORE_CAPACITY_DEFAULT, u.dir);
	else if (o->ped)
		printf("PED HSM '%s' initialized in %s (KDF profile %s); the SO "
		    "credential is a %u-of-%u share set in %s\n", p.label, u.dir,
		    kdf_profile_name(p.kdf), o->newc.m, o->newc.n, o->newc.dir);
	else
		printf("HSM '%s' initialized in %s (KDF profile %s)\n", p.label,
		    u.dir, kdf_profile_name(p.kdf));
	uri_clear(&u);
	return EXIT_DONE;
}

static const char *
state_name(int state)
{
	return state == HSM_STATE_INITIALIZED ? "initialized" : "zeroized";
}

/*
 * A Backup HSM's backup partitions and capacity (lib/bstore_hsm.c); 0 with
 * *np and *capp 0 when its backup area cannot be read (shown as such).
 */
static void
backup_count(const char *dir, size_t *np, unsigned *capp)
{
	struct bstore *s = NULL;
	char uri[4200];

	*np = 0;
	*capp = 0;
	snprintf(uri, sizeof(uri), "hsm:%s", dir);
	if (bstore_open(uri, &s) == 0 && bstore_count(s, np) == 0)
		*capp = bstore_config(s)->capacity;
	bstore_close(s);
}

static int
cmd_show(struct opts *o)
{
	struct hsm *h = NULL;
	struct hsm_info in;
	struct json *j;
	uint8_t pk[AUDIT_PUBKEY_LEN];
	char t[21], pkhex[2 * AUDIT_PUBKEY_LEN + 1];
	size_t nb = 0;
	unsigned cap = 0;
	int r;

	if ((r = open_hsm(o->args[0], 0, &h, NULL)) != 0 ||
	    (r = hsm_get_info(h, &in)) != 0) {
		hsm_close(h);
		return cli_fail(PROG, r, "show");
	}
	if (in.backup && in.state == HSM_STATE_INITIALIZED)
		backup_count(hsm_dir(h), &nb, &cap);
	utc_iso_show(in.created, t);
	/* the key that signs exported audit heads (none yet on an HSM from
	 * before schema 5 that nothing was written to since) */
	if (hsm_audit_pubkey(h, pk) == 0)
		sodium_bin2hex(pkhex, sizeof(pkhex), pk, sizeof(pk));
	else
		pkhex[0] = '\0';
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "dir", hsm_dir(h));
		json_str(j, "state", state_name(in.state));
		json_str(j, "label", in.label);
		json_serial(j, "serial", in.serial);
		json_str(j, "auth", in.auth);
		json_str(j, "kind", in.backup ? "backup" : "hsm");
		json_str(j, "kdf", kdf_profile_name(in.kdf));
		json_bool(j, "allow_cloning", in.allow_cloning);
		json_bool(j, "so_can_reset_partition_pin", in.so_reset_pin);
		json_int(j, "so_failed_logins", in.so_failures);
		json_int(j, "partitions", (int64_t)in.partitions);
		if (in.backup) {
			json_int(j, "backup_partitions", (int64_t)nb);
			json_int(j, "backup_capacity", (int64_t)cap);
		}
		json_int(j, "audit_records", (int64_t)in.audit_records);
		if (pkhex[0])
			json_str(j, "audit_pubkey", pkhex);
		json_str(j, "created", t);
		json_obj_end(j);
		json_free(j);
	} else {
		printf("HSM directory:     %s\n", hsm_dir(h));
		printf("State:             %s\n", state_name(in.state));
		if (in.state == HSM_STATE_INITIALIZED) {
			printf("Label:             %s\n", in.label);
			printf("Serial:            %llu\n",
			    (unsigned long long)in.serial);
			if (in.backup)
				printf("Kind:              Backup HSM (backup "
				    "partitions only, no key use)\n");
			printf("Authentication:    %s\n", in.ped ?
			    "PED (M-of-N share sets)" : "password");
			printf("KDF profile:       %s\n", kdf_profile_name(in.kdf));
			printf("Policy 7  Allow cloning:                %s\n",
			    in.allow_cloning ? "on" : "off");
			printf("Policy 15 SO can reset partition PIN:   %s\n",
			    in.so_reset_pin ? "on" : "off");
			printf("SO failed logins:  %d of %d\n", in.so_failures,
			    HSM_SO_LOCKOUT);
			printf("Partitions:        %llu\n",
			    (unsigned long long)in.partitions);
			if (in.backup && cap > 0)
				printf("Backup partitions: %zu of %u\n", nb,
				    cap);
			else if (in.backup)
				printf("Backup partitions: unreadable (its "
				    "backup area: 'backupd init hsm:%s')\n",
				    hsm_dir(h));
			printf("Created:           %s\n", t);
		}
		printf("Audit records:     %llu\n",
		    (unsigned long long)in.audit_records);
		if (pkhex[0])
			printf("Audit head key:    %s\n", pkhex);
	}
	hsm_close(h);
	return EXIT_DONE;
}

static int
cmd_zeroize(struct opts *o)
{
	struct hsm *h = NULL;
	int r;

	if (o->tamper)
		r = open_hsm(o->args[0], 0, &h, NULL);
	else
		r = open_so(o, o->args[0], 0, &h, NULL);
	if (r == 0)
		r = hsm_zeroize(h, o->tamper, NULL);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "cannot zeroize the HSM");
	printf("HSM in %s zeroized: every partition, key and credential is "
	    "gone; 'hsm init' starts over\n", o->args[0]);
	return EXIT_DONE;
}

static int
cmd_so_change(struct opts *o)
{
	struct hsm *h = NULL;
	struct hsm_info in;
	struct cred_written w;
	struct secret *nso = NULL;
	int r;

	memset(&w, 0, sizeof(w));
	if ((r = open_so(o, o->args[0], 0, &h, NULL)) == 0 &&
	    (r = hsm_get_info(h, &in)) == 0 &&
	    (r = new_cred(o, in.ped, in.kdf, "so", "New HSM SO credential: ",
	    &w, &nso)) == 0 && (r = hsm_so_change(h, nso)) != 0)
		cred_written_undo(&w);
	if (r == 0)
		cred_tag_record(h, NULL, 0, &w.tag);
	secret_free(nso);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "cannot change the SO credential");
	cred_written_report(PROG, &w);
	printf("HSM SO credential changed%s\n", w.n ? "; the old shares no "
	    "longer log in: destroy them" : "");
	return EXIT_DONE;
}

const struct cmd cmds_hsm[] = {
	{ "init", cmd_init, O_PIN | O_NEWPIN | O_LABEL | O_KDF | O_INIT | O_PED,
	    1, "DIR --label LABEL [--kdf test|interactive|moderate|sensitive] "
	    "[--serial N] [--no-cloning] [--so-reset-pin] [--backup "
	    "[--capacity N]] [--new-pin-file F | "
	    "--new-pin-env V | --ped --m M --n N --shares-out DIR "
	    "[--new-share-pin-file F ...|--new-share-pin]]" },
	{ "show", cmd_show, O_JSON, 1, "DIR [--json]" },
	{ "zeroize", cmd_zeroize, O_PIN | O_TAMPER, 1,
	    "DIR [--pin-file F | --pin-env V | --share F ... | --tamper]" },
	{ "so-change", cmd_so_change, O_PIN | O_NEWPIN, 1,
	    "DIR [--pin-file F] [--new-pin-file F]  (PED: --share F ... --m M "
	    "--n N --shares-out DIR)" },
};
const size_t ncmds_hsm = sizeof(cmds_hsm) / sizeof(cmds_hsm[0]);

/* --- hsm policy ---------------------------------------------------------- */

static int
hsm_policy_parse(const char *s, int *pp)
{
	if (strcmp(s, "7") == 0 || strcmp(s, "allow-cloning") == 0)
		*pp = HSM_POLICY_ALLOW_CLONING;
	else if (strcmp(s, "15") == 0 || strcmp(s, "so-reset-pin") == 0)
		*pp = HSM_POLICY_SO_RESET_PIN;
	else {
		err_set_detail("unknown HSM policy '%s' (7 allow-cloning, 15 "
		    "so-reset-pin)", s);
		return CE_USAGE;
	}
	return 0;
}

static int
parse_onoff(const char *s, int *vp)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "on") == 0)
		*vp = 1;
	else if (strcmp(s, "0") == 0 || strcmp(s, "off") == 0)
		*vp = 0;
	else {
		err_set_detail("'%s': use 1/on or 0/off", s);
		return CE_USAGE;
	}
	return 0;
}

static int
cmd_policy_show(struct opts *o)
{
	struct hsm *h = NULL;
	struct hsm_info in;
	struct json *j;
	int r;

	if ((r = open_hsm(o->args[0], 0, &h, NULL)) != 0 ||
	    (r = hsm_get_info(h, &in)) != 0) {
		hsm_close(h);
		return cli_fail(PROG, r, "policy show");
	}
	hsm_close(h);
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_arr_begin(j, "policies");
		json_obj_begin(j, NULL);
		json_int(j, "code", HSM_POLICY_ALLOW_CLONING);
		json_str(j, "name", "allow-cloning");
		json_int(j, "value", in.allow_cloning);
		json_bool(j, "destructive", 1);
		json_obj_end(j);
		json_obj_begin(j, NULL);
		json_int(j, "code", HSM_POLICY_SO_RESET_PIN);
		json_str(j, "name", "so-reset-pin");
		json_int(j, "value", in.so_reset_pin);
		json_bool(j, "destructive", 0);
		json_obj_end(j);
		json_arr_end(j);
		json_obj_end(j);
		json_free(j);
		return EXIT_DONE;
	}
	printf("Code  Name            Value  Description\n");
	printf("%4d  %-14s  %5d  Allow cloning (destructive)\n",
	    HSM_POLICY_ALLOW_CLONING, "allow-cloning", in.allow_cloning);
	printf("%4d  %-14s  %5d  SO can reset partition PIN (PO may unlock "
	    "CO/CU)\n", HSM_POLICY_SO_RESET_PIN, "so-reset-pin",
	    in.so_reset_pin);
	return EXIT_DONE;
}

static int
cmd_policy_set(struct opts *o)
{
	struct hsm *h = NULL;
	struct hsm_info in;
	int r, policy, value;

	if ((r = hsm_policy_parse(o->args[1], &policy)) != 0 ||
	    (r = parse_onoff(o->args[2], &value)) != 0)
		return cli_fail(PROG, r, "policy set");
	if ((r = open_so(o, o->args[0], 0, &h, NULL)) != 0)
		return cli_fail(PROG, r, "policy set");
	if (policy == HSM_POLICY_ALLOW_CLONING && !o->force &&
	    hsm_get_info(h, &in) == 0 && in.allow_cloning != value) {
		hsm_close(h);
		err_set_detail("changing HSM policy 7 erases every object in "
		    "every partition; add --force to go ahead");
		return cli_fail(PROG, CE_POLICY, "policy set");
	}
	r = hsm_policy_set(h, policy, value);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "policy set");
	printf("HSM policy %d set to %d\n", policy, value);
	return EXIT_DONE;
}

const struct cmd cmds_policy[] = {
	{ "show", cmd_policy_show, O_JSON, 1, "DIR [--json]" },
	{ "set", cmd_policy_set, O_PIN | O_FORCE, 3,
	    "DIR 7|allow-cloning|15|so-reset-pin 0|1 [--force] [--pin-file F | "
	    "--share F ...]" },
};
const size_t ncmds_policy = sizeof(cmds_policy) / sizeof(cmds_policy[0]);
