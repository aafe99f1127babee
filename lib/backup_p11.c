/*
 * Token backups and restores (lib/backup_p11.h): PKCS#11 objects as they
 * leave a token (lib/p11mod.h) into Coffer object records, and back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "backup_p11.h"
#include "buf.h"
#include "crypto.h"
#include "domain.h"
#include "err.h"
#include "kdf.h"
#include "object.h"
#include "p11.h"
#include "p11mod.h"
#include "secret.h"

/* What the store is asked to have room for (a token is small). */
#define TOKEN_ESTIMATE (16u * 1024 * 1024)

/* A private key that left, so its public key can be folded into it. */
struct pair {
	char *label;
	uint8_t id[OBJECT_ID_MAX];
	size_t idlen;
	uint32_t key_type;
};

struct make_ctx {
	const struct backup_p11_params *p;
	int (*emit)(void *, uint8_t, const void *, size_t);
	void *emitarg;
	uint64_t objects, skipped, unnamed;
	char **labels;              /* labels recorded so far */
	size_t nlabels;
	struct pair *pairs;         /* private keys exported */
	size_t npairs;
	struct object **pubs;       /* public keys, held until the end */
	size_t npubs;
	struct buf *rec;
};

static void
hexof(const uint8_t *p, size_t n, char *out, size_t room)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < room; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * i] = '\0';
}

static void
note(struct make_ctx *c, const char *msg)
{
	if (c->p->on_note != NULL)
		c->p->on_note(c->p->ctx, msg);
}

static int
label_used(struct make_ctx *c, const char *label)
{
	size_t i;

	for (i = 0; i < c->nlabels; i++)
		if (strcmp(c->labels[i], label) == 0)
			return 1;
	return 0;
}

static int
label_take(struct make_ctx *c, const char *label)
{
	char **l;

	if ((l = realloc(c->labels, (c->nlabels + 1) * sizeof(*l))) == NULL)
		return CE_NOMEM;
	c->labels = l;
	if ((l[c->nlabels] = strdup(label)) == NULL)
		return CE_NOMEM;
	c->nlabels++;
	return 0;
}

/* The token's label of o as text ("" when it has none or not a usable one). */
static void
token_label(const struct p11mod_obj *o, char out[OBJECT_LABEL_MAX + 1])
{
	const struct p11mod_attr *a = p11mod_obj_attr(o, CKA_LABEL);
	size_t i;

	out[0] = '\0';
	if (a == NULL || a->len == 0 || a->len > OBJECT_LABEL_MAX)
		return;
	for (i = 0; i < a->len; i++)
		if (a->val[i] < 0x20 || a->val[i] == 0x7f)
			return;
	memcpy(out, a->val, a->len);
	out[a->len] = '\0';
}

static void
token_id(const struct p11mod_obj *o, char *out, size_t room)
{
	const struct p11mod_attr *a = p11mod_obj_attr(o, CKA_ID);

	if (a == NULL)
		out[0] = '\0';
	else
		hexof(a->val, a->len, out, room);
}

/* The label o is recorded under: its own, made unique, or a made one. */
static int
record_label(struct make_ctx *c, const struct p11mod_obj *o,
    char out[OBJECT_LABEL_MAX + 1])
{
	char base[OBJECT_LABEL_MAX + 1], id[2 * OBJECT_ID_MAX + 1], msg[400];
	unsigned k;

	token_label(o, base);
	if (base[0] == '\0') {
		token_id(o, id, sizeof(id));
		if (id[0] != '\0')
			snprintf(base, sizeof(base), "%s-%.100s",
			    p11_class_name(o->cls), id);
		else
			snprintf(base, sizeof(base), "%s-%llu",
			    p11_class_name(o->cls),
			    (unsigned long long)++c->unnamed);
		snprintf(msg, sizeof(msg), "a %s without a usable label is "
		    "recorded as '%s'", p11_class_name(o->cls), base);
		note(c, msg);
	}
	snprintf(out, OBJECT_LABEL_MAX + 1, "%s", base);
	for (k = 2; label_used(c, out); k++) {
		snprintf(out, OBJECT_LABEL_MAX + 1, "%.*s~%u",
		    OBJECT_LABEL_MAX - 12, base, k);
		if (!label_used(c, out)) {
			snprintf(msg, sizeof(msg), "the %s '%s' is recorded as "
			    "'%s': labels are unique in a Coffer partition",
			    p11_class_name(o->cls), base, out);
			note(c, msg);
		}
	}
	return label_take(c, out);
}

