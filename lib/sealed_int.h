/*
 * sealed_int: what the two halves of lib/sealed share (header and keys in
 * sealed_hdr.c, chunks in sealed.c), and the deterministic writer entry for
 * the known-answer tests of docs/formats.md 6.7. Not for other modules.
 */
#ifndef COFFER_SEALED_INT_H
#define COFFER_SEALED_INT_H

#include "crypto.h"
#include "sealed.h"

/* The stream key's subkeys: chunk AEAD key and header MAC key. */
struct sealed_keys {
	uint8_t chunk[CC_KEY_LEN];
	uint8_t header[SEALED_MAC_LEN];
};

/* Derives the subkeys from the stream key. */
int sealed_subkeys(const uint8_t sk[CC_KEY_LEN],
    const uint8_t stream_id[SEALED_ID_LEN], struct sealed_keys *kp);

/*
 * Fills h's wraps: Argon2id(password, h->salt, h->kdf_profile) and one
 * AES-256-GCM wrap of sk per domain. h's id, profile and salt are set.
 */
int sealed_wrap(struct sealed_header *h, const struct secret *password,
    const struct xfer_domain *doms, size_t ndoms, const uint8_t sk[CC_KEY_LEN]);

/* Unwraps sk from h with the password and the first domain that opens. */
int sealed_unwrap(const struct sealed_header *h, const struct secret *password,
    const struct xfer_domain *doms, size_t ndoms, uint8_t sk[CC_KEY_LEN],
    size_t *domp);

/* Header MAC over the header's fields and SHA-384(ad). */
int sealed_header_mac(const struct sealed_header *h,
    const uint8_t key[SEALED_MAC_LEN], const void *ad, size_t adlen,
    uint8_t mac[SEALED_MAC_LEN]);

/* Encodes h (mac included) with its checksum into out. */
int sealed_header_encode(const struct sealed_header *h, struct buf *out);

/* sealed_writer_new with the version and random values given (tests). */
int sealed_writer_new_kat(int version, const struct secret *password,
    int kdf_profile,
    const struct xfer_domain *doms, size_t ndoms, struct chan *out,
    const uint8_t stream_id[SEALED_ID_LEN], const uint8_t sk[CC_KEY_LEN],
    const uint8_t salt[SEALED_SALT_LEN], struct sealed_writer **wp);

#endif
