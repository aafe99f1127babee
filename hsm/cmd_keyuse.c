/* hsm key sign|verify|encrypt|decrypt|export-public: prove a key works. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "hsm.h"
#include "object.h"
#include "role.h"
#include "secret.h"
#include "tool.h"

#define MSG_MAX (64u * 1024 * 1024)

static int
hash_of(const struct opts *o, int *hp)
{
	if (o->hash == NULL || strcmp(o->hash, "sha256") == 0)
		*hp = OBJ_SHA256;
	else if (strcmp(o->hash, "sha384") == 0)
		*hp = OBJ_SHA384;
	else {
		err_set_detail("--hash: sha256 or sha384");
		return CE_USAGE;
	}
	return 0;
}

/* --sig-format: der (default) or raw. */
static int
fmt_of(const struct opts *o, int *fp)
{
	if (o->sig_format == NULL || strcmp(o->sig_format, "der") == 0)
		*fp = OBJ_SIG_DER;
	else if (strcmp(o->sig_format, "raw") == 0)
		*fp = OBJ_SIG_RAW;
	else {
		err_set_detail("--sig-format '%s': der or raw", o->sig_format);
		return CE_USAGE;
	}
	return 0;
}

/* Common start: label given, input read, session open. */
static int
start(struct opts *o, struct buf **inp, struct hsm **hp, struct session **sp)
{
	int r;

	if (o->label == NULL) {
		err_set_detail("--label is required");
		return CE_USAGE;
	}
	if ((r = read_input(o->in, MSG_MAX, inp)) != 0)
		return r;
	return open_session(o, o->args[0], ROLE_CO, hp, sp);
}

static int
finish(int r, struct buf *in, struct buf *out, struct hsm *h,
    struct session *s, const char *what)
{
	buf_free(in);
	buf_free(out);
	session_close(s);
	hsm_close(h);
	return r ? cli_fail(PROG, r, what) : EXIT_DONE;
}

int
cmd_key_sign(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct buf *in = NULL, *sig = NULL;
	int r, hash, fmt;

	if ((r = hash_of(o, &hash)) == 0 && (r = fmt_of(o, &fmt)) == 0 &&
	    (r = start(o, &in, &h, &s)) == 0 &&
	    (r = object_sign_fmt(s, o->label, hash, fmt, buf_ptr(in),
	    buf_len(in), &sig)) == 0)
		r = write_output(o->out, buf_ptr(sig), buf_len(sig));
	return finish(r, in, sig, h, s, "key sign");
}

int
cmd_key_verify(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct buf *in = NULL, *sig = NULL;
	int r, hash, fmt;

	if (o->sig == NULL)
		return cli_usage_error(PROG, "key verify: --signature is "
		    "required");
	if ((r = hash_of(o, &hash)) == 0 && (r = fmt_of(o, &fmt)) == 0 &&
	    (r = read_input(o->sig, 64 * 1024, &sig)) == 0 &&
	    (r = start(o, &in, &h, &s)) == 0 &&
	    (r = object_verify_fmt(s, o->label, hash, fmt, buf_ptr(in),
	    buf_len(in), buf_ptr(sig), buf_len(sig))) == 0)
		printf("signature verified\n");
	return finish(r, in, sig, h, s, "key verify");
}

int
cmd_key_encrypt(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct buf *in = NULL, *ct = NULL;
	const char *aad = o->aad ? o->aad : "";
	int r;

	if ((r = start(o, &in, &h, &s)) == 0 &&
	    (r = object_encrypt(s, o->label, aad, strlen(aad), buf_ptr(in),
	    buf_len(in), &ct)) == 0)
		r = write_output(o->out, buf_ptr(ct), buf_len(ct));
	return finish(r, in, ct, h, s, "key encrypt");
}

int
cmd_key_decrypt(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct buf *in = NULL;
	struct secret *pt = NULL;
	const char *aad = o->aad ? o->aad : "";
	int r;

	if ((r = start(o, &in, &h, &s)) == 0 &&
	    (r = object_decrypt(s, o->label, aad, strlen(aad), buf_ptr(in),
	    buf_len(in), &pt)) == 0)
		r = write_output(o->out, secret_ptr(pt), secret_len(pt));
	secret_free(pt);
	return finish(r, in, NULL, h, s, "key decrypt");
}

int
cmd_key_export_public(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct buf *pem = NULL;
	int r;

	if (o->label == NULL)
		return cli_usage_error(PROG, "key export-public: --label is "
		    "required");
	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) == 0 &&
	    (r = object_export_public(s, o->label, &pem)) == 0)
		r = write_output(o->out, buf_ptr(pem), buf_len(pem));
	return finish(r, NULL, pem, h, s, "key export-public");
}
