/*
 * wrap: sealing keys and values at rest in the emulated HSM.
 *
 * A wrap is version(1) | nonce(12) | AES-256-GCM ciphertext | tag(16). The
 * associated data names what the wrap is for and whose it is (a purpose
 * string, the partition serial and a number such as the role or object id),
 * so a wrap copied to another row, role or partition fails to open.
 * A credential becomes a key-encryption key with Argon2id under the profile
 * and salt stored beside the wrap.
 */
#ifndef COFFER_WRAP_H
#define COFFER_WRAP_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "kdf.h"

struct buf;
struct secret;

#define WRAP_VERSION 1
#define WRAP_OVERHEAD (1 + CC_NONCE_LEN + CC_TAG_LEN)

/* Purposes bound into the associated data. */
#define WRAP_PSK "psk"          /* PSK under a role credential */
#define WRAP_DSK_ROLE "dsk"     /* DSK under a role credential (the PO) */
#define WRAP_DSK_PSK "dsk-psk"  /* DSK under the PSK */
#define WRAP_DOMAIN "domain"    /* a domain key under the DSK */
#define WRAP_OBJECT "object"    /* an object value under the PSK */
#define WRAP_SMK "smk"          /* a V1 partition's SKS master key under the PSK */
#define WRAP_ACTIVATION "activation" /* a PED role secret under a challenge (read only) */
#define WRAP_ACTIVATION_KEYS "activation-keys" /* a CO/CU's key-use cache under a challenge */
#define WRAP_AUDIT_EPOCH "audit-epoch" /* an audit chain's start key under the SO */
#define WRAP_ROLE_KEY "role-key" /* a role's X25519 private key under its KEK */
#define WRAP_PSK_PUB "psk-pub"  /* the PSK sealed to a role's public key */
#define WRAP_PSK_PREV "psk-prev" /* V1, mid-rekey: the old PSK under the new */

/* A wrap sealed to a public key: ephemeral public key, then a wrap. */
#define WRAP_PUB_OVERHEAD (CC_X25519_LEN + WRAP_OVERHEAD)

/*
 * Seals pt under key into *outp (a new buffer). The AAD is
 * "coffer-wrap-v1" 0x00 purpose 0x00 u64(serial) u64(sub) extra.
 */
int wrap_seal(const uint8_t key[CC_KEY_LEN], const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *pt, size_t ptlen, struct buf **outp);

/* Same, but appends to an existing buffer (bulk paths reuse one buffer). */
int wrap_seal_to(struct buf *out, const uint8_t key[CC_KEY_LEN],
    const char *purpose, uint64_t serial, uint64_t sub, const void *extra,
    size_t extralen, const void *pt, size_t ptlen);

/* Same under a keyed context made once for many seals (cc_aead_new). */
struct cc_aead;
int wrap_seal_k(struct buf *out, struct cc_aead *k, const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *pt, size_t ptlen);

/*
 * Opens a wrap into a new secret *ptp. CE_AUTH_TAG when the key is wrong or
 * anything (blob, purpose, serial, sub, extra) differs; CE_VERSION/CE_FORMAT
 * for a malformed blob.
 */
int wrap_open(const uint8_t key[CC_KEY_LEN], const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *blob, size_t bloblen, struct secret **ptp);

/*
 * Same, into out (bloblen - WRAP_OVERHEAD bytes, caller-owned and wiped by
 * the caller): the bulk read paths use it to avoid a guarded allocation per
 * object. out is wiped on failure.
 */
int wrap_open_to(const uint8_t key[CC_KEY_LEN], const char *purpose,
    uint64_t serial, uint64_t sub, const void *extra, size_t extralen,
    const void *blob, size_t bloblen, uint8_t *out);

/* Same under a keyed context made once for a whole walk (cc_aead_new). */
int wrap_open_k(struct cc_aead *k, const char *purpose, uint64_t serial,
    uint64_t sub, const void *extra, size_t extralen, const void *blob,
    size_t bloblen, uint8_t *out);

/*
 * Seals pt to the X25519 public key pub: a fresh ephemeral key e, then
 * K = HKDF-SHA-384(salt empty, IKM X25519(e, pub), info
 * "coffer-wrap-pub 1" | e.pub | pub, L 32) and out = e.pub | wrap_seal(K,
 * purpose, serial, sub, no extra, pt). Anyone may seal; only the holder of
 * the private key opens (docs/formats.md 2.2).
 */
int wrap_seal_pub(const uint8_t pub[CC_X25519_LEN], const char *purpose,
    uint64_t serial, uint64_t sub, const void *pt, size_t ptlen,
    struct buf **outp);

/* Opens a wrap_seal_pub() blob with private key sk (public key pub). */
int wrap_open_pub(const uint8_t sk[CC_X25519_LEN],
    const uint8_t pub[CC_X25519_LEN], const char *purpose, uint64_t serial,
    uint64_t sub, const void *blob, size_t bloblen, struct secret **ptp);

/* Derives a 32-byte key-encryption key from a credential (Argon2id). */
int wrap_kek(const struct secret *cred, int kdf, const uint8_t salt[KDF_SALT_LEN],
    struct secret **kekp);

#endif
