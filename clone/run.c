/*
 * clone: the run. Every refusal that can be decided without a login
 * (policy, versions, the same partition twice) comes before any credential
 * is read; the target is logged in to under ENDPOINT_TX, so everything it
 * does - the login, the objects, the audit event - is one transaction that
 * is kept only when the whole transfer was applied.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clone.h"
#include "cred.h"
#include "domain.h"
#include "endpoint.h"
#include "err.h"
#include "hsm.h"
#include "kdf.h"
#include "object.h"
#include "partition.h"
#include "role.h"
#include "secret.h"
#include "xfer.h"

struct sender {
	struct endpoint *src;
	const struct clone_opts *o;
	struct progress *bar;
	char domain[40];
	uint64_t sent;
};

static void
on_progress(void *ctx, uint64_t done)
{
	progress_update(ctx, done);
}

/* The xfer_source: runs in the sender's thread, touches only the source. */
static int
produce(void *arg, struct xfer *x)
{
	struct sender *sd = arg;
	struct endpoint_produce_opts po;

	snprintf(sd->domain, sizeof(sd->domain), "%s", xfer_domain_label(x));
	memset(&po, 0, sizeof(po));
	if (sd->o->nobjects > 0) {
		po.labels = sd->o->objects;
		po.nlabels = sd->o->nobjects;
	}
	po.emit = endpoint_emit_xfer;
	po.arg = x;
	po.progress = on_progress;
	po.ctx = sd->bar;
	po.smk_only = sd->o->smk_only;
	return endpoint_produce(sd->src, &po, &sd->sent);
}

static int
fail_at(struct clone_result *res, int r, const char *what)
{
	res->r = r;
	res->what = what;
	snprintf(res->detail, sizeof(res->detail), "%s", err_detail());
	return r;
}

static int
str_push(char ***vp, size_t *np, const char *s)
{
	char **v = realloc(*vp, (*np + 1) * sizeof(*v));

	if (v == NULL)
		return CE_NOMEM;
	*vp = v;
	if ((v[*np] = strdup(s)) == NULL)
		return CE_NOMEM;
	(*np)++;
	return 0;
}

static void
on_missing(void *ctx, const char *label)
{
	struct clone_result *res = ctx;

	(void)str_push(&res->missing, &res->nmissing, label);
}

/* Both names point at one partition (the same HSM directory and label). */
static int
same_partition(struct endpoint *a, struct endpoint *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (strcmp(endpoint_label(a), endpoint_label(b)) != 0)
		return 0;
	if (realpath(hsm_dir(endpoint_hsm(a)), ra) == NULL ||
	    realpath(hsm_dir(endpoint_hsm(b)), rb) == NULL)
		return 0;
	return strcmp(ra, rb) == 0;
}

/* Checks that need no login: both refuse before any credential is read. */
static int
precheck(struct endpoint *src, struct endpoint *dst, struct clone_result *res)
{
	int r;

	if (same_partition(src, dst)) {
		err_set_detail("--from and --to name the same partition");
		return fail_at(res, CE_USAGE, "choosing partitions");
	}
	if ((r = endpoint_cloning_check(src)) != 0 ||
	    (r = endpoint_cloning_check(dst)) != 0) {
		char d[1024];

		snprintf(d, sizeof(d), "%s; nothing was written", err_detail());
		err_set_detail("%s", d);
		return fail_at(res, r, "checking the cloning policies");
	}
	return 0;
}

struct clash_ctx {
	struct session *dst;
	struct clone_result *res;
};

static int
clash_one(void *ctx, const struct object_info *oi)
{
	struct clash_ctx *c = ctx;
	struct object_info t;

	if (object_find(c->dst, oi->label, &t) == 0)
		return str_push(&c->res->clashes, &c->res->nclashes, oi->label);
	return 0;
}

/* After a refused fail-mode transfer: every label that clashes. */
static void
list_clashes(const struct clone_opts *o, struct endpoint *src,
    struct endpoint *dst, struct clone_result *res)
{
	struct clash_ctx c = { endpoint_session(dst), res };
	struct object_info oi;
	size_t i;

	if (o->nobjects == 0) {
		(void)object_list(endpoint_session(src), clash_one, &c);
		return;
	}
	for (i = 0; i < o->nobjects; i++) {
		if (object_find(c.dst, o->objects[i], &oi) == 0)
			(void)str_push(&res->clashes, &res->nclashes,
			    o->objects[i]);
	}
}

