#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "hsm_int.h"
#include "object_int.h"
#include "p11.h"
#include "secret.h"
#include "store.h"

/* Sets CKA_EC_PARAMS for a 256- or 384-bit curve. */
static int
set_curve(struct object *o, unsigned bits)
{
	const uint8_t *oid;
	size_t len;

	if (p11_ec_params(bits, &oid, &len) != 0)
		return CE_INVALID;
	return object_set_attr(o, CKA_EC_PARAMS, oid, len);
}

/*
 * The attributes of a key of kind/bits, value not set; CKA_ID when ckaid.
 * ko (NULL: the defaults) may make it extractable and set the wrapping
 * attributes; CKA_NEVER_EXTRACTABLE and CKA_ALWAYS_SENSITIVE are PKCS#11
 * v2.40's: true only for a key made here (local) and never extractable.
 */
static int
key_template(int kind, unsigned bits, const char *label, int local,
    const uint8_t *ckaid, size_t ckaidlen, const struct object_key_opts *ko,
    struct object **op)
{
	static const struct object_key_opts none;
	struct object *o;
	uint32_t cls = kind == OBJ_AES || kind == OBJ_GENERIC ? CKO_SECRET_KEY :
	    CKO_PRIVATE_KEY;
	uint32_t kt = kind == OBJ_AES ? CKK_AES : kind == OBJ_GENERIC ?
	    CKK_GENERIC_SECRET : kind == OBJ_RSA ? CKK_RSA : CKK_EC;
	int r;

	if (ko == NULL)
		ko = &none;
	if (label == NULL || strlen(label) == 0 ||
	    strlen(label) > OBJECT_LABEL_MAX) {
		err_set_detail("object label must be 1 to %d bytes",
		    OBJECT_LABEL_MAX);
		return CE_INVALID;
	}
	if (ckaid != NULL && (ckaidlen == 0 || ckaidlen > OBJECT_ID_MAX)) {
		err_set_detail("CKA_ID must be 1 to %d bytes", OBJECT_ID_MAX);
		return CE_INVALID;
	}
	if ((o = object_new()) == NULL)
		return CE_NOMEM;
	if ((r = object_set_ulong(o, CKA_CLASS, cls)) != 0 ||
	    (r = object_set_bool(o, CKA_TOKEN, 1)) != 0 ||
	    (r = object_set_bool(o, CKA_PRIVATE, 1)) != 0 ||
	    (r = object_set_attr(o, CKA_LABEL, label, strlen(label))) != 0 ||
	    (r = object_set_bool(o, CKA_MODIFIABLE, 1)) != 0 ||
	    (r = object_set_ulong(o, CKA_KEY_TYPE, kt)) != 0 ||
	    (r = object_set_bool(o, CKA_SENSITIVE, 1)) != 0 ||
	    (r = object_set_bool(o, CKA_EXTRACTABLE, ko->extractable)) != 0 ||
	    (r = object_set_bool(o, CKA_LOCAL, local)) != 0 ||
	    (r = object_set_bool(o, CKA_ALWAYS_SENSITIVE, local)) != 0 ||
	    (r = object_set_bool(o, CKA_NEVER_EXTRACTABLE,
	    local && !ko->extractable)) != 0 ||
	    (r = object_set_bool(o, CKA_DERIVE, 0)) != 0)
		goto out;
	if ((ko->wrap_with_trusted && (r = object_set_bool(o,
	    CKA_WRAP_WITH_TRUSTED, 1)) != 0) ||
	    (ko->trusted && (r = object_set_bool(o, CKA_TRUSTED, 1)) != 0))
		goto out;
	if (ckaid != NULL &&
	    (r = object_set_attr(o, CKA_ID, ckaid, ckaidlen)) != 0)
		goto out;
	switch (kind) {
	case OBJ_AES:
		if ((r = object_set_ulong(o, CKA_VALUE_LEN, bits / 8)) != 0 ||
		    (r = object_set_bool(o, CKA_ENCRYPT, 1)) != 0 ||
		    (r = object_set_bool(o, CKA_DECRYPT, 1)) != 0 ||
		    (r = object_set_bool(o, CKA_WRAP, 1)) != 0 ||
		    (r = object_set_bool(o, CKA_UNWRAP, 1)) != 0)
			goto out;
		break;
	case OBJ_GENERIC:
		if ((r = object_set_ulong(o, CKA_VALUE_LEN, bits / 8)) != 0 ||
		    (r = object_set_bool(o, CKA_SIGN, 1)) != 0 ||
		    (r = object_set_bool(o, CKA_VERIFY, 1)) != 0)
			goto out;
		break;
	case OBJ_RSA:
		if ((r = object_set_ulong(o, CKA_MODULUS_BITS, bits)) != 0 ||
		    (r = object_set_bool(o, CKA_SIGN, 1)) != 0 ||
		    (r = object_set_bool(o, CKA_DECRYPT, 1)) != 0)
			goto out;
		break;
	case OBJ_EC:
		if ((r = set_curve(o, bits)) != 0 ||
		    (r = object_set_bool(o, CKA_SIGN, 1)) != 0)
			goto out;
		break;
	default:
		r = CE_INVALID;
		goto out;
	}
	*op = o;
	o = NULL;
 out:
	object_free(o);
	return r;
}

