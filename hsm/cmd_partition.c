/* hsm partition create|init|show|list|zeroize|delete, partition policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "domain.h"
#include "err.h"
#include "hsm.h"
#include "kdf.h"
#include "partition.h"
#include "role.h"
#include "secret.h"
#include "sks.h"
#include "tool.h"

static int
cmd_create(struct opts *o)
{
	struct hsm *h = NULL;
	char *label = NULL;
	int r;

	if ((r = open_so(o, o->args[0], 1, &h, &label)) == 0)
		r = partition_create(h, label, o->version);
	hsm_close(h);
	if (r != 0) {
		free(label);
		return cli_fail(PROG, r, "cannot create the partition");
	}
	printf("partition '%s' created (V%d%s); its PO initializes it with "
	    "'hsm partition init'\n", label, o->version, o->version == 1 ?
	    ", Scalable Key Storage" : "");
	free(label);
	return EXIT_DONE;
}

/* The first domain of a PED partition: a new set or an existing one's. */
static int
ped_domain(struct opts *o, struct cred_written *w, struct secret **sp)
{
	if (o->dom_pin_file != NULL || o->dom_pin_env != NULL) {
		err_set_detail("a PED partition's first cloning domain is a PED "
		    "domain: --domain-shares-out DIR (a new one) or --domain-share "
		    "FILE ... (an existing one), not a password");
		return CE_USAGE;
	}
	if (o->newdom.dir == NULL && o->dom.nshare == 0) {
		err_set_detail("a PED partition's first cloning domain is a PED "
		    "domain: give --domain-shares-out DIR for a new random one "
		    "(split --domain-m of --domain-n, default the PO's M and N) "
		    "or --domain-share FILE ... to join an existing one");
		return CE_USAGE;
	}
	if (o->newdom.m == 0 && o->newdom.n == 0) {
		o->newdom.m = o->newc.m;
		o->newdom.n = o->newc.n;
	}
	o->newdom.force = o->newc.force;
	return cred_domain_secret(PROG, &o->dom, &o->newdom, &o->pins, w, sp);
}

/* A domain made by --new-domain: its string must reach the inventory. */
static void
new_domain_report(const struct domain_spec *sp)
{
	char str[DOMAIN_STRING_MAX];

	if (domain_string_format(sp, str) != 0)
		return;
	printf("new password domain %s\n", str);
	cli_note(PROG, "record the domain string with the domain in the "
	    "credential inventory: every partition that joins the domain is "
	    "given it (--domain-string), with the password");
}

static int
cmd_init(struct opts *o)
{
	struct partition_init_params p;
	struct cli_secret_src dsrc = { o->dom_pin_file, o->dom_pin_env };
	struct cred_written wpo, wdom;
	struct secret *po = NULL, *dom = NULL;
	struct hsm *h = NULL;
	struct hsm_info hi;
	char *label = NULL;
	int r;

	memset(&p, 0, sizeof(p));
	memset(&wpo, 0, sizeof(wpo));
	memset(&wdom, 0, sizeof(wdom));
	p.new_label = o->label;
	p.domain_label = o->domain_label;
	if ((r = open_hsm(o->args[0], 1, &h, &label)) != 0)
		goto out;
	/* A Backup HSM holds no partitions: refused before any question. */
	if ((r = hsm_refuse_backup(h)) != 0 || (r = hsm_get_info(h, &hi)) != 0)
		goto out;
	p.kdf = hi.kdf;
	if (o->kdf != NULL && (r = kdf_profile_choose(o->kdf, &p.kdf)) != 0)
		goto out;
	if (cred_src_is_ped(&o->login)) {
		err_set_detail("partition init sets a new PO credential: --share "
		    "and --challenge-* do not apply");
		r = CE_USAGE;
		goto out;
	}
	if (o->newc.pin_file == NULL && o->newc.pin_env == NULL) {
		o->newc.pin_file = o->login.pin_file;
		o->newc.pin_env = o->login.pin_env;
	}
	if (!hi.ped && (o->dom.nshare > 0 || o->newdom.dir != NULL)) {
		err_set_detail("this HSM takes passwords: the first domain is a "
		    "password domain (--domain-pin-file); add PED domains later "
		    "with the domains tool");
		r = CE_USAGE;
		goto out;
	}
	if ((r = new_cred(o, hi.ped, p.kdf, "po",
	    "New partition SO (PO) credential: ", &wpo, &po)) != 0)
		goto out;
	if (hi.ped) {
		if (o->domain_string || o->new_domain || o->legacy_domain) {
			err_set_detail("a PED partition's first domain is a PED "
			    "domain: --domain-string, --new-domain and "
			    "--legacy-domain are for password domains");
			r = CE_USAGE;
			goto out;
		}
		p.domain.type = DOMAIN_PED;
		r = ped_domain(o, &wdom, &dom);
	} else if ((r = domain_spec_choose(o->domain_string, o->new_domain,
	    o->legacy_domain, p.kdf, &p.domain)) == 0 &&
	    (r = cli_read_secret("Cloning domain password: ", &dsrc, 1,
	    &dom)) == 0)
		r = kdf_password_check(dom, "a cloning domain password");
	if (r != 0)
		goto out;
	if ((r = partition_init(h, label, &p, po, dom)) == 0)
		cred_tag_record(h, p.new_label ? p.new_label : label, ROLE_PO,
		    &wpo.tag);
 out:
	if (r != 0) {
		cred_written_undo(&wpo);
		cred_written_undo(&wdom);
	}
	secret_free(po);
	secret_free(dom);
	hsm_close(h);
	if (r == 0) {
		cred_written_report(PROG, &wpo);
		cred_written_report(PROG, &wdom);
		printf("partition '%s' initialized (KDF profile %s, %s domain "
		    "'%s')\n", p.new_label ? p.new_label : label,
		    kdf_profile_name(p.kdf), hi.ped ? "PED" : "password",
		    p.domain_label ? p.domain_label : "default");
		if (o->new_domain)
			new_domain_report(&p.domain);
	}
	free(label);
	return r ? cli_fail(PROG, r, "cannot initialize the partition") :
	    EXIT_DONE;
}