static void
audit_source(struct endpoint *src, struct endpoint *dst,
    const struct clone_result *res, uint64_t sent)
{
	struct audit_event ev;
	char detail[400];

	memset(&ev, 0, sizeof(ev));
	ev.event = "clone";
	ev.ok = res->r == 0;
	ev.role = role_name(ROLE_CO);
	ev.partition = endpoint_label(src);
	ev.serial = endpoint_info(src)->serial;
	if (res->r == 0)
		snprintf(detail, sizeof(detail), "to %s (serial %llu), domain "
		    "'%s'", endpoint_uri(dst),
		    (unsigned long long)endpoint_info(dst)->serial, res->domain);
	else
		snprintf(detail, sizeof(detail), "to %s (serial %llu): %s",
		    endpoint_uri(dst),
		    (unsigned long long)endpoint_info(dst)->serial,
		    err_str(res->r));
	ev.detail = detail;
	ev.count = (int64_t)sent;
	/* The clone's outcome stands even if this line cannot be written. */
	(void)hsm_audit(endpoint_hsm(src), &ev);
}

/*
 * No domain in common. A domain of one label on both sides whose password
 * profiles differ is the usual cause (the same password under another
 * profile is another domain): name it and the fix; else say what to
 * compare.
 */
/* The options of `domains add` that join password domain sp (public). */
static const char *
join_options(const struct domain_spec *sp)
{
	static char opt[32 + DOMAIN_STRING_MAX];
	char str[DOMAIN_STRING_MAX];

	if (sp->salted && domain_string_format(sp, str) == 0)
		snprintf(opt, sizeof(opt), "--domain-string %s", str);
	else
		snprintf(opt, sizeof(opt), "--legacy-domain --kdf %s",
		    kdf_profile_name(sp->kdf));
	return opt;
}

/*
 * Two password domains of one label that differ in profile or salt: the
 * same password made two domains. Sets the detail naming the fix.
 */
static int
same_label_differs(const struct clone_opts *o, const struct domain_entry *a,
    const struct domain_entry *b)
{
	const struct domain_spec *x = &a->spec, *y = &b->spec;

	if (strcmp(a->label, b->label) != 0 || x->type != DOMAIN_PASSWORD ||
	    y->type != DOMAIN_PASSWORD)
		return 0;
	if (x->kdf != y->kdf) {
		err_set_detail("%s and %s hold no cloning domain in common: "
		    "domain '%s' is under KDF profile %s on the source and %s "
		    "on the target, and the same password under another profile "
		    "is another domain; have the target's PO add the source's "
		    "with 'domains add %s'; nothing was written", o->from, o->to,
		    a->label, kdf_profile_name(x->kdf), kdf_profile_name(y->kdf),
		    join_options(x));
		return 1;
	}
	if (x->salted != y->salted || (x->salted &&
	    memcmp(x->salt, y->salt, DOMAIN_SALT_LEN) != 0)) {
		err_set_detail("%s and %s hold no cloning domain in common: "
		    "domain '%s' was given a different domain string (or none) "
		    "on each side, and the same password with another string is "
		    "another domain; have the target's PO add the source's with "
		    "'domains add %s'; nothing was written", o->from, o->to,
		    a->label, join_options(x));
		return 1;
	}
	return 0;
}

static void
mismatch_detail(const struct clone_opts *o, struct endpoint *src,
    struct endpoint *dst)
{
	struct domain_list a, b;
	size_t i, k;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (domain_list_get(endpoint_session(src), &a) == 0 &&
	    domain_list_get(endpoint_session(dst), &b) == 0)
		for (i = 0; i < a.n; i++)
			for (k = 0; k < b.n; k++)
				if (same_label_differs(o, &a.d[i], &b.d[k]))
					goto out;
	err_set_detail("%s and %s hold no cloning domain in common; compare "
	    "'domains list' on both and have the target's PO add one of the "
	    "source's domains ('domains add'); nothing was written", o->from,
	    o->to);
 out:
	domain_list_clear(&a);
	domain_list_clear(&b);
}

