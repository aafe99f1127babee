/*
 * p11mod: a client of a real PKCS#11 module (SoftHSM2, a vendor's HSM
 * library): load it, find one token by a pkcs11: URI (lib/p11uri.h), log
 * in as CKU_USER, and move objects off and onto the token with key
 * material only ever wrapped (docs/pkcs11.md "BACKING UP A TOKEN").
 *
 * Off the token (p11mod_export): an RSA-3072 key pair made in memory
 * (OpenSSL); its public key goes onto the token as a session object
 * (CKA_TOKEN false, CKA_WRAP true); an AES-256 transport key is generated
 * on the token as a session object and wrapped under it with
 * CKM_RSA_PKCS_OAEP (SHA-256, MGF1-SHA-256; SHA-1 when the module refuses
 * SHA-256, as SoftHSM 2.6 does: OAEP's security does not rest on the
 * hash's collision resistance), opened in memory; then every extractable
 * secret and private key is wrapped with CKM_AES_KEY_WRAP_PAD under it and
 * unwrapped with OpenSSL (a private key comes out as PKCS#8). Public keys,
 * certificates and data objects are read by their attribute values.
 *
 * Onto the token (p11mod_import_begin, p11mod_import): the reverse. An
 * RSA-3072 key pair is generated on the token (session objects, CKA_UNWRAP
 * on the private key); a random AES-256 transport key made in memory is
 * encrypted under its public key with OAEP in OpenSSL and C_UnwrapKey'd
 * onto the token as a session object; every key is wrapped with
 * AES-KWP in OpenSSL and C_UnwrapKey'd under it with a template carrying
 * CKA_TOKEN true and the key's label, id, usage flags, CKA_SENSITIVE and
 * CKA_EXTRACTABLE; public keys, certificates and data objects are
 * C_CreateObject'd.
 *
 * Every session object is destroyed when the transfer ends, on success and
 * on error, and in p11mod_close(). This file alone includes the PKCS#11
 * header (<p11-kit/pkcs11.h>): its CK* names clash with lib/p11.h's, so
 * what crosses this interface are plain numbers and Coffer's attribute
 * encoding (CK_ULONG 8 bytes big-endian, CK_BBOOL one byte).
 */
#ifndef COFFER_P11MOD_H
#define COFFER_P11MOD_H

#include <stddef.h>
#include <stdint.h>

struct p11mod;
struct p11uri;
struct secret;

struct p11mod_token {
	char label[33];
	char serial[17];
	char manufacturer[33];
	char model[17];
};

/*
 * dlopen()s module, C_Initialize (CKF_OS_LOCKING_OK), finds the one token
 * u names and opens a read-write session. CE_NOT_FOUND when the module does
 * not load or no token matches (the detail lists the tokens there are),
 * CE_USAGE when several match (add serial=), CE_CRYPTO for another module
 * error (the detail names the CKR_ value).
 */
int p11mod_open(const char *module, const struct p11uri *u,
    struct p11mod **mp);

const struct p11mod_token *p11mod_token(const struct p11mod *m);

/* C_Login(CKU_USER): CE_BAD_CREDENTIAL for a wrong PIN, CE_LOCKED for a
 * locked one. */
int p11mod_login(struct p11mod *m, const struct secret *pin);

/* Destroys what this handle left on the token (session objects), logs
 * out, closes, finalizes and unloads; NULL is fine. */
void p11mod_close(struct p11mod *m);

/* One attribute in Coffer's encoding. */
struct p11mod_attr {
	uint32_t type;
	size_t len;
	uint8_t *val;
};

#define P11MOD_ATTRS_MAX 40
#define P11MOD_NONE 0xffffffffu  /* key_type of a non-key */

/*
 * An object off or onto a token. value: a secret key's bytes, a private
 * key's PKCS#8 PrivateKeyInfo DER, a certificate's or data object's
 * CKA_VALUE; NULL for a public key (its SubjectPublicKeyInfo DER is the
 * attribute 0x129, CKA_PUBLIC_KEY_INFO) and for an object that did not
 * leave. why: NULL when it left, else why it cannot (a static string).
 */
struct p11mod_obj {
	uint32_t cls;
	uint32_t key_type;
	size_t nattrs;
	struct p11mod_attr attrs[P11MOD_ATTRS_MAX];
	struct secret *value;
	const char *why;
	char why_buf[96];
};

/* The attribute of o of that type, or NULL. */
const struct p11mod_attr *p11mod_obj_attr(const struct p11mod_obj *o,
    uint32_t type);
/* Adds (copies) an attribute; CE_FULL past P11MOD_ATTRS_MAX. */
int p11mod_obj_set(struct p11mod_obj *o, uint32_t type, const void *p,
    size_t len);
/* Frees o's attributes and value and zeroes it. */
void p11mod_obj_clear(struct p11mod_obj *o);

/* Called per token object; o is cleared after the call. A non-zero
 * return stops the walk and is returned. */
typedef int p11mod_obj_fn(void *ctx, struct p11mod_obj *o);

/*
 * Sets up the transport (above), then hands every token object
 * (CKA_TOKEN true) to fn: exported, or with why set. The session objects
 * are destroyed before it returns. desc (may be NULL, 64 bytes) gets the
 * transport used, e.g. "RSA-3072 OAEP SHA-256, AES-256 KWP".
 */
int p11mod_export(struct p11mod *m, p11mod_obj_fn *fn, void *ctx,
    char *desc, size_t desclen);

/* Sets up the transport onto the token (above). */
int p11mod_import_begin(struct p11mod *m, char *desc, size_t desclen);

/*
 * Puts o on the token as a token object (a private key also gets its
 * public key object from CKA_PUBLIC_KEY_INFO). CE_UNSUPPORTED (detail
 * says why) for what the token refuses.
 */
int p11mod_import(struct p11mod *m, const struct p11mod_obj *o);

/* 1 when the token holds an object of class cls labelled label. */
int p11mod_has_label(struct p11mod *m, uint32_t cls, const char *label);

/*
 * Ends an import: destroys the transport objects and, with undo set,
 * every object p11mod_import() created (a failed restore leaves the
 * token as it was).
 */
void p11mod_import_end(struct p11mod *m, int undo);

#endif