static const char *
pstate(int s)
{
	return s == PARTITION_INITIALIZED ? "initialized" : "created";
}

/* "activated" is shown on PED HSMs only: password roles have none. */
/* A V1 partition's SMK id and generation (public: they open nothing). */
struct smk_pub {
	int have;
	char hex[2 * SKS_ID_LEN + 1];
	uint64_t gen;
};

static void
smk_pub_get(struct hsm *h, const struct partition_info *pi,
    struct smk_pub *sp)
{
	uint8_t id[SKS_ID_LEN];

	memset(sp, 0, sizeof(*sp));
	if (pi->version == 1 && pi->state == PARTITION_INITIALIZED &&
	    sks_smk_public(h, pi->serial, id, &sp->gen) == 0) {
		sks_id_hex(id, sp->hex);
		sp->have = 1;
	}
}

static void
json_partition(struct json *j, const struct partition_info *pi, int ped,
    const struct smk_pub *sp)
{
	int i;

	json_obj_begin(j, NULL);
	json_str(j, "label", pi->label);
	json_serial(j, "serial", pi->serial);
	json_str(j, "partition_version", pi->version == 1 ? "V1" : "V0");
	json_str(j, "state", pstate(pi->state));
	json_str(j, "kdf", pi->state == PARTITION_INITIALIZED ?
	    kdf_profile_name(pi->kdf) : NULL);
	if (pi->state == PARTITION_INITIALIZED)
		json_int(j, "key_generation", (int64_t)pi->psk_gen);
	json_bool(j, "allow_cloning", pi->allow_cloning);
	json_bool(j, "cloning", pi->cloning);
	json_int(j, "storage_size", (int64_t)pi->capacity);
	json_int(j, "used_bytes", (int64_t)pi->used);
	json_int(j, "objects", (int64_t)pi->objects);
	json_int(j, "lockout", pi->lockout);
	json_int(j, "domains", pi->domains);
	if (sp->have) {
		json_str(j, "smk_id", sp->hex);
		json_int(j, "smk_generation", (int64_t)sp->gen);
	}
	json_arr_begin(j, "roles");
	for (i = 0; i < 3; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "role", role_name(pi->roles[i].role));
		json_bool(j, "initialized", pi->roles[i].initialized);
		json_int(j, "failed_logins", pi->roles[i].failures);
		json_bool(j, "locked", pi->roles[i].locked);
		if (ped)
			json_bool(j, "activated", pi->roles[i].activated);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static int
cmd_show(struct opts *o)
{
	struct partition_info pi;
	struct hsm *h = NULL;
	struct json *j;
	struct smk_pub sp;
	char *label = NULL, cap[32];
	int r, i, ped = 0;

	if ((r = open_hsm(o->args[0], 1, &h, &label)) == 0 &&
	    (r = partition_get_info(h, label, &pi)) == 0 &&
	    (ped = hsm_is_ped(h)) < 0)
		r = ped;
	if (r == 0)
		smk_pub_get(h, &pi, &sp);
	hsm_close(h);
	free(label);
	if (r != 0)
		return cli_fail(PROG, r, "partition show");
	if (o->json) {
		j = json_new(stdout);
		json_partition(j, &pi, ped, &sp);
		json_free(j);
		return EXIT_DONE;
	}
	print_bytes(pi.capacity, cap, sizeof(cap));
	printf("Partition:      %s\n", pi.label);
	printf("Serial:         %llu\n", (unsigned long long)pi.serial);
	printf("Version:        V%d%s\n", pi.version, pi.version == 1 ?
	    " (Scalable Key Storage: objects are SKS blobs in sks.db, policy "
	    "41)" : "");
	printf("State:          %s\n", pstate(pi.state));
	if (sp.have)
		printf("SMK:            %s (generation %llu)\n", sp.hex,
		    (unsigned long long)sp.gen);
	if (pi.state == PARTITION_INITIALIZED) {
		printf("KDF profile:    %s\n", kdf_profile_name(pi.kdf));
		printf("Key generation: %llu (+1 each 'hsm partition rekey')\n",
		    (unsigned long long)pi.psk_gen);
	}
	printf("Cloning:        %s (partition policy %s, HSM policy 7 %s)\n",
	    pi.cloning ? "allowed" : "not allowed",
	    pi.allow_cloning ? "on" : "off", pi.hsm_allow_cloning ? "on" : "off");
	if (pi.version == 1)
		/* Off-board: the storage-size policy bounds V0 objects only. */
		printf("Storage:        %llu objects, %llu bytes of SKS blobs in "
		    "sks.db (off-board, not bounded by the storage size)\n",
		    (unsigned long long)pi.objects, (unsigned long long)pi.used);
	else
		printf("Storage:        %llu of %s used, %llu objects\n",
		    (unsigned long long)pi.used, cap,
		    (unsigned long long)pi.objects);
	printf("Lockout:        %d failed logins\n", pi.lockout);
	printf("Domains:        %d\n", pi.domains);
	for (i = 0; i < 3; i++)
		printf("Role %s:        %s%s%s, %d failed logins\n",
		    role_name(pi.roles[i].role),
		    pi.roles[i].initialized ? "initialized" : "not initialized",
		    pi.roles[i].locked ? ", LOCKED" : "",
		    pi.roles[i].activated ? ", activated" : "",
		    pi.roles[i].failures);
	return EXIT_DONE;
}

struct list_ctx {
	struct json *j;
	int n;
	int ped;
	struct hsm *h;
};

static int
list_cb(void *ctx, const struct partition_info *pi)
{
	struct list_ctx *c = ctx;

	if (c->j != NULL) {
		struct smk_pub sp;

		smk_pub_get(c->h, pi, &sp);
		json_partition(c->j, pi, c->ped, &sp);
		return 0;
	}
	if (c->n++ == 0)
		printf("%-32s  %-12s  %-2s  %-11s  %8s  %s\n", "Label", "Serial",
		    "V", "State", "Objects", "Cloning");
	printf("%-32s  %-12llu  V%d  %-11s  %8llu  %s\n", pi->label,
	    (unsigned long long)pi->serial, pi->version, pstate(pi->state),
	    (unsigned long long)pi->objects, pi->cloning ? "yes" : "no");
	return 0;
}

static int
cmd_list(struct opts *o)
{
	struct list_ctx c = { NULL, 0, 0, NULL };
	struct hsm *h = NULL;
	int r;

	if ((r = open_hsm(o->args[0], 0, &h, NULL)) != 0)
		return cli_fail(PROG, r, "partition list");
	c.h = h;
	if ((c.ped = hsm_is_ped(h)) < 0) {
		r = c.ped;
		hsm_close(h);
		return cli_fail(PROG, r, "partition list");
	}
	if (o->json) {
		c.j = json_new(stdout);
		json_obj_begin(c.j, NULL);
		json_arr_begin(c.j, "partitions");
	}
	r = partition_list(h, list_cb, &c);
	if (c.j != NULL) {
		json_arr_end(c.j);
		json_obj_end(c.j);
		json_free(c.j);
	} else if (r == 0 && c.n == 0)
		printf("no partitions\n");
	hsm_close(h);
	return r ? cli_fail(PROG, r, "partition list") : EXIT_DONE;
}

static int
cmd_zeroize(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	char *label = NULL;
	int r, role = ROLE_SO;

	if (o->role != NULL && (r = role_parse(o->role, &role)) != 0)
		return cli_fail(PROG, r, "partition zeroize");
	if (role == ROLE_SO) {
		if ((r = open_so(o, o->args[0], 1, &h, &label)) == 0)
			r = partition_zeroize(h, NULL, label, NULL);
	} else if (role == ROLE_PO) {
		if ((r = open_session(o, o->args[0], ROLE_PO, &h, &s)) == 0 &&
		    (label = strdup(session_label(s))) != NULL)
			r = partition_zeroize(h, s, label, NULL);
	} else
		r = CE_PERMISSION;
	session_close(s);
	hsm_close(h);
	free(label);
	if (r != 0)
		return cli_fail(PROG, r, "cannot zeroize the partition");
	printf("partition zeroized: objects, domains and credentials are "
	    "gone; its PO may initialize it again\n");
	return EXIT_DONE;
}

static int
cmd_delete(struct opts *o)
{
	struct hsm *h = NULL;
	char *label = NULL;
	int r;

	if ((r = open_so(o, o->args[0], 1, &h, &label)) == 0)
		r = partition_delete(h, label);
	hsm_close(h);
	free(label);
	if (r != 0)
		return cli_fail(PROG, r, "cannot delete the partition");
	printf("partition deleted\n");
	return EXIT_DONE;
}

/* A new partition storage key for everything in the partition (CO). */
static int
cmd_rekey(struct opts *o)
{
	struct partition_rekey_stats st;
	struct hsm *h = NULL;
	struct session *s = NULL;
	int r, v1 = 0;

	memset(&st, 0, sizeof(st));
	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) == 0) {
		v1 = session_version(s) == 1;
		r = partition_rekey(s, &st);
	}
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "partition rekey");
	if (v1)
		printf("partition rekeyed: key generation %llu; SMK rolled over "
		    "(%llu blob(s) re-sealed), %d SMK wrap(s) and %d role "
		    "wrap(s) re-sealed; the old keys destroyed\n",
		    (unsigned long long)st.psk_gen,
		    (unsigned long long)st.blobs, st.smk_wraps, st.roles);
	else
		printf("partition rekeyed: key generation %llu; %llu object(s) "
		    "and %d role wrap(s) re-sealed; the old key destroyed\n",
		    (unsigned long long)st.psk_gen,
		    (unsigned long long)st.objects, st.roles);
	return EXIT_DONE;
}