/* Sets the value (PKCS#8 DER) and public key info of a private key. */
static int
fill_from_pkey(struct object *o, EVP_PKEY *pk)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *spki = NULL, *w;
	int r = CE_CRYPTO, n, slen;

	if ((slen = i2d_PUBKEY(pk, &spki)) <= 0)
		goto out;
	if ((r = object_set_attr(o, CKA_PUBLIC_KEY_INFO, spki,
	    (size_t)slen)) != 0)
		goto out;
	r = CE_CRYPTO;
	if ((p8 = EVP_PKEY2PKCS8(pk)) == NULL ||
	    (n = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL)) <= 0)
		goto out;
	secret_free(o->value);
	if ((o->value = secret_new((size_t)n)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	w = secret_ptr(o->value);
	if (i2d_PKCS8_PRIV_KEY_INFO(p8, &w) != n)
		goto out;
	r = 0;
 out:
	OPENSSL_free(spki);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return r;
}

/* Generates the key material of o. */
static int
generate_value(struct object *o, int kind, unsigned bits)
{
	EVP_PKEY *pk = NULL;
	int r;

	if (kind == OBJ_AES || kind == OBJ_GENERIC) {
		/* Bulk generation refills one guarded buffer: a fresh
		 * sodium_malloc per key costs an mmap and two mprotects. */
		if (o->value != NULL && secret_len(o->value) != bits / 8) {
			secret_free(o->value);
			o->value = NULL;
		}
		if (o->value == NULL && (o->value = secret_new(bits / 8)) == NULL)
			return CE_NOMEM;
		cc_random(secret_ptr(o->value), bits / 8);
		return 0;
	}
	if (kind == OBJ_RSA)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
		    bits == 384 ? "P-384" : "P-256");
	if (pk == NULL)
		return CE_CRYPTO;
	r = fill_from_pkey(o, pk);
	EVP_PKEY_free(pk);
	return r;
}

int
object_generate(struct session *s, int kind, unsigned bits,
    const char *label, uint64_t *idp)
{
	return object_generate_id(s, kind, bits, label, NULL, 0, idp);
}

int
object_generate_id(struct session *s, int kind, unsigned bits,
    const char *label, const uint8_t *ckaid, size_t ckaidlen, uint64_t *idp)
{
	return object_generate_opts(s, kind, bits, label, ckaid, ckaidlen, NULL,
	    idp);
}

