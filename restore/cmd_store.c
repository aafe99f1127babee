/*
 * restore list / show / verify: what anyone with read access to the store
 * may do, with no secret (verify --deep excepted, which opens the backup).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "backup_source.h"
#include "bstore.h"
#include "cli.h"
#include "domain.h"
#include "err.h"
#include "endpoint.h"
#include "kdf.h"
#include "secret.h"
#include "tool.h"
#include "utc.h"

/* The domain string of a form 2 password domain a backup recorded. */
static int
domain_string_of(const struct cbk_domain *d, char str[DOMAIN_STRING_MAX])
{
	struct domain_spec sp;
	int r;

	if ((r = backup_domain_spec(d, &sp)) != 0)
		return r;
	return domain_string_format(&sp, str);
}

/* What a format 2 manifest adds: the source HSM, profile, policies, domains. */
static void
json_source_v2(struct json *j, const struct cbk_manifest *m)
{
	char str[DOMAIN_STRING_MAX];
	size_t i;

	json_str(j, "hsm_serial", m->hsm_serial);
	json_str(j, "hsm_label", m->hsm_label);
	json_str(j, "kdf", m->kdf);
	json_obj_begin(j, "policies");
	json_bool(j, "allow_cloning", m->policies.allow_cloning);
	json_int(j, "storage_size", (int64_t)m->policies.storage_size);
	json_int(j, "lockout", m->policies.lockout);
	json_bool(j, "activation", m->policies.activation);
	json_obj_end(j);
	json_arr_begin(j, "domains");
	for (i = 0; i < m->ndomains; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "label", m->domains[i].label);
		json_str(j, "type", m->domains[i].type);
		json_str(j, "kdf", m->domains[i].kdf);
		if (domain_string_of(&m->domains[i], str) == 0)
			json_str(j, "domain_string", str);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/*
 * --source SERIAL (the source partition's serial or its HSM's), --label L
 * (the source partition's label) and --verified: does e pass the filters?
 * A backup whose manifest cannot be read matches no filter.
 */
static int
selected(const struct opts *o, const struct bstore_entry *e)
{
	if (o->source == NULL && o->label == NULL && !o->verified_only)
		return 1;
	if (e->r != 0 || (o->verified_only && !e->verified))
		return 0;
	if (o->label != NULL && strcmp(e->m.label, o->label) != 0)
		return 0;
	return o->source == NULL || strcmp(e->m.serial, o->source) == 0 ||
	    (e->m.format_version >= 2 && strcmp(e->m.hsm_serial, o->source) == 0);
}

static void
json_entry(struct json *j, const struct bstore_entry *e)
{
	char t[21];

	json_obj_begin(j, NULL);
	json_str(j, "name", e->name);
	utc_iso_show(e->created, t);
	json_str(j, "created", t);
	json_int(j, "file_size", (int64_t)e->file_size);
	json_bool(j, "verified", e->verified);
	if (e->verified) {
		utc_iso_show(e->verified_at, t);
		json_str(j, "verified_at", t);
		json_str(j, "verified_how", e->verified_how);
	}
	json_bool(j, "misnamed", e->misnamed);
	if (e->r != 0) {
		json_str(j, "damaged", err_str(e->r));
	} else {
		json_str(j, "label", e->m.label);
		json_str(j, "serial", e->m.serial);
		if (e->m.format_version >= 2)
			json_source_v2(j, &e->m);
		json_str(j, "partition_version",
		    cbk_partition_version_str(e->m.partition_version));
		json_int(j, "objects", (int64_t)e->m.object_count);
		json_int(j, "plain_bytes", (int64_t)e->m.plain_bytes);
		json_int(j, "records_size", (int64_t)e->m.records_size);
		json_str(j, "tool_version", e->m.tool_version);
	}
	json_obj_end(j);
}

static void
print_row(const struct bstore_entry *e)
{
	char t[21];

	utc_iso_show(e->created, t);
	if (e->r != 0)
		printf("%-50s %-20s damaged: %s\n", e->name, t, err_str(e->r));
	else
		printf("%-50s %-20s %-4s %9llu %12llu %-12s %s%s\n", e->name, t,
		    cbk_partition_version_str(e->m.partition_version),
		    (unsigned long long)e->m.object_count,
		    (unsigned long long)e->file_size,
		    e->m.format_version >= 2 ? e->m.hsm_serial : "-",
		    e->verified ? e->verified_how : "no",
		    e->misnamed ? "  NAME DISAGREES WITH ITS MANIFEST" : "");
}

/*
 * One listing on its way out: entries are printed as the store yields them,
 * the heading with the first, so a store that fails before any entry (a
 * dir: store reads all first) prints nothing but the error.
 */
struct lister {
	const struct opts *o;
	const struct bstore_config *cfg;
	struct json *j;
	int started;
	size_t n;
	struct bstore_entry first;   /* --latest: the one it names */
};

static void
list_start(struct lister *l)
{
	const struct opts *o = l->o;

	l->started = 1;
	if (o->json) {
		l->j = json_new(stdout);
		json_obj_begin(l->j, NULL);
		json_str(l->j, "store", o->from);
		json_int(l->j, "capacity", l->cfg->capacity);
		json_arr_begin(l->j, "backups");
	} else if (!o->latest && !o->names)
		printf("%-50s %-20s %-4s %9s %12s %-12s %s\n", "NAME",
		    "CREATED", "VER", "OBJECTS", "BYTES", "HSM", "VERIFIED");
}

static int
list_one(void *arg, const struct bstore_entry *e)
{
	struct lister *l = arg;
	const struct opts *o = l->o;

	if (!selected(o, e))
		return 0;
	l->n++;
	if (o->latest) {
		l->first = *e;
		return 1;   /* the newest that matches: no more to read */
	}
	if (!l->started)
		list_start(l);
	if (o->json)
		json_entry(l->j, e);
	else if (o->names)
		printf("%s\n", e->name);
	else
		print_row(e);
	return 0;
}

int
cmd_list(struct opts *o)
{
	struct bstore *s = NULL;
	struct lister l = { .o = o };
	int r;

	if ((r = open_store(o, &s)) != 0)
		return r;
	l.cfg = bstore_config(s);
	/* Filters keep the store's newest-first order. */
	r = bstore_list_each(s, o->label, list_one, &l);
	if (r != 0 && r != 1) {
		/* what was printed stays; the message says it is incomplete */
		if (l.j != NULL)
			json_free(l.j);
		r = cli_fail(PROG, r, "cannot list the backup store");
		goto out;
	}
	if (o->latest) {
		/* One name for a script or a runbook: the newest that passed. */
		if (l.n == 0) {
			err_set_detail("no backup in %s matches the filters; "
			    "'restore list --from %s' shows them all", o->from,
			    o->from);
			r = cli_fail(PROG, CE_NOT_FOUND, "list --latest");
			goto out;
		}
		list_start(&l);
		if (o->json)
			json_entry(l.j, &l.first);
		else
			printf("%s\n", l.first.name);
	} else if (!l.started)
		list_start(&l);
	if (l.j != NULL) {
		json_arr_end(l.j);
		json_obj_end(l.j);
		json_free(l.j);
	} else if (!o->latest && !o->names)
		printf("%zu of %u backup partitions\n", l.n, l.cfg->capacity);
	r = EXIT_DONE;
 out:
	bstore_close(s);
	return r;
}

static void
print_entry(const struct bstore_entry *e)
{
	char t[21];

	printf("name:              %s\n", e->name);
	utc_iso_show(e->created, t);
	printf("created:           %s\n", t);
	printf("file size:         %llu bytes\n",
	    (unsigned long long)e->file_size);
	if (e->verified) {
		utc_iso_show(e->verified_at, t);
		printf("verified:          yes, %s, at %s (bound to this "
		    "file)\n", e->verified_how, t);
	} else
		printf("verified:          no\n");
	if (e->misnamed)
		printf("name:              DISAGREES WITH THE MANIFEST (renamed "
		    "or copied; the date above is the manifest's)\n");
	if (e->r != 0) {
		printf("damaged:           %s\n", err_str(e->r));
		return;
	}
	printf("source partition:  %s (serial %s)\n", e->m.label, e->m.serial);
	printf("partition version: %s\n",
	    cbk_partition_version_str(e->m.partition_version));
	printf("objects:           %llu\n",
	    (unsigned long long)e->m.object_count);
	printf("record bytes:      %llu (%llu sealed)\n",
	    (unsigned long long)e->m.plain_bytes,
	    (unsigned long long)e->m.records_size);
	printf("tool:              %s\n", e->m.tool_version);
	if (e->m.format_version < 2) {
		printf("source HSM:        not recorded (a format 1 backup)\n");
		return;
	}
	printf("source HSM:        %s (serial %s)\n", e->m.hsm_label,
	    e->m.hsm_serial);
	printf("credential KDF:    %s\n", e->m.kdf);
	printf("policies:          allow-cloning %s, storage-size %llu, "
	    "lockout %u, activation %s\n",
	    e->m.policies.allow_cloning ? "on" : "off",
	    (unsigned long long)e->m.policies.storage_size,
	    e->m.policies.lockout, e->m.policies.activation ? "on" : "off");
	for (size_t i = 0; i < e->m.ndomains; i++) {
		char str[DOMAIN_STRING_MAX];

		printf("cloning domain:    %s (%s%s%s)\n", e->m.domains[i].label,
		    e->m.domains[i].type, strcmp(e->m.domains[i].type,
		    "password") == 0 ? ", kdf " : "", strcmp(
		    e->m.domains[i].type, "password") == 0 ?
		    e->m.domains[i].kdf : "");
		if (domain_string_of(&e->m.domains[i], str) == 0)
			printf("  domain string:   %s\n", str);
	}
}

int
cmd_show(struct opts *o)
{
	struct bstore *s = NULL;
	struct bstore_entry e;
	struct json *j;
	int r;

	if ((r = check_backup_name(o->args[0])) != 0 ||
	    (r = open_store(o, &s)) != 0)
		return r;
	if ((r = bstore_show(s, o->args[0], &e)) != 0) {
		r = cli_fail(PROG, r, o->args[0]);
		goto out;
	}
	if (o->json) {
		j = json_new(stdout);
		json_entry(j, &e);
		json_free(j);
	} else
		print_entry(&e);
	r = e.r != 0 ? err_exit_code(e.r) : EXIT_DONE;
 out:
	bstore_close(s);
	return r;
}

/*
 * The key of the domain password pw for backup m: each password domain the
 * backup records is tried under its own profile and salt (format 3) and
 * checked against the backup's salted check, so a password of none of
 * them is named as such; a format 1 backup records no domains, and a
 * legacy domain is derived under --kdf.
 */
int
password_domain_key(const struct opts *o, const struct cbk_manifest *m,
    const struct secret *pw, struct secret **dkeyp)
{
	struct domain_spec sp = { .type = DOMAIN_PASSWORD,
	    .kdf = KDF_INTERACTIVE };
	size_t i;
	int r;

	if (m == NULL || m->format_version < 2) {
		if (o->kdf != NULL && (r = kdf_profile_parse(o->kdf,
		    &sp.kdf)) != 0)
			return r;
		return domain_key_derive(&sp, pw, dkeyp);
	}
	for (i = 0; i < m->ndomains; i++) {
		if (backup_domain_spec(&m->domains[i], &sp) != 0 ||
		    sp.type != DOMAIN_PASSWORD)
			continue;
		if ((r = domain_key_derive(&sp, pw, dkeyp)) != 0)
			return r;
		if (backup_domain_matches(m, i, *dkeyp) == 0)
			return 0;
		secret_free(*dkeyp);
		*dkeyp = NULL;
	}
	err_set_detail("the domain password is none of the backup's password "
	    "domains (each was tried under its own profile); check the "
	    "password, or give the domain as a partition with --to");
	return CE_BAD_CREDENTIAL;
}

/* The domains for --deep: the target partition's, or a domain password. */
static int
deep_domains(struct opts *o, const struct cbk_manifest *m,
    struct endpoint **ep, struct secret **dkeyp, struct xfer_domain *x,
    size_t *np)
{
	struct cli_secret_src src = { o->dpin_file, o->dpin_env };
	const struct xfer_domain *d;
	struct secret *pw = NULL;
	size_t i;
	int r;

	if ((o->to != NULL) == (o->dpin_file != NULL || o->dpin_env != NULL)) {
		err_set_detail("give the domain either as a partition (--to "
		    "hsm:DIR#LABEL) or as a domain password "
		    "(--domain-pin-file/--domain-pin-env)");
		return CE_USAGE;
	}
	if (o->to != NULL) {
		if ((r = open_target(o, o->to, 0, ep)) != 0)
			return r;
		d = endpoint_domains(*ep, np);
		for (i = 0; i < *np; i++)
			x[i] = d[i];
		return 0;
	}
	if ((r = cli_read_secret("cloning domain password: ", &src, 0,
	    &pw)) != 0)
		return r;
	r = password_domain_key(o, m, pw, dkeyp);
	secret_free(pw);
	if (r != 0)
		return r;
	x[0].label = "the domain password";
	x[0].key = *dkeyp;
	*np = 1;
	return 0;
}

static int
verify_deep(struct opts *o, struct bstore *s, const char *name)
{
	struct xfer_domain x[XFER_MAX_DOMAINS];
	struct restore_result res;
	struct secret *dkey = NULL, *pw = NULL;
	struct endpoint *e = NULL;
	struct bstore_entry ent;
	struct progress *pg = NULL;
	struct json *j;
	size_t n = 0;
	int r;

	if ((r = bstore_show(s, name, &ent)) != 0 ||
	    (r = deep_domains(o, ent.r == 0 ? &ent.m : NULL, &e, &dkey, x,
	    &n)) != 0 ||
	    (r = read_backup_pin(o, &pw)) != 0) {
		r = cli_fail(PROG, r, name);
		goto out;
	}
	pg = progress_new("verifying", ent.r == 0 ? ent.m.object_count : 0);
	r = backup_verify_deep(s, name, pw, x, n, progress_cb, pg, &res);
	if (r != 0) {
		r = cli_fail(PROG, r, name);
		goto out;
	}
	progress_done(pg);
	pg = NULL;
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "name", name);
		json_bool(j, "ok", 1);
		json_bool(j, "deep", 1);
		json_int(j, "records", (int64_t)res.records);
		json_str(j, "domain", res.domain);
		json_obj_end(j);
		json_free(j);
	} else
		printf("%s: ok, deep: %llu records authenticated (opened with "
		    "domain '%s')\n", name, (unsigned long long)res.records,
		    res.domain);
	r = EXIT_DONE;
 out:
	progress_done(pg);
	secret_free(pw);
	secret_free(dkey);
	endpoint_close(e);
	return r;
}