const struct cmd cmds_partition[] = {
	{ "create", cmd_create, O_PIN | O_VERSION, 1,
	    "hsm:DIR#LABEL [--version 0|1] [--pin-file F]  (SO)" },
	{ "init", cmd_init, O_PIN | O_NEWPIN | O_DOMPIN | O_LABEL | O_KDF |
	    O_DOMLABEL, 1, "hsm:DIR#LABEL [--label NEW] [--kdf PROFILE] "
	    "[--domain-label L] [--new-pin-file F] [--domain-pin-file F]  (PO)"
	    "\n       PED: --m M --n N --shares-out DIR (--domain-shares-out DIR "
	    "[--domain-m M --domain-n N] | --domain-share F ...) "
	    "[--new-share-pin-file F ...]" },
	{ "show", cmd_show, O_JSON, 1, "hsm:DIR#LABEL [--json]" },
	{ "list", cmd_list, O_JSON, 1, "DIR [--json]" },
	{ "zeroize", cmd_zeroize, O_PIN | O_ROLE, 1,
	    "hsm:DIR#LABEL [--role so|po] [--pin-file F]" },
	{ "delete", cmd_delete, O_PIN, 1, "hsm:DIR#LABEL [--pin-file F]  (SO)" },
	{ "rekey", cmd_rekey, O_PIN | O_ROLE, 1,
	    "hsm:DIR#LABEL [--pin-file F]  (CO)" },
};
const size_t ncmds_partition = sizeof(cmds_partition) /
    sizeof(cmds_partition[0]);