static void
skip(struct make_ctx *c, const struct p11mod_obj *o, const char *why)
{
	char label[OBJECT_LABEL_MAX + 1], id[2 * OBJECT_ID_MAX + 1];

	token_label(o, label);
	token_id(o, id, sizeof(id));
	c->skipped++;
	c->p->on_skip(c->p->ctx, label, id, p11_class_name(o->cls), why);
}

/* Attributes a record does not keep: the token's view of a public key
 * (the record keeps its SubjectPublicKeyInfo), and the label (set apart). */
static int
kept_attr(uint32_t type)
{
	return type != CKA_MODULUS && type != CKA_PUBLIC_EXPONENT &&
	    type != CKA_EC_POINT && type != CKA_LABEL && type != CKA_VALUE;
}

/* o as a Coffer object labelled label; NULL *op with a reason in why. */
static int
to_object(const struct p11mod_obj *o, const char *label, struct object **op,
    char *why, size_t whylen)
{
	struct object *ob;
	size_t i;
	int r;

	*op = NULL;
	if ((ob = object_new()) == NULL)
		return CE_NOMEM;
	for (i = 0; i < o->nattrs; i++)
		if (kept_attr(o->attrs[i].type) &&
		    (r = object_set_attr(ob, o->attrs[i].type, o->attrs[i].val,
		    o->attrs[i].len)) != 0)
			goto out;
	if ((r = object_set_attr(ob, CKA_LABEL, label, strlen(label))) != 0)
		goto out;
	if (o->cls == CKO_PRIVATE_KEY) {
		r = object_set_private(ob, secret_ptr(o->value),
		    secret_len(o->value));
		if (r == CE_INVALID || r == CE_FORMAT) {
			snprintf(why, whylen, "%s", err_detail());
			r = 0;
			goto out;
		}
		if (r != 0)
			goto out;
	} else if (o->value != NULL) {
		if ((ob->value = secret_dup(o->value)) == NULL) {
			r = CE_NOMEM;
			goto out;
		}
		if (o->cls == CKO_SECRET_KEY && (r = object_set_ulong(ob,
		    CKA_VALUE_LEN, secret_len(o->value))) != 0)
			goto out;
	}
	*op = ob;
	ob = NULL;
	r = 0;
 out:
	object_free(ob);
	return r;
}

static int
emit_object(struct make_ctx *c, const struct object *ob)
{
	int r;

	buf_reset(c->rec);
	if ((r = object_encode(ob, c->rec)) != 0 ||
	    (r = c->emit(c->emitarg, XFER_REC_V0_OBJECT, buf_ptr(c->rec),
	    buf_len(c->rec))) != 0)
		return r;
	c->objects++;
	return 0;
}

/* 1 for the classes and key types Coffer's object model holds. */
static int
supported(const struct p11mod_obj *o)
{
	switch (o->cls) {
	case CKO_DATA:
	case CKO_CERTIFICATE:
		return 1;
	case CKO_SECRET_KEY:
		return o->key_type == CKK_AES || o->key_type == CKK_GENERIC_SECRET;
	case CKO_PRIVATE_KEY:
	case CKO_PUBLIC_KEY:
		return o->key_type == CKK_RSA || o->key_type == CKK_EC;
	}
	return 0;
}

static int
on_obj(void *arg, struct p11mod_obj *o)
{
	struct make_ctx *c = arg;
	const struct p11mod_attr *id;
	struct object *ob = NULL;
	struct pair *pp;
	char label[OBJECT_LABEL_MAX + 1], why[200] = "";
	int r;

	if (o->why != NULL) {
		skip(c, o, o->why);
		return 0;
	}
	if (!supported(o)) {
		snprintf(why, sizeof(why), "key type 0x%lx is not one Coffer "
		    "holds (AES, generic secret, RSA, EC)",
		    (unsigned long)o->key_type);
		skip(c, o, why);
		return 0;
	}
	token_label(o, label);
	if (o->cls == CKO_PUBLIC_KEY) {
		/* Held back: it may be the public half of a private key. */
		if ((r = to_object(o, label[0] ? label : "-", &ob, why,
		    sizeof(why))) != 0)
			return r;
		if ((pp = realloc(c->pubs, (c->npubs + 1) *
		    sizeof(*c->pubs))) == NULL) {
			object_free(ob);
			return CE_NOMEM;
		}
		c->pubs = (struct object **)pp;
		/* Its token label is kept as the record's until the end. */
		c->pubs[c->npubs++] = ob;
		return 0;
	}
	if ((r = record_label(c, o, label)) != 0 ||
	    (r = to_object(o, label, &ob, why, sizeof(why))) != 0)
		return r;
	if (ob == NULL) {
		skip(c, o, why);
		return 0;
	}
	if (o->cls == CKO_PRIVATE_KEY) {
		if ((pp = realloc(c->pairs, (c->npairs + 1) *
		    sizeof(*pp))) == NULL) {
			object_free(ob);
			return CE_NOMEM;
		}
		c->pairs = pp;
		pp = &c->pairs[c->npairs];
		memset(pp, 0, sizeof(*pp));
		token_label(o, label);
		if ((pp->label = strdup(label)) == NULL) {
			object_free(ob);
			return CE_NOMEM;
		}
		if ((id = p11mod_obj_attr(o, CKA_ID)) != NULL &&
		    id->len <= OBJECT_ID_MAX) {
			memcpy(pp->id, id->val, id->len);
			pp->idlen = id->len;
		}
		pp->key_type = o->key_type;
		c->npairs++;
	}
	r = emit_object(c, ob);
	object_free(ob);
	return r;
}

