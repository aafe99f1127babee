/* hsm key generate|list|show|delete|import (use: cmd_keyuse.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "file.h"
#include "hsm.h"
#include "object.h"
#include "p11.h"
#include "role.h"
#include "secret.h"
#include "tool.h"

int
read_input(const char *path, size_t max, struct buf **bp)
{
	if (path == NULL) {
		err_set_detail("--in FILE is required");
		return CE_USAGE;
	}
	return file_read(path, max, bp);
}

int
write_output(const char *path, const void *p, size_t len)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(p, 1, len, stdout) != len || fflush(stdout) != 0)
			return CE_IO;
		return 0;
	}
	return file_write_atomic(path, p, len, 0600);
}

/* --id HEX into ckaid; *lenp 0 without --id. */
static int
ckaid_of(const struct opts *o, uint8_t ckaid[static OBJECT_ID_MAX],
    size_t *lenp)
{
	int n;

	*lenp = 0;
	if (o->id == NULL)
		return 0;
	if ((n = p11_id_from_hex(o->id, ckaid, OBJECT_ID_MAX)) < 0) {
		err_set_detail("--id '%s': the CKA_ID is 1 to %d bytes in hex, "
		    "e.g. --id 01 or --id a1b2c3", o->id, OBJECT_ID_MAX);
		return CE_USAGE;
	}
	*lenp = (size_t)n;
	return 0;
}

static void
on_progress(void *ctx, uint64_t done)
{
	progress_update(ctx, done);
}

static int
cmd_generate(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct progress *pg = NULL;
	unsigned bits = (unsigned)o->size;
	uint8_t ckaid[OBJECT_ID_MAX];
	size_t ckaidlen;
	int r, kind;

	if (o->type == NULL || o->label == NULL)
		return cli_usage_error(PROG, "key generate: --type and --label "
		    "are required");
	if (o->id != NULL && o->have_count)
		return cli_usage_error(PROG, "key generate: --id names one key; "
		    "it does not go with --count");
	if ((r = object_kind_parse(o->type, &kind)) != 0 ||
	    kind == OBJ_DATA || kind == OBJ_CERT ||
	    (r = object_bits_check(kind, &bits)) != 0 ||
	    (r = ckaid_of(o, ckaid, &ckaidlen)) != 0)
		return cli_fail(PROG, r ? r : CE_USAGE, "key generate");
	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) != 0)
		goto out;
	if (o->have_count) {
		if (o->count == 0) {
			r = CE_USAGE;
			goto out;
		}
		pg = progress_new("generating", o->count);
		r = object_generate_bulk(s, kind, bits, o->label,
		    o->first ? o->first : 1, o->count, on_progress, pg);
		progress_done(pg);
		if (r == 0)
			printf("%llu %s keys generated, labelled %s-%llu to "
			    "%s-%llu\n", (unsigned long long)o->count, o->type,
			    o->label, (unsigned long long)(o->first ? o->first : 1),
			    o->label, (unsigned long long)((o->first ? o->first :
			    1) + o->count - 1));
	} else {
		r = object_generate_id(s, kind, bits, o->label,
		    ckaidlen ? ckaid : NULL, ckaidlen, NULL);
		if (r == 0)
			printf("%s key '%s' (%u bits) generated\n", o->type,
			    o->label, bits);
	}
 out:
	session_close(s);
	hsm_close(h);
	return r ? cli_fail(PROG, r, "key generate") : EXIT_DONE;
}

struct list_ctx {
	struct json *j;
	uint64_t n;
};

static void
size_str(const struct object_info *oi, char *out, size_t max)
{
	if (oi->cls == CKO_DATA || oi->cls == CKO_CERTIFICATE)
		snprintf(out, max, "%llu B", (unsigned long long)oi->size);
	else
		snprintf(out, max, "%u", oi->bits);
}