/* --- partition policy ----------------------------------------------------- */

static int
cmd_ppolicy_show(struct opts *o)
{
	struct partition_info pi;
	struct hsm *h = NULL;
	struct json *j;
	char *label = NULL;
	int r, ped = 0;

	if ((r = open_hsm(o->args[0], 1, &h, &label)) == 0 &&
	    (r = partition_get_info(h, label, &pi)) == 0 &&
	    (ped = hsm_is_ped(h)) < 0)
		r = ped;
	hsm_close(h);
	free(label);
	if (r != 0)
		return cli_fail(PROG, r, "partition policy show");
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_arr_begin(j, "policies");
		json_obj_begin(j, NULL);
		json_int(j, "code", PPOL_ALLOW_CLONING);
		json_str(j, "name", "allow-cloning");
		json_int(j, "value", pi.allow_cloning);
		json_int(j, "effective", pi.cloning);
		json_bool(j, "destructive", 1);
		json_obj_end(j);
		json_obj_begin(j, NULL);
		json_int(j, "code", PPOL_STORAGE_SIZE);
		json_str(j, "name", "storage-size");
		json_int(j, "value", (int64_t)pi.capacity);
		json_bool(j, "destructive", 0);
		json_obj_end(j);
		json_obj_begin(j, NULL);
		json_int(j, "code", PPOL_LOCKOUT);
		json_str(j, "name", "lockout");
		json_int(j, "value", pi.lockout);
		json_bool(j, "destructive", 0);
		json_obj_end(j);
		if (ped) {
			json_obj_begin(j, NULL);
			json_int(j, "code", PPOL_ACTIVATION);
			json_str(j, "name", "activation");
			json_int(j, "value", pi.allow_activation);
			json_bool(j, "destructive", 0);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
		json_free(j);
		return EXIT_DONE;
	}
	printf("Code  Name           Value\n");
	printf("%4d  %-13s  %llu (effective %s: HSM policy 7 is %s)\n",
	    PPOL_ALLOW_CLONING, "allow-cloning",
	    (unsigned long long)pi.allow_cloning, pi.cloning ? "on" : "off",
	    pi.hsm_allow_cloning ? "on" : "off");
	printf("%4d  %-13s  %llu bytes\n", PPOL_STORAGE_SIZE, "storage-size",
	    (unsigned long long)pi.capacity);
	printf("%4d  %-13s  %d failed logins\n", PPOL_LOCKOUT, "lockout",
	    pi.lockout);
	if (ped)
		printf("%4d  %-13s  %d (CO/CU may%s be activated)\n",
		    PPOL_ACTIVATION, "activation", pi.allow_activation,
		    pi.allow_activation ? "" : " not");
	return EXIT_DONE;
}