/* 1 when public key ob is the public half of an exported private key. */
static int
paired(const struct make_ctx *c, const struct object *ob)
{
	const struct object_attr *id = object_attr(ob, CKA_ID);
	size_t i, idlen = id != NULL ? id->len : 0;

	for (i = 0; i < c->npairs; i++)
		if (c->pairs[i].key_type == ob->key_type &&
		    strcmp(c->pairs[i].label, ob->label[0] == '-' &&
		    ob->label[1] == '\0' ? "" : ob->label) == 0 &&
		    c->pairs[i].idlen == idlen &&
		    (idlen == 0 || memcmp(c->pairs[i].id, id->val, idlen) == 0))
			return 1;
	return 0;
}

/* The public keys that are no private key's half, as records of their own. */
static int
emit_publics(struct make_ctx *c)
{
	struct p11mod_obj o;
	struct object *ob;
	const struct object_attr *id;
	char label[OBJECT_LABEL_MAX + 1];
	size_t i;
	int r;

	for (i = 0; i < c->npubs; i++) {
		ob = c->pubs[i];
		if (paired(c, ob))
			continue;
		/* record_label reads a p11mod_obj: give it the token's view. */
		memset(&o, 0, sizeof(o));
		o.cls = CKO_PUBLIC_KEY;
		if ((strcmp(ob->label, "-") != 0 &&
		    (r = p11mod_obj_set(&o, CKA_LABEL, ob->label,
		    strlen(ob->label))) != 0) ||
		    ((id = object_attr(ob, CKA_ID)) != NULL &&
		    (r = p11mod_obj_set(&o, CKA_ID, id->val, id->len)) != 0)) {
			p11mod_obj_clear(&o);
			return r;
		}
		r = record_label(c, &o, label);
		p11mod_obj_clear(&o);
		if (r != 0 ||
		    (r = object_set_attr(ob, CKA_LABEL, label,
		    strlen(label))) != 0 ||
		    (r = emit_object(c, ob)) != 0)
			return r;
	}
	return 0;
}

struct produce_ctx {
	struct p11mod *m;
	struct make_ctx *c;
	char *transport;
};

static int
produce(void *arg, int (*emit)(void *, uint8_t, const void *, size_t),
    void *emitarg, uint64_t *objectsp)
{
	struct produce_ctx *pc = arg;
	int r;

	pc->c->emit = emit;
	pc->c->emitarg = emitarg;
	if ((r = p11mod_export(pc->m, on_obj, pc->c, pc->transport, 64)) != 0 ||
	    (r = emit_publics(pc->c)) != 0)
		return r;
	*objectsp = pc->c->objects;
	return 0;
}

/* The manifest's source: the token, and the one domain sealing it. */
static int
describe_token(struct p11mod *m, const struct backup_p11_params *p,
    struct cbk_manifest *mf)
{
	const struct p11mod_token *t = p11mod_token(m);
	struct cbk_domain *d = &mf->domains[0];

	mf->format_version = CBK_FORMAT_VERSION;
	snprintf(mf->tool_version, sizeof(mf->tool_version), "%s",
	    BACKUP_TOOL_VERSION);
	snprintf(mf->label, sizeof(mf->label), "%s", t->label[0] ? t->label :
	    "token");
	snprintf(mf->serial, sizeof(mf->serial), "%s", t->serial);
	mf->partition_version = 0;
	snprintf(mf->hsm_serial, sizeof(mf->hsm_serial), "pkcs11");
	snprintf(mf->hsm_label, sizeof(mf->hsm_label), "%s",
	    t->manufacturer[0] ? t->manufacturer : "PKCS#11 token");
	snprintf(mf->kdf, sizeof(mf->kdf), "-");
	mf->policies.allow_cloning = 1;
	cc_random(mf->domain_salt, sizeof(mf->domain_salt));
	snprintf(d->label, sizeof(d->label), "%s", p->domain->label);
	snprintf(d->type, sizeof(d->type), "%s",
	    domain_type_name(p->spec->type));
	snprintf(d->kdf, sizeof(d->kdf), "%s", p->spec->type == DOMAIN_PED ?
	    "-" : kdf_profile_name(p->spec->kdf));
	d->salted = p->spec->salted;
	memcpy(d->salt, p->spec->salt, CBK_SALT_LEN);
	mf->ndomains = 1;
	return domain_check(p->domain->key, mf->domain_salt, d->check);
}