int
object_generate_opts(struct session *s, int kind, unsigned bits,
    const char *label, const uint8_t *ckaid, size_t ckaidlen,
    const struct object_key_opts *ko, uint64_t *idp)
{
	struct object *o = NULL;
	int r;

	if ((r = object_bits_check(kind, &bits)) != 0)
		return r;
	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->role != ROLE_CO) {
		err_set_detail("only the Crypto Officer creates keys");
		return CE_PERMISSION;
	}
	if ((r = key_template(kind, bits, label, 1, ckaid, ckaidlen, ko,
	    &o)) != 0 ||
	    (r = generate_value(o, kind, bits)) != 0 ||
	    (r = object_meta(o)) != 0)
		goto out;
	r = object_store(s, o, idp);
 out:
	object_free(o);
	return r;
}

int
object_generate_bulk(struct session *s, int kind, unsigned bits,
    const char *prefix, uint64_t first_n, uint64_t count,
    void (*progress)(void *ctx, uint64_t done), void *ctx)
{
	struct object *o = NULL;
	struct buf *scratch = NULL;
	struct cc_aead *k = NULL;
	struct audit_event ev;
	char label[OBJECT_LABEL_MAX + 1], detail[96];
	uint64_t i, id, add, total = 0;
	int r, own = 0;

	if ((r = object_bits_check(kind, &bits)) != 0 ||
	    (r = object_require_user(s)) != 0)
		return r;
	if (s->role != ROLE_CO) {
		err_set_detail("only the Crypto Officer creates keys");
		return CE_PERMISSION;
	}
	if (strlen(prefix) + 22 > OBJECT_LABEL_MAX) {
		err_set_detail("label prefix too long");
		return CE_INVALID;
	}
	/* The numbers must not wrap around: first + count - 1 fits. */
	if (count == 0 || first_n == 0 || first_n - 1 > UINT64_MAX - count) {
		err_set_detail("--first %llu with --count %llu runs past the "
		    "largest number (%llu)", (unsigned long long)first_n,
		    (unsigned long long)count, (unsigned long long)UINT64_MAX);
		return CE_INVALID;
	}
	if ((scratch = buf_new(OBJECT_RECORD_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = key_template(kind, bits, prefix, 1, NULL, 0, NULL, &o)) != 0)
		goto out;
	if ((r = hsm_tx_enter(s->h, &own)) != 0)
		goto out;
	if ((r = object_next_id(s->h, &id)) != 0 ||
	    (r = object_psk_aead(s, &k)) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		snprintf(label, sizeof(label), "%s-%llu", prefix,
		    (unsigned long long)(first_n + i));
		if ((r = object_set_attr(o, CKA_LABEL, label,
		    strlen(label))) != 0)
			goto out;
		if (kind == OBJ_RSA || kind == OBJ_EC) {
			secret_free(o->value);
			o->value = NULL;
		}
		if ((r = generate_value(o, kind, bits)) != 0 ||
		    (r = object_meta(o)) != 0 ||
		    (r = object_insert_tx(s, k, o, secret_ptr(o->value),
		    secret_len(o->value), &id, &add, scratch)) != 0)
			goto out;
		total += add;
		if (progress != NULL && (i + 1) % 1024 == 0)
			progress(ctx, i + 1);
	}
	/* One capacity check for the lot: refused as a whole. */
	if ((r = object_account_tx(s, (int64_t)total, (int64_t)count)) != 0)
		goto out;
	hsm_event(&ev, "key-create", 1);
	ev.role = role_name(s->role);
	ev.partition = s->label;
	ev.serial = s->serial;
	snprintf(detail, sizeof(detail), "bulk %s %u labelled %s-N",
	    p11_key_type_name(o->key_type), bits, prefix);
	ev.detail = detail;
	ev.count = (int64_t)count;
	if ((r = hsm_audit_tx(s->h, &ev)) != 0)
		goto out;
	if (progress != NULL)
		progress(ctx, count);
 out:
	cc_aead_free(k);
	object_free(o);
	buf_free(scratch);
	return hsm_tx_leave(s->h, own, r, 0);
}

int
objgen_fill_private(struct object *o, const void *p, size_t len)
{
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	const unsigned char *dp = p;
	int r = CE_FORMAT, id;

	if (len > INT32_MAX)
		return CE_TOO_LONG;
	if ((pk = d2i_AutoPrivateKey(NULL, &dp, (long)len)) == NULL) {
		if ((bio = BIO_new_mem_buf(p, (int)len)) == NULL ||
		    (pk = PEM_read_bio_PrivateKey(bio, NULL, NULL,
		    (void *)"")) == NULL) {
			err_set_detail("not a private key (PKCS#8 DER or "
			    "unencrypted PEM)");
			goto out;
		}
	}
	id = EVP_PKEY_get_base_id(pk);
	if ((o->key_type == CKK_RSA && id != EVP_PKEY_RSA) ||
	    (o->key_type == CKK_EC && id != EVP_PKEY_EC)) {
		err_set_detail("the key file holds a different key type");
		goto out;
	}
	if (o->key_type == CKK_RSA) {
		int b = EVP_PKEY_get_bits(pk);

		if (b != 2048 && b != 3072 && b != 4096) {
			err_set_detail("RSA keys are 2048, 3072 or 4096 bits");
			r = CE_INVALID;
			goto out;
		}
		if ((r = object_set_ulong(o, CKA_MODULUS_BITS,
		    (uint64_t)b)) != 0)
			goto out;
	} else {
		char group[32];
		size_t gl = 0;

		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &gl) != 1 ||
		    (strcmp(group, "prime256v1") != 0 &&
		    strcmp(group, "secp384r1") != 0)) {
			err_set_detail("EC keys must be on P-256 or P-384");
			r = CE_INVALID;
			goto out;
		}
		if ((r = set_curve(o, strcmp(group, "secp384r1") == 0 ?
		    384 : 256)) != 0)
			goto out;
	}
	r = fill_from_pkey(o, pk);
 out:
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return r;
}

