/*
 * crypto: thin wrappers over OpenSSL 3 EVP for the algorithms Coffer uses,
 * all FIPS-approved: AES-256-GCM, SHA-384, HMAC-SHA-384, HKDF-SHA-384,
 * ECDH on P-384. Randomness comes from libsodium.
 *
 * The prefix is cc_ ("coffer crypto") because libsodium owns crypto_*.
 * Every function returns 0 or a CE_* code; a failed GCM tag is CE_AUTH_TAG.
 */
#ifndef COFFER_CRYPTO_H
#define COFFER_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CC_KEY_LEN 32       /* AES-256 */
#define CC_NONCE_LEN 12     /* GCM IV */
#define CC_TAG_LEN 16       /* GCM tag */
#define CC_HASH_LEN 48      /* SHA-384 */
#define CC_EC_PUB_LEN 97    /* P-384 uncompressed point */
#define CC_EC_SHARED_LEN 48 /* P-384 x-coordinate */

/* Fills p with n bytes from the CSPRNG. */
void cc_random(void *p, size_t n);

/* A fresh random GCM nonce (from a buffered CSPRNG stream; not for keys). */
void cc_nonce(uint8_t nonce[CC_NONCE_LEN]);

/* Returns 1 when a and b hold equal n bytes; constant time. */
int cc_memeq(const void *a, const void *b, size_t n);

/* SHA-384 of one buffer. */
int cc_sha384(const void *p, size_t n, uint8_t out[CC_HASH_LEN]);

/* Incremental SHA-384 (transcripts). */
struct cc_hash;
int cc_hash_new(struct cc_hash **hp);
int cc_hash_update(struct cc_hash *h, const void *p, size_t n);
/* Writes the digest of everything so far; h stays usable. */
int cc_hash_peek(const struct cc_hash *h, uint8_t out[CC_HASH_LEN]);
void cc_hash_free(struct cc_hash *h);

/* HMAC-SHA-384. */
int cc_hmac_sha384(const void *key, size_t klen, const void *p, size_t n,
    uint8_t out[CC_HASH_LEN]);

/* HKDF-SHA-384 (RFC 5869) extract and expand into out[0..outlen). */
int cc_hkdf_sha384(const void *salt, size_t slen, const void *ikm, size_t ilen,
    const void *info, size_t infolen, uint8_t *out, size_t outlen);

/*
 * AES-256-GCM. seal writes ptlen bytes of ciphertext to ct and the tag to
 * tag; open checks the tag before it reports success (CE_AUTH_TAG if not)
 * and wipes pt on failure. ct and pt may be the same buffer.
 */
int cc_aead_seal(const uint8_t key[CC_KEY_LEN], const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *pt, size_t ptlen,
    uint8_t *ct, uint8_t tag[CC_TAG_LEN]);
int cc_aead_open(const uint8_t key[CC_KEY_LEN], const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *ct, size_t ctlen,
    const uint8_t tag[CC_TAG_LEN], uint8_t *pt);

/*
 * The same with a key set up once for many operations (a backup or restore
 * opens every object of a partition under one key): the key schedule is
 * kept in the context until cc_aead_free, which wipes it. Each call still
 * takes its own nonce; a nonce must never repeat under one key.
 */
struct cc_aead;
int cc_aead_new(const uint8_t key[CC_KEY_LEN], struct cc_aead **ap);
int cc_aead_seal_k(struct cc_aead *a, const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *pt, size_t ptlen,
    uint8_t *ct, uint8_t tag[CC_TAG_LEN]);
int cc_aead_open_k(struct cc_aead *a, const uint8_t nonce[CC_NONCE_LEN],
    const void *aad, size_t aadlen, const void *ct, size_t ctlen,
    const uint8_t tag[CC_TAG_LEN], uint8_t *pt);
void cc_aead_free(struct cc_aead *a);

/*
 * AES key wrap with padding (RFC 5649; PKCS#11's CKM_AES_KEY_WRAP_PAD)
 * under a 16-, 24- or 32-byte kek: enc 1 wraps the len bytes of in, enc 0
 * unwraps them. out has room for CC_KWP_LEN(len) bytes (len padded to
 * whole 8-byte blocks, plus the integrity block); *outlenp gets what was
 * written. CE_INVALID for another kek size, CE_AUTH_TAG when an unwrap
 * fails its integrity check (out is then wiped).
 */
#define CC_KWP_BLOCK 8
#define CC_KWP_LEN(n) \
	(((n) + CC_KWP_BLOCK - 1) / CC_KWP_BLOCK * CC_KWP_BLOCK + CC_KWP_BLOCK)
int cc_kwp(int enc, const uint8_t *kek, size_t keklen, const uint8_t *in,
    size_t len, uint8_t *out, size_t *outlenp);

/* Ephemeral ECDH P-384 key pair. */
struct cc_ecdh;
int cc_ecdh_new(struct cc_ecdh **kp);
/* Writes the uncompressed public point. */
int cc_ecdh_public(const struct cc_ecdh *k, uint8_t pub[CC_EC_PUB_LEN]);
/* Derives the shared secret with a peer point; refuses invalid points. */
int cc_ecdh_derive(const struct cc_ecdh *k, const uint8_t peer[CC_EC_PUB_LEN],
    uint8_t shared[CC_EC_SHARED_LEN]);
void cc_ecdh_free(struct cc_ecdh *k);
/* Builds a key pair from a known private scalar (for known-answer tests). */
int cc_ecdh_from_private(const uint8_t priv[48], struct cc_ecdh **kp);

/* X25519 (RFC 7748): keys at rest sealed to a public key (lib/wrap.h). */
#define CC_X25519_LEN 32
/* The public key of private key sk. */
int cc_x25519_public(const uint8_t sk[CC_X25519_LEN],
    uint8_t pk[CC_X25519_LEN]);
/* The shared secret of sk and pk; CE_CRYPTO for a low-order pk. */
int cc_x25519(const uint8_t sk[CC_X25519_LEN], const uint8_t pk[CC_X25519_LEN],
    uint8_t shared[CC_X25519_LEN]);

#endif