static int
list_cb(void *ctx, const struct object_info *oi)
{
	struct list_ctx *c = ctx;
	char sz[32];

	if (c->j != NULL) {
		json_obj_begin(c->j, NULL);
		json_int(c->j, "handle", (int64_t)oi->id);
		json_str(c->j, "label", oi->label);
		json_str(c->j, "type", object_type_name(oi->cls, oi->key_type,
		    oi->bits));
		json_str(c->j, "class", p11_class_name(oi->cls));
		json_str(c->j, "key_type", p11_key_type_name(oi->key_type));
		json_int(c->j, "bits", oi->bits);
		json_int(c->j, "bytes", (int64_t)oi->size);
		json_obj_end(c->j);
		return 0;
	}
	if (c->n++ == 0)
		printf("%-32s  %-18s  %s\n", "Label", "Type", "Size");
	size_str(oi, sz, sizeof(sz));
	printf("%-32s  %-18s  %s\n", oi->label, object_type_name(oi->cls,
	    oi->key_type, oi->bits), sz);
	return 0;
}

static int
cmd_list(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct list_ctx c = { NULL, 0 };
	int r;

	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) != 0)
		goto out;
	if (o->json) {
		c.j = json_new(stdout);
		json_obj_begin(c.j, NULL);
		json_arr_begin_spooled(c.j, "objects");
	}
	r = object_list(s, list_cb, &c);
	if (c.j != NULL) {
		json_arr_end(c.j);
		json_obj_end(c.j);
		json_free(c.j);
	} else if (r == 0)
		printf("%llu object%s\n", (unsigned long long)c.n,
		    c.n == 1 ? "" : "s");
 out:
	session_close(s);
	hsm_close(h);
	return r ? cli_fail(PROG, r, "key list") : EXIT_DONE;
}

static void
attr_value(const struct object_attr *a, char *out, size_t max)
{
	uint64_t v = 0;
	size_t i, n = 0;

	switch (p11_attr_kind(a->type)) {
	case 1:
		snprintf(out, max, "%s", a->val[0] ? "true" : "false");
		return;
	case 2:
		for (i = 0; i < a->len; i++)
			v = (v << 8) | a->val[i];
		snprintf(out, max, "%llu", (unsigned long long)v);
		return;
	}
	if (a->type == CKA_LABEL || a->type == CKA_APPLICATION) {
		snprintf(out, max, "%.*s", (int)a->len, (const char *)a->val);
		return;
	}
	/* A CKA_ID is shown whole: it is how PKCS#11 tools name the key. */
	for (i = 0; i < a->len && n + 3 < max &&
	    i < (a->type == CKA_ID ? OBJECT_ID_MAX : 32); i++)
		n += (size_t)snprintf(out + n, max - n, "%02x", a->val[i]);
	if (i < a->len)
		snprintf(out + n, max - n, "... (%zu bytes)", a->len);
}

static int
cmd_show(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct object *ob = NULL;
	struct json *j;
	char v[160], name[32];
	const char *an;
	size_t i;
	int r;

	if (o->label == NULL)
		return cli_usage_error(PROG, "key show: --label is required");
	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) != 0 ||
	    (r = object_get(s, o->label, &ob)) != 0)
		goto out;
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_int(j, "handle", (int64_t)ob->id);
		json_str(j, "label", ob->label);
		json_str(j, "type", object_type_name(ob->cls, ob->key_type,
		    ob->bits));
		json_int(j, "bits", ob->bits);
		json_obj_begin(j, "attributes");
	} else {
		j = NULL;
		printf("Handle %llu: %s\n", (unsigned long long)ob->id,
		    object_type_name(ob->cls, ob->key_type, ob->bits));
	}
	for (i = 0; i < ob->nattrs; i++) {
		an = p11_attr_name(ob->attrs[i].type);
		if (an == NULL) {
			snprintf(name, sizeof(name), "0x%08x", ob->attrs[i].type);
			an = name;
		}
		attr_value(&ob->attrs[i], v, sizeof(v));
		if (j != NULL)
			json_str(j, an, v);
		else
			printf("  %-24s %s\n", an, v);
	}
	if (j != NULL) {
		json_obj_end(j);
		json_obj_end(j);
		json_free(j);
	} else if (ob->value != NULL)
		printf("  %-24s <%zu bytes, not shown>\n", "CKA_VALUE",
		    secret_len(ob->value));
 out:
	object_free(ob);
	session_close(s);
	hsm_close(h);
	return r ? cli_fail(PROG, r, "key show") : EXIT_DONE;
}

static int
cmd_delete(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	int r;

	if (o->label == NULL)
		return cli_usage_error(PROG, "key delete: --label is required");
	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) == 0)
		r = object_delete(s, o->label);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "key delete");
	printf("object '%s' deleted\n", o->label);
	return EXIT_DONE;
}