int
object_set_private(struct object *o, const void *p, size_t len)
{
	return objgen_fill_private(o, p, len);
}

int
object_import_key(struct session *s, int kind, const char *label,
    const struct secret *value)
{
	return object_import_key_id(s, kind, label, NULL, 0, value);
}

int
object_import_key_id(struct session *s, int kind, const char *label,
    const uint8_t *ckaid, size_t ckaidlen, const struct secret *value)
{
	return object_import_key_opts(s, kind, label, ckaid, ckaidlen, value,
	    NULL, NULL);
}

int
object_import_key_opts(struct session *s, int kind, const char *label,
    const uint8_t *ckaid, size_t ckaidlen, const struct secret *value,
    const struct object_key_opts *ko, uint64_t *idp)
{
	struct object *o = NULL;
	unsigned bits = 0;
	int r;

	if ((r = object_require_user(s)) != 0)
		return r;
	if (s->role != ROLE_CO) {
		err_set_detail("only the Crypto Officer imports keys");
		return CE_PERMISSION;
	}
	if (kind == OBJ_AES || kind == OBJ_GENERIC) {
		bits = (unsigned)secret_len(value) * 8;
		if ((r = object_bits_check(kind, &bits)) != 0)
			return r;
	} else if (kind == OBJ_RSA || kind == OBJ_EC)
		bits = kind == OBJ_RSA ? 2048 : 256; /* replaced from the key */
	else
		return CE_INVALID;
	if ((r = key_template(kind, bits, label, 0, ckaid, ckaidlen, ko,
	    &o)) != 0)
		goto out;
	if (kind == OBJ_AES || kind == OBJ_GENERIC) {
		if ((o->value = secret_dup(value)) == NULL) {
			r = CE_NOMEM;
			goto out;
		}
	} else if ((r = objgen_fill_private(o, secret_ptr(value),
	    secret_len(value))) != 0)
		goto out;
	if ((r = object_meta(o)) != 0)
		goto out;
	r = object_store(s, o, idp);
 out:
	object_free(o);
	return r;
}