static int
cmd_ppolicy_set(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct partition_info pi;
	uint64_t v;
	int r, policy;

	if ((r = partition_policy_parse(o->args[1], &policy)) != 0)
		return cli_fail(PROG, r, "partition policy set");
	if (strcmp(o->args[2], "on") == 0)
		v = 1;
	else if (strcmp(o->args[2], "off") == 0)
		v = 0;
	else if (parse_u64(o->args[2], &v) != 0)
		return cli_usage_error(PROG, "partition policy set: bad value "
		    "'%s'", o->args[2]);
	if ((r = open_session(o, o->args[0], ROLE_PO, &h, &s)) != 0)
		goto out;
	if (policy == PPOL_ALLOW_CLONING && !o->force &&
	    partition_session_info(s, &pi) == 0 &&
	    (uint64_t)pi.allow_cloning != v) {
		err_set_detail("changing allow-cloning erases every object of "
		    "the partition; add --force to go ahead");
		r = CE_POLICY;
		goto out;
	}
	r = partition_policy_set(s, policy, v);
 out:
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "partition policy set");
	printf("partition policy %s set to %llu\n", partition_policy_name(policy),
	    (unsigned long long)v);
	return EXIT_DONE;
}

const struct cmd cmds_ppolicy[] = {
	{ "show", cmd_ppolicy_show, O_JSON, 1, "hsm:DIR#LABEL [--json]" },
	{ "set", cmd_ppolicy_set, O_PIN | O_FORCE | O_ROLE, 3,
	    "hsm:DIR#LABEL allow-cloning|storage-size|lockout|activation VALUE "
	    "[--force] "
	    "[--pin-file F]  (PO)" },
};
const size_t ncmds_ppolicy = sizeof(cmds_ppolicy) / sizeof(cmds_ppolicy[0]);