int
backup_p11_make(struct p11mod *m, struct bstore *st,
    const struct backup_p11_params *p, struct backup_p11_result *res)
{
	struct backup_params bp;
	struct cbk_manifest mf;
	struct make_ctx c;
	struct produce_ctx pc;
	size_t i;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&mf, 0, sizeof(mf));
	memset(&c, 0, sizeof(c));
	memset(&bp, 0, sizeof(bp));
	c.p = p;
	if ((c.rec = buf_new(OBJECT_RECORD_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = describe_token(m, p, &mf)) != 0)
		goto out;
	bp.password = p->password;
	bp.kdf = p->kdf;
	pc.m = m;
	pc.c = &c;
	pc.transport = res->transport;
	if ((r = backup_seal(st, &mf, &bp, p->domain, 1, TOKEN_ESTIMATE,
	    produce, &pc, NULL, &res->b)) != 0)
		goto out;
	res->not_exported = c.skipped;
 out:
	buf_free(c.rec);
	for (i = 0; i < c.nlabels; i++)
		free(c.labels[i]);
	free(c.labels);
	for (i = 0; i < c.npairs; i++)
		free(c.pairs[i].label);
	free(c.pairs);
	for (i = 0; i < c.npubs; i++)
		object_free(c.pubs[i]);
	free(c.pubs);
	return r;
}

/* --- restore onto a token ----------------------------------------------- */

struct restore_ctx {
	struct p11mod *m;
	const struct restore_p11_params *p;
	struct restore_result *res;
};

static int
restore_one(void *arg, uint8_t kind, const uint8_t *rec, size_t n)
{
	struct restore_ctx *c = arg;
	struct p11mod_obj o;
	struct object *ob = NULL;
	size_t i;
	int r;

	if (kind != XFER_REC_V0_OBJECT) {
		err_set_detail("a V1 (SKS) backup cannot go onto a token: "
		    "restore it into a Coffer partition");
		return CE_UNSUPPORTED;
	}
	memset(&o, 0, sizeof(o));
	if ((r = object_decode(rec, n, &ob)) != 0) {
		err_set_detail("a record of the backup is not an object record");
		return CE_INTEGRITY;
	}
	if (p11mod_has_label(c->m, ob->cls, ob->label)) {
		c->res->skipped++;
		if (c->p->on_skip != NULL)
			c->p->on_skip(c->p->ctx, ob->label, "the token holds "
			    "an object of that class and label");
		r = 0;
		goto out;
	}
	o.cls = ob->cls;
	o.key_type = ob->key_type;
	for (i = 0; i < ob->nattrs; i++)
		if ((r = p11mod_obj_set(&o, ob->attrs[i].type, ob->attrs[i].val,
		    ob->attrs[i].len)) != 0)
			goto out;
	if (ob->value != NULL && (o.value = secret_dup(ob->value)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = p11mod_import(c->m, &o)) != 0) {
		char keep[300];

		snprintf(keep, sizeof(keep), "%s", err_detail());
		err_set_detail("'%s': %s", ob->label, keep);
		goto out;
	}
	c->res->written++;
 out:
	p11mod_obj_clear(&o);
	object_free(ob);
	return r;
}

int
backup_p11_restore(struct p11mod *m, struct bstore *st, const char *name,
    const struct restore_p11_params *p, struct restore_result *res,
    char *transport)
{
	struct restore_result rr;
	struct restore_ctx c;
	char who[96];
	int r;

	memset(res, 0, sizeof(*res));
	memset(&rr, 0, sizeof(rr));
	c.m = m;
	c.p = p;
	c.res = &rr;
	snprintf(who, sizeof(who), "the domain given");
	if ((r = p11mod_import_begin(m, transport, 64)) != 0)
		return r;
	r = backup_read(st, name, p->password, p->doms, p->ndoms, who,
	    restore_one, &c, res);
	/* A failure leaves the token as it was. */
	p11mod_import_end(m, r != 0);
	res->written = rr.written;
	res->skipped = rr.skipped;
	return r;
}
