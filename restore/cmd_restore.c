/*
 * restore --from dir:PATH --backup NAME --to hsm:DIR#LABEL (--replace|--add)
 *         [--with-domains] [--with-policies] [--po-pin-file F] [--domain-dir D]
 */
#include <stdio.h>
#include <string.h>

#include "backup.h"
#include "backup_source.h"
#include "bstore.h"
#include "cli.h"
#include "err.h"
#include "endpoint.h"
#include "p11uri.h"
#include "secret.h"
#include "tool.h"

struct cb_ctx {
	struct opts *o;
	struct progress *pg;
};

/* Add mode: every object not written is named, with the reason (stderr,
 * so --json output stays one document). */
static void
skip_cb(void *ctx, const char *label, const char *reason)
{
	(void)ctx;
	cli_note(PROG, "kept '%s': %s", label, reason);
}

static void
prog_cb(void *ctx, uint64_t done, uint64_t total)
{
	progress_cb(((struct cb_ctx *)ctx)->pg, done, total);
}

int
cmd_restore(struct opts *o)
{
	struct restore_params p;
	struct restore_result res;
	struct bstore_entry ent;
	struct bstore *s = NULL;
	struct endpoint *e = NULL;
	struct secret *pw = NULL, *keys[CBK_DOMAINS_MAX] = { NULL };
	struct backup_source_result sres;
	struct cb_ctx cb;
	struct json *j;
	int r, with = o->with_domains || o->with_policies;

	if (p11uri_is(o->to))
		return cmd_restore_p11(o);
	if (o->module != NULL)
		return cli_usage_error(PROG, "--module belongs to a pkcs11: "
		    "target");
	if (o->backup == NULL || o->to == NULL)
		return cli_usage_error(PROG, "restore needs --from dir:PATH "
		    "--backup NAME --to hsm:DIR#LABEL");
	if (o->replace == o->add)
		return cli_usage_error(PROG, "choose --replace (empty the "
		    "target first) or --add (only what is missing)");
	if (o->deep)
		return cli_usage_error(PROG, "--deep belongs to "
		    "'restore verify'");
	if (with && !o->po.pin_file && !o->po.pin_env && o->po.nshare == 0)
		return cli_usage_error(PROG, "--with-domains and "
		    "--with-policies change the partition as its SO: give "
		    "--po-pin-file F (or --po-share FILE ... on a PED HSM)");
	if ((r = check_backup_name(o->backup)) != 0)
		return r;
	if ((r = open_store(o, &s)) != 0)
		return r;
	memset(&cb, 0, sizeof(cb));
	memset(&sres, 0, sizeof(sres));
	cb.o = o;
	/* The backup must exist before anyone is asked for a secret. */
	if ((r = bstore_show(s, o->backup, &ent)) != 0) {
		r = cli_fail(PROG, r, "restore refused");
		goto out;
	}
	if (with && (ent.r != 0 || ent.m.format_version < 2)) {
		err_set_detail("%s is a format 1 backup: it records no domains "
		    "nor policies; restore without --with-domains and "
		    "--with-policies, then set them with 'domains add' and "
		    "'hsm partition policy set'", o->backup);
		r = cli_fail(PROG, ent.r != 0 ? ent.r : CE_UNSUPPORTED,
		    "restore refused");
		goto out;
	}
	/* Every domain secret is checked before a byte is written. */
	if ((r = open_target(o, o->to, ENDPOINT_TX, &e)) != 0 ||
	    (o->with_domains &&
	    (r = source_domains_read(o, e, &ent.m, keys)) != 0) ||
	    (r = read_backup_pin(o, &pw)) != 0) {
		r = cli_fail(PROG, r, "restore refused; the target is "
		    "unchanged");
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.password = pw;
	p.mode = o->replace ? BACKUP_REPLACE : BACKUP_ADD;
	p.labels = o->nobjects ? o->objects : NULL;
	p.nlabels = o->nobjects;
	p.on_skip = skip_cb;
	p.allow_retired_smk = o->force;
	p.progress = prog_cb;
	p.ctx = &cb;
	cb.pg = progress_new("restoring", ent.r == 0 ? ent.m.object_count : 0);
	if ((r = backup_restore(e, s, o->backup, &p, &res)) != 0) {
		progress_done(cb.pg);
		cb.pg = NULL;
		r = cli_fail(PROG, r, "restore failed; the target is unchanged");
		goto out;
	}
	progress_done(cb.pg);
	cb.pg = NULL;
	endpoint_close(e);
	e = NULL;
	if (with && (r = source_apply(o, &res.m, keys, &sres)) != 0) {
		r = cli_fail(PROG, r, "the keys are restored, but the domains "
		    "and policies were not set");
		fprintf(stderr, "Fix that and run the same command with --add "
		    "instead of --replace to finish.\n");
		goto out;
	}
	if (sres.note[0] != '\0')
		cli_note(PROG, "note: %s", sres.note);
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "backup", o->backup);
		json_str(j, "target", o->to);
		json_str(j, "mode", o->replace ? "replace" : "add");
		json_str(j, "domain", res.domain);
		json_int(j, "records", (int64_t)res.records);
		json_int(j, "written", (int64_t)res.written);
		json_int(j, "replaced", (int64_t)res.replaced);
		json_int(j, "skipped", (int64_t)res.skipped);
		if (with) {
			json_int(j, "domains_added", (int64_t)sres.domains_added);
			json_int(j, "policies_set", (int64_t)sres.policies_set);
		}
		json_obj_end(j);
		json_free(j);
	} else
		printf("restored %s into %s (%s, domain '%s'): %llu written, "
		    "%llu replaced, %llu kept\n", o->backup, o->to,
		    o->replace ? "replace" : "add", res.domain,
		    (unsigned long long)res.written,
		    (unsigned long long)res.replaced,
		    (unsigned long long)res.skipped);
	if (with && !o->json)
		printf("brought back %zu cloning domain%s and %zu polic%s of "
		    "the source\n", sres.domains_added,
		    sres.domains_added == 1 ? "" : "s", sres.policies_set,
		    sres.policies_set == 1 ? "y" : "ies");
	r = EXIT_DONE;
 out:
	progress_done(cb.pg);
	secret_free(pw);
	source_domains_free(keys);
	endpoint_close(e);
	bstore_close(s);
	return r;
}