/* One line (or JSON element) per backup of verify --all. */
static void
verify_all_each(void *ctx, const char *name, int r)
{
	struct json *j = ctx;

	if (j != NULL) {
		json_obj_begin(j, NULL);
		json_str(j, "name", name);
		json_bool(j, "ok", r == 0);
		if (r != 0) {
			json_str(j, "error", err_name(r));
			json_str(j, "detail", err_detail());
		}
		json_obj_end(j);
	} else if (r == 0)
		printf("%s: ok\n", name);
	else
		printf("%s: FAILED: %s%s%s\n", name, err_str(r),
		    err_detail()[0] ? ": " : "", err_detail());
}

/*
 * restore verify --all: every backup of the store, no secret; a damaged
 * one is named, loses its verified mark (so retention stops counting it
 * as the last good backup) and makes the exit status 4.
 */
static int
verify_all(struct opts *o)
{
	struct backup_verify_report rep;
	struct bstore *s = NULL;
	struct json *j = NULL;
	int r;

	if ((r = open_store(o, &s)) != 0)
		return r;
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "store", o->from);
		json_arr_begin(j, "backups");
	}
	r = backup_verify_all(s, verify_all_each, j, &rep);
	if (j != NULL) {
		json_arr_end(j);
		json_int(j, "checked", (int64_t)rep.checked);
		json_int(j, "passed", (int64_t)rep.passed);
		json_int(j, "failed", (int64_t)rep.failed);
		json_obj_end(j);
		json_free(j);
	} else
		printf("%zu of %zu backups passed\n", rep.passed, rep.checked);
	if (r != 0) {
		err_set_detail("%zu of %zu backups failed; each is named above "
		    "and no longer counts as verified", rep.failed, rep.checked);
		r = cli_fail(PROG, r, "verify --all");
	} else
		r = EXIT_DONE;
	bstore_close(s);
	return r;
}