static int
cmd_import(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct buf *in = NULL;
	struct secret *v = NULL;
	uint8_t ckaid[OBJECT_ID_MAX];
	size_t ckaidlen;
	int r, kind;

	if (o->type == NULL || o->label == NULL)
		return cli_usage_error(PROG, "key import: --type, --label and "
		    "--in are required");
	if ((r = object_kind_parse(o->type, &kind)) != 0 ||
	    (r = ckaid_of(o, ckaid, &ckaidlen)) != 0)
		goto out;
	if (o->id != NULL && (kind == OBJ_DATA || kind == OBJ_CERT)) {
		err_set_detail("--id applies to keys (aes, generic, rsa, ec)");
		r = CE_USAGE;
		goto out;
	}
	if ((r = read_input(o->in, OBJECT_VALUE_MAX, &in)) != 0)
		goto out;
	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) != 0)
		goto out;
	switch (kind) {
	case OBJ_DATA:
		r = object_import_data(s, o->label, o->application, buf_ptr(in),
		    buf_len(in), !o->is_public);
		break;
	case OBJ_CERT:
		r = object_import_cert(s, o->label, buf_ptr(in), buf_len(in));
		break;
	default:
		if ((v = secret_from(buf_ptr(in), buf_len(in))) == NULL) {
			r = CE_NOMEM;
			break;
		}
		r = object_import_key_id(s, kind, o->label,
		    ckaidlen ? ckaid : NULL, ckaidlen, v);
	}
 out:
	secret_free(v);
	buf_free(in);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "key import");
	printf("object '%s' imported\n", o->label);
	return EXIT_DONE;
}

#define LOGIN (O_PIN | O_ROLE)
const struct cmd cmds_key[] = {
	{ "generate", cmd_generate, LOGIN | O_TYPE | O_SIZE | O_LABEL | O_COUNT |
	    O_ID, 1, "hsm:DIR#LABEL --type aes|generic|rsa|ec [--size BITS] "
	    "--label L [--id HEX | --count N [--first K]] [--role co] "
	    "[--pin-file F]" },
	{ "list", cmd_list, LOGIN | O_JSON, 1,
	    "hsm:DIR#LABEL [--role co|cu] [--json] [--pin-file F]" },
	{ "show", cmd_show, LOGIN | O_LABEL | O_JSON, 1,
	    "hsm:DIR#LABEL --label L [--json]" },
	{ "delete", cmd_delete, LOGIN | O_LABEL, 1, "hsm:DIR#LABEL --label L" },
	{ "import", cmd_import, LOGIN | O_TYPE | O_LABEL | O_IN | O_PUBLIC | O_ID,
	    1, "hsm:DIR#LABEL --type aes|generic|rsa|ec|data|cert --label L "
	    "--in FILE [--id HEX] [--public] [--application NAME]" },
	{ "sign", cmd_key_sign, LOGIN | O_LABEL | O_IN | O_OUT | O_HASH |
	    O_SIGFMT, 1, "hsm:DIR#LABEL --label L --in FILE [--out SIG] "
	    "[--hash sha256|sha384] [--sig-format der|raw]" },
	{ "verify", cmd_key_verify, LOGIN | O_LABEL | O_IN | O_SIG | O_HASH |
	    O_SIGFMT, 1, "hsm:DIR#LABEL --label L --in FILE --signature SIG "
	    "[--hash H] [--sig-format der|raw]" },
	{ "encrypt", cmd_key_encrypt, LOGIN | O_LABEL | O_IN | O_OUT | O_AAD, 1,
	    "hsm:DIR#LABEL --label L --in FILE [--out FILE] [--aad TEXT]" },
	{ "decrypt", cmd_key_decrypt, LOGIN | O_LABEL | O_IN | O_OUT | O_AAD, 1,
	    "hsm:DIR#LABEL --label L --in FILE [--out FILE] [--aad TEXT]" },
	{ "export-public", cmd_key_export_public, LOGIN | O_LABEL | O_OUT, 1,
	    "hsm:DIR#LABEL --label L [--out FILE.pem]" },
};
const size_t ncmds_key = sizeof(cmds_key) / sizeof(cmds_key[0]);