int
clone_run(const struct clone_opts *o, struct clone_result *res)
{
	struct endpoint *src = NULL, *dst = NULL;
	struct endpoint_sink *sink = NULL;
	struct endpoint_feed *feed = NULL;
	struct endpoint_sink_opts so;
	struct cred_login fc = { 0 }, tc = { 0 };
	struct sender sd;
	struct xfer_source source;
	struct xfer_sink xs;
	const struct xfer_domain *sdom, *ddom;
	char audit_detail[300];
	size_t ns, nd;
	int r, src_in = 0;

	memset(&sd, 0, sizeof(sd));
	if ((r = endpoint_open(o->from, &src)) != 0) {
		fail_at(res, r, "opening the source");
		goto out;
	}
	if ((r = endpoint_open(o->to, &dst)) != 0) {
		fail_at(res, r, "opening the target");
		goto out;
	}
	if ((r = precheck(src, dst, res)) != 0)
		goto out;
	if (o->smk_only && endpoint_info(src)->version != 1) {
		err_set_detail("%s is a V0 partition: it has no SKS master key "
		    "to clone (--smk-only is for V1 sources)", o->from);
		r = fail_at(res, CE_USAGE, "checking the partitions");
		goto out;
	}
	if ((r = clone_read_creds(o, src, dst, &fc, &tc)) != 0) {
		fail_at(res, r, "reading credentials");
		goto out;
	}
	/* The source first: on one HSM the target's transaction holds the
	 * write lock, and the source's login writes. */
	if ((r = cred_login_endpoint(src, ROLE_CO, &fc, 0)) != 0) {
		fail_at(res, r, "logging in to the source");
		goto out;
	}
	src_in = 1;
	if (o->nobjects > 0 && (r = endpoint_missing(src, o->objects,
	    o->nobjects, on_missing, res)) != 0) {
		if (r > 0) {
			err_set_detail("%s holds no object named as listed; "
			    "nothing was sent or written", endpoint_uri(src));
			r = CE_NOT_FOUND;
		}
		fail_at(res, r, "selecting objects");
		goto out;
	}
	if ((r = cred_login_endpoint(dst, ROLE_CO, &tc, ENDPOINT_TX)) != 0) {
		fail_at(res, r, "logging in to the target");
		goto out;
	}
	memset(&so, 0, sizeof(so));
	so.conflict = o->conflict;
	so.force_smk = o->force;
	so.allow_retired_smk = o->force;
	so.audit_event = "clone";
	snprintf(audit_detail, sizeof(audit_detail), "from %s (serial %llu)",
	    endpoint_uri(src), (unsigned long long)endpoint_info(src)->serial);
	so.audit_detail = audit_detail;
	if ((r = endpoint_sink_new(dst, &so, &sink)) != 0) {
		fail_at(res, r, "opening the target for writing");
		goto out;
	}
	/* Receiving (and a V0 row's sealing) here, inserting on a thread of
	 * its own, sending on a third: the transfer keeps both cores busy. */
	if ((r = endpoint_feed_new(sink, &feed)) != 0) {
		fail_at(res, r, "opening the target for writing");
		goto out;
	}
	endpoint_feed_xfer(feed, &xs);
	sd.src = src;
	sd.o = o;
	if (!o->json)
		sd.bar = progress_new("clone", o->nobjects > 0 ? o->nobjects :
		    endpoint_info(src)->objects);
	source.produce = produce;
	source.arg = &sd;
	source.serial = endpoint_info(src)->serial;
	sdom = endpoint_domains(src, &ns);
	ddom = endpoint_domains(dst, &nd);
	r = xfer_run_pair(sdom, ns, ddom, nd, &source, &xs);
	/* Joined (or stopped) before this thread uses the target again. */
	endpoint_feed_free(feed);
	feed = NULL;
	if (r == 0)
		r = endpoint_commit(dst);
	if (r == 0)
		progress_done(sd.bar);
	else
		progress_stop(sd.bar);
	sd.bar = NULL;
	snprintf(res->domain, sizeof(res->domain), "%s", sd.domain);
	res->sent = sd.sent;
	res->st = endpoint_sink_stats(sink);
	if (r != 0) {
		if (r == CE_DOMAIN_MISMATCH)
			mismatch_detail(o, src, dst);
		fail_at(res, r, "transferring");
		endpoint_rollback(dst);
		if (r == CE_CONFLICT)
			list_clashes(o, src, dst, res);
	}
 out:
	endpoint_feed_free(feed);
	/* Whatever failed, the target's transaction ends before the source
	 * writes its audit line: on one HSM it would wait for that lock. */
	if (dst != NULL)
		endpoint_rollback(dst);
	if (src_in)
		audit_source(src, dst, res, sd.sent);
	progress_stop(sd.bar);
	cred_login_clear(&fc);
	cred_login_clear(&tc);
	/* The stats live in the sink: report before it goes. */
	r = clone_report(o, res);
	endpoint_sink_free(sink);
	endpoint_close(dst);
	endpoint_close(src);
	return r;
}