int
cmd_verify(struct opts *o)
{
	struct bstore *s = NULL;
	struct bstore_entry e;
	struct json *j;
	const char *name;
	int r;

	if (o->all) {
		if (o->nargs != 0 || o->deep)
			return cli_usage_error(PROG, "verify --all takes no "
			    "NAME and no --deep (deep checks need a secret per "
			    "backup)");
		return verify_all(o);
	}
	if (o->nargs != 1)
		return cli_usage_error(PROG, "verify: name one backup, or "
		    "--all");
	name = o->args[0];
	if ((r = check_backup_name(name)) != 0 || (r = open_store(o, &s)) != 0)
		return r;
	if (o->deep) {
		r = verify_deep(o, s, name);
		goto out;
	}
	if ((r = backup_verify(s, name, &e)) != 0) {
		r = cli_fail(PROG, r, name);
		goto out;
	}
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "name", name);
		json_bool(j, "ok", 1);
		json_bool(j, "deep", 0);
		json_int(j, "objects", (int64_t)e.m.object_count);
		json_int(j, "file_size", (int64_t)e.file_size);
		json_obj_end(j);
		json_free(j);
	} else
		printf("%s: ok: structure and checksums intact (%llu objects, "
		    "%llu bytes); no secret used, so not authenticity: see "
		    "'verify --deep'\n", name,
		    (unsigned long long)e.m.object_count,
		    (unsigned long long)e.file_size);
	r = EXIT_DONE;
 out:
	bstore_close(s);
	return r;
}
