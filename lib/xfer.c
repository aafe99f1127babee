/*
 * The transfer protocol session: handshake, sealed frames, records, commit.
 * docs/formats.md section 5 is the specification; the names here follow it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "chan.h"
#include "crypto.h"
#include "err.h"
#include "secret.h"
#include "xfer.h"
#include "xfer_frame.h"
#include "xfer_kat.h"

#define DIR_I2R 1
#define DIR_R2I 2
#define AAD_LEN 10 /* direction, sequence, frame type */

/* Key schedule layout (HKDF output). */
#define KS_I2R 0
#define KS_R2I 32
#define KS_FIN_I 64
#define KS_FIN_R 112
#define KS_LEN 160

static const char proof_label[] = "coffer xfer v2 proof";
static const char keys_label[] = "coffer xfer v2 keys";

enum state {
	XS_REQUEST = 1, /* PULL: the request is next */
	XS_RECORDS,     /* records flow */
	XS_DONE,
	XS_FAILED,
};

struct xfer {
	struct chan *c;
	int initiator, mode, state, err, peer_refused;
	struct cc_hash *th;       /* transcript: every frame, both directions */
	uint8_t th_commit[CC_HASH_LEN]; /* transcript before the last COMMIT in */
	struct secret *ks;        /* key schedule output, KS_LEN bytes */
	uint64_t seq_send, seq_recv;
	struct buf *rx, *tx, *pt; /* frame in, frame out, plaintext */
	uint64_t nrec, nframes;
	const char *label;
	uint64_t peer_serial;     /* from the peer's HELLO */
};

static int
is_sender(const struct xfer *x)
{
	return (x->mode == XFER_PUSH) == x->initiator;
}

static int
xfer_new(struct chan *c, int initiator, struct xfer **xp)
{
	struct xfer *x;
	int r;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return CE_NOMEM;
	x->c = c;
	x->initiator = initiator;
	if ((r = cc_hash_new(&x->th)) != 0)
		goto out;
	r = CE_NOMEM;
	/* Sealed frames add at most a TLV header and a tag to a payload. */
	if ((x->rx = buf_new(XF_HEADER_LEN + XFER_FRAME_MAX)) == NULL ||
	    (x->tx = buf_new(XF_HEADER_LEN + XFER_FRAME_MAX)) == NULL ||
	    (x->pt = buf_new(XFER_FRAME_MAX)) == NULL)
		goto out;
	*xp = x;
	x = NULL;
	r = 0;
 out:
	xfer_free(x);
	return r;
}

void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	cc_hash_free(x->th);
	secret_free(x->ks);
	buf_free(x->rx);
	buf_free(x->tx);
	buf_free(x->pt);
	sodium_memzero(x, sizeof(*x));
	free(x);
}

/*
 * Adds a frame body to the transcript. A sealed frame's body enters as its
 * BOX TLV header and its tag: the tag already authenticates the ciphertext
 * under the session key, and hashing every byte again would cost four
 * times the encryption. A body too short to be sealed enters whole (it is
 * refused right after).
 */
static int
hash_body(struct xfer *x, uint8_t type, const uint8_t *p, size_t n)
{
	int r;

	if (type < XF_REQUEST || n < 6 + CC_TAG_LEN)
		return cc_hash_update(x->th, p, n);
	if ((r = cc_hash_update(x->th, p, 6)) != 0)
		return r;
	return cc_hash_update(x->th, p + n - CC_TAG_LEN, CC_TAG_LEN);
}

/* Sends the frame in x->tx (header included) and adds it to the transcript. */
static int
send_tx(struct xfer *x)
{
	const uint8_t *p = buf_ptr(x->tx);
	size_t n = buf_len(x->tx);
	int r;

	if ((r = cc_hash_update(x->th, p, XF_HEADER_LEN)) != 0 ||
	    (r = hash_body(x, p[4], p + XF_HEADER_LEN, n - XF_HEADER_LEN)) != 0 ||
	    (r = chan_send(x->c, p, n)) != 0)
		return r;
	x->nframes++;
	return 0;
}

/* Sends a plaintext frame of the given type and body. */
static int
send_plain(struct xfer *x, uint8_t type, const struct buf *body)
{
	size_t n = body == NULL ? 0 : buf_len(body);
	int r;

	buf_reset(x->tx);
	if ((r = buf_put_u32(x->tx, (uint32_t)(1 + n))) != 0 ||
	    (r = buf_put_u8(x->tx, type)) != 0 ||
	    (n > 0 && (r = buf_put(x->tx, buf_ptr(body), n)) != 0))
		return r;
	return send_tx(x);
}

/* The nonce is the sequence number; the AAD binds direction and type too. */
static void
seal_params(int dir, uint64_t seq, uint8_t type, uint8_t nonce[CC_NONCE_LEN],
    uint8_t aad[AAD_LEN])
{
	int i;

	memset(nonce, 0, CC_NONCE_LEN);
	aad[0] = (uint8_t)dir;
	for (i = 0; i < 8; i++) {
		nonce[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
		aad[1 + i] = nonce[4 + i];
	}
	aad[9] = type;
}

static const uint8_t *
send_key(const struct xfer *x)
{
	return secret_ptr(x->ks) + (x->initiator ? KS_I2R : KS_R2I);
}

static const uint8_t *
recv_key(const struct xfer *x)
{
	return secret_ptr(x->ks) + (x->initiator ? KS_R2I : KS_I2R);
}

/* Sends x->pt as the payload of a sealed frame. */
static int
send_sealed(struct xfer *x, uint8_t type)
{
	uint8_t nonce[CC_NONCE_LEN], aad[AAD_LEN], *ct;
	size_t n = buf_len(x->pt);
	int r;

	if (x->seq_send == UINT64_MAX)
		return CE_PROTOCOL;
	seal_params(x->initiator ? DIR_I2R : DIR_R2I, x->seq_send, type, nonce,
	    aad);
	buf_reset(x->tx);
	if ((r = buf_put_u32(x->tx, (uint32_t)(1 + 6 + n + CC_TAG_LEN))) != 0 ||
	    (r = buf_put_u8(x->tx, type)) != 0 ||
	    (r = buf_put_u16(x->tx, XT_BOX)) != 0 ||
	    (r = buf_put_u32(x->tx, (uint32_t)(n + CC_TAG_LEN))) != 0 ||
	    (r = buf_reserve(x->tx, n + CC_TAG_LEN, &ct)) != 0 ||
	    (r = cc_aead_seal(send_key(x), nonce, aad, sizeof(aad),
	    buf_ptr(x->pt), n, ct, ct + n)) != 0)
		return r;
	x->seq_send++;
	return send_tx(x);
}

/*
 * Receives one frame into x->rx (body unread) and adds it to the transcript.
 * The transcript before an incoming COMMIT is kept for its check.
 */
static int
recv_frame(struct xfer *x, uint8_t *typep)
{
	uint8_t *p;
	uint32_t len;
	int r;

	buf_reset(x->rx);
	if ((r = buf_reserve(x->rx, XF_HEADER_LEN, &p)) != 0 ||
	    (r = chan_recv(x->c, p, XF_HEADER_LEN)) != 0)
		return r;
	if (p[4] == XF_COMMIT)
		if ((r = cc_hash_peek(x->th, x->th_commit)) != 0)
			return r;
	if ((r = cc_hash_update(x->th, p, XF_HEADER_LEN)) != 0 ||
	    (r = xf_header_get(x->rx, &len, typep)) != 0 ||
	    (r = buf_reserve(x->rx, len - 1, &p)) != 0)
		return r;
	if ((r = chan_recv(x->c, p, len - 1)) != 0)
		return r == CE_PEER_CLOSED ? CE_TRUNCATED : r;
	if ((r = hash_body(x, *typep, p, len - 1)) != 0)
		return r;
	x->nframes++;
	return 0;
}

/* Opens the sealed frame in x->rx into x->pt. */
static int
open_sealed(struct xfer *x, uint8_t type)
{
	uint8_t nonce[CC_NONCE_LEN], aad[AAD_LEN], *pt;
	const uint8_t *ct;
	size_t n;
	int r;

	if ((r = xf_box_get(x->rx, &ct, &n)) != 0)
		return r;
	n -= CC_TAG_LEN;
	seal_params(x->initiator ? DIR_R2I : DIR_I2R, x->seq_recv, type, nonce,
	    aad);
	buf_reset(x->pt);
	if ((r = buf_reserve(x->pt, n, &pt)) != 0)
		return r;
	if ((r = cc_aead_open(recv_key(x), nonce, aad, sizeof(aad), ct, n,
	    ct + n, pt)) != 0) {
		buf_reset(x->pt);
		err_set_detail("a sealed frame failed authentication "
		    "(altered, replayed, reordered or dropped on the way)");
		return r;
	}
	x->seq_recv++;
	return 0;
}

/* Receives the next sealed frame, opened into x->pt. */
static int
recv_sealed(struct xfer *x, uint8_t *typep)
{
	int r;

	*typep = 0;
	if ((r = recv_frame(x, typep)) != 0)
		return r;
	if (*typep < XF_REQUEST || *typep > XF_STATUS)
		return CE_PROTOCOL;
	return open_sealed(x, *typep);
}

/* Reads the peer's STATUS payload from x->pt: its code becomes ours. */
static int
take_status(struct xfer *x, int final)
{
	char detail[XFER_DETAIL_MAX + 1];
	int code, r;

	if ((r = xf_status_get(x->pt, &code, detail)) != 0)
		return r;
	/* A sender may only give up; "applied" comes from a receiver. */
	if (code == 0 && !final)
		return CE_PROTOCOL;
	if (code != 0) {
		x->peer_refused = 1;
		err_set_detail("peer: %s%s%s", err_str(code),
		    detail[0] ? ": " : "", detail);
	}
	return code;
}

/*
 * Ends the session in failure: tells the peer when keys exist, shuts down.
 * The peer gets the error code only: the local detail (object labels, file
 * names, which check failed) stays with the side that has it, so a peer,
 * or whoever can read the wire once the protocol crosses a network, learns
 * nothing about this partition from a refusal.
 */
static int
fail(struct xfer *x, int code)
{
	int saved = x->state;

	if (x->state == XS_FAILED || x->state == XS_DONE)
		return code;
	x->state = XS_FAILED;
	x->err = code;
	if (x->ks != NULL && !x->peer_refused && saved != 0) {
		buf_reset(x->pt);
		if (xf_status_put(x->pt, code, NULL) == 0)
			(void)send_sealed(x, XF_STATUS);
	}
	chan_shutdown(x->c);
	return code;
}

/*
 * Before keys: a peer that speaks another version is told so with ERROR
 * (unauthenticated; the one reason worth sending in the clear).
 */
static void
send_error(struct xfer *x, int code)
{
	struct buf *b;

	if ((b = buf_new(64)) == NULL)
		return;
	if (xf_code_put(b, code) == 0)
		(void)send_plain(x, XF_ERROR, b);
	buf_free(b);
}

/* Ends a failed handshake: nothing more is sent either way. */
static void
handshake_failed(struct xfer *x, int code)
{
	if (code == CE_DOMAIN_MISMATCH)
		err_set_detail("the peer holds none of this partition's "
		    "cloning domains");
	chan_shutdown(x->c);
}

/* Receives a plaintext handshake frame of type want; ERROR is the peer's. */
static int
recv_plain(struct xfer *x, uint8_t want)
{
	uint8_t type = 0;
	int code, r;

	if ((r = recv_frame(x, &type)) != 0)
		return r;
	if (type == want)
		return 0;
	if (type == XF_ERROR) {
		if ((r = xf_code_get(x->rx, &code)) != 0)
			return r;
		if (code == CE_VERSION) {
			err_set_detail("the peer refused this side's transfer "
			    "protocol version %d: upgrade the side with the older "
			    "Coffer", XFER_VERSION);
			return CE_VERSION;
		}
		err_set_detail("peer refused the handshake: %s", err_str(code));
		return CE_PROTOCOL;
	}
	if (type == XF_DOMAIN_MISMATCH && want == XF_SELECT) {
		if ((r = xf_empty_get(x->rx)) != 0)
			return r;
		return CE_DOMAIN_MISMATCH;
	}
	return CE_PROTOCOL;
}

/* proof = HMAC(HKDF(salt = domain key, ikm = Z, info = label), H1). */
static int
domain_proof(const struct secret *dk, const uint8_t z[CC_EC_SHARED_LEN],
    const uint8_t h1[CC_HASH_LEN], uint8_t out[CC_HASH_LEN])
{
	uint8_t pk[CC_HASH_LEN];
	int r;

	if ((r = cc_hkdf_sha384(secret_ptr(dk), secret_len(dk), z,
	    CC_EC_SHARED_LEN, proof_label, sizeof(proof_label) - 1, pk,
	    sizeof(pk))) == 0)
		r = cc_hmac_sha384(pk, sizeof(pk), h1, CC_HASH_LEN, out);
	sodium_memzero(pk, sizeof(pk));
	return r;
}

/* Key schedule from the chosen domain and the transcript through SELECT. */
static int
derive_keys(struct xfer *x, const struct secret *dk,
    const uint8_t z[CC_EC_SHARED_LEN])
{
	uint8_t info[sizeof(keys_label) - 1 + CC_HASH_LEN];
	int r;

	memcpy(info, keys_label, sizeof(keys_label) - 1);
	if ((r = cc_hash_peek(x->th, info + sizeof(keys_label) - 1)) != 0)
		return r;
	if ((x->ks = secret_new(KS_LEN)) == NULL)
		return CE_NOMEM;
	return cc_hkdf_sha384(secret_ptr(dk), secret_len(dk), z,
	    CC_EC_SHARED_LEN, info, sizeof(info), secret_ptr(x->ks), KS_LEN);
}

/* Key confirmation: HMAC(fin key of side, transcript so far). */
static int
confirm_mac(struct xfer *x, int of_initiator, uint8_t out[CC_HASH_LEN])
{
	uint8_t h[CC_HASH_LEN];
	int r;

	if ((r = cc_hash_peek(x->th, h)) != 0)
		return r;
	return cc_hmac_sha384(secret_ptr(x->ks) +
	    (of_initiator ? KS_FIN_I : KS_FIN_R), CC_HASH_LEN, h, sizeof(h), out);
}

/* Sends our HELLO. */
static int
send_hello(struct xfer *x, const uint8_t nonce[XF_NONCE_LEN],
    const struct cc_ecdh *eph, uint64_t serial)
{
	struct xf_hello h;
	struct buf *b;
	int r;

	memset(&h, 0, sizeof(h));
	h.version = XFER_VERSION;
	h.mode = (uint8_t)x->mode;
	h.serial = serial;
	memcpy(h.nonce, nonce, XF_NONCE_LEN);
	if ((b = buf_new(512)) == NULL)
		return CE_NOMEM;
	if ((r = cc_ecdh_public(eph, h.epub)) == 0 &&
	    (r = xf_hello_put(b, &h, x->initiator)) == 0)
		r = send_plain(x, XF_HELLO, b);
	buf_free(b);
	return r;
}

/* Reads the peer's HELLO; a version other than ours is told so (ERROR). */
static int
take_hello(struct xfer *x, struct xf_hello *peer, int of_initiator)
{
	int r;

	if ((r = recv_plain(x, XF_HELLO)) != 0)
		return r;
	if ((r = xf_hello_get(x->rx, peer, of_initiator)) != 0) {
		if (r == CE_VERSION) {
			send_error(x, r);
			err_set_detail("the peer speaks transfer protocol "
			    "version %u, this side %d: upgrade the side with the "
			    "older Coffer", peer->version, XFER_VERSION);
		}
		return r;
	}
	x->peer_serial = peer->serial;
	return 0;
}

/*
 * Picks our first domain (in our order) for which one of the peer's proofs
 * verifies; *dp and *jp get our index and the peer's.
 */
static int
pick_domain(const struct xfer_domain *doms, size_t ndoms,
    const uint8_t z[CC_EC_SHARED_LEN], const uint8_t h1[CC_HASH_LEN],
    const uint8_t proofs[][CC_HASH_LEN], size_t nproofs, size_t *dp,
    size_t *jp)
{
	uint8_t want[CC_HASH_LEN];
	size_t d, j;
	int r;

	for (d = 0; d < ndoms; d++) {
		if ((r = domain_proof(doms[d].key, z, h1, want)) != 0)
			return r;
		for (j = 0; j < nproofs; j++) {
			if (cc_memeq(want, proofs[j], CC_HASH_LEN)) {
				*dp = d;
				*jp = j;
				sodium_memzero(want, sizeof(want));
				return 0;
			}
		}
	}
	sodium_memzero(want, sizeof(want));
	return CE_DOMAIN_MISMATCH;
}

/*
 * Version 2 (docs/formats.md 5.4): the responder proves its domains first,
 * so the initiator, the side that connects and could be lured to a fake
 * peer, sends nothing keyed by a domain until one of the responder's
 * proofs verified. Both HELLOs carry the sides' partition serials into the
 * transcript.
 */
int
xfer_initiate_kat(struct chan *c, const struct xfer_domain *doms, size_t ndoms,
    uint64_t serial, int mode, const uint8_t nonce[XF_NONCE_LEN],
    const uint8_t priv[XFER_KAT_PRIV_LEN], struct xfer **xp)
{
	uint8_t proofs[XFER_MAX_DOMAINS][CC_HASH_LEN], h1[CC_HASH_LEN];
	uint8_t mac[CC_HASH_LEN], want[CC_HASH_LEN];
	struct cc_ecdh *eph = NULL;
	struct secret *z = NULL;
	struct xf_hello peer;
	struct xfer *x = NULL;
	struct buf *b = NULL;
	size_t nproofs, d = 0, j = 0;
	int r;

	if ((r = xfer_domains_check(doms, ndoms)) != 0 ||
	    (mode != XFER_PUSH && mode != XFER_PULL))
		return CE_INVALID;
	if ((r = xfer_new(c, 1, &x)) != 0)
		return r;
	x->mode = mode;
	if (priv != NULL)
		r = cc_ecdh_from_private(priv, &eph);
	else
		r = cc_ecdh_new(&eph);
	if (r != 0)
		goto out;
	/* 1. the responder's HELLO; 2. ours */
	if ((r = take_hello(x, &peer, 0)) != 0 ||
	    (r = send_hello(x, nonce, eph, serial)) != 0)
		goto out;
	if ((z = secret_new(CC_EC_SHARED_LEN)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = cc_ecdh_derive(eph, peer.epub, secret_ptr(z))) != 0 ||
	    (r = cc_hash_peek(x->th, h1)) != 0)
		goto out;
	/* 3. the responder's PROOF: pick, or end with DOMAIN_MISMATCH */
	if ((r = recv_plain(x, XF_PROOF)) != 0 ||
	    (r = xf_proof_get(x->rx, proofs, &nproofs)) != 0)
		goto out;
	r = pick_domain(doms, ndoms, secret_ptr(z), h1,
	    (const uint8_t (*)[CC_HASH_LEN])proofs, nproofs, &d, &j);
	if (r == CE_DOMAIN_MISMATCH) {
		(void)send_plain(x, XF_DOMAIN_MISMATCH, NULL);
		goto out;
	}
	if (r != 0 || (b = buf_new(512)) == NULL) {
		r = r != 0 ? r : CE_NOMEM;
		goto out;
	}
	if ((r = xf_select_put(b, (uint8_t)j)) != 0 ||
	    (r = send_plain(x, XF_SELECT, b)) != 0)
		goto out;
	/* 4. keys; we confirm first (the responder proved the domain), then
	 * check the responder's confirmation before anything sealed */
	buf_reset(b);
	if ((r = derive_keys(x, doms[d].key, secret_ptr(z))) != 0 ||
	    (r = confirm_mac(x, 1, mac)) != 0 ||
	    (r = xf_confirm_put(b, mac)) != 0 ||
	    (r = send_plain(x, XF_CONFIRM, b)) != 0 ||
	    (r = confirm_mac(x, 0, want)) != 0 ||
	    (r = recv_plain(x, XF_CONFIRM)) != 0 ||
	    (r = xf_confirm_get(x->rx, mac)) != 0)
		goto out;
	if (!cc_memeq(mac, want, CC_HASH_LEN)) {
		err_set_detail("the responder failed key confirmation: the "
		    "handshake was altered");
		r = CE_AUTH_TAG;
		goto out;
	}
	x->label = doms[d].label;
	x->state = mode == XFER_PULL ? XS_REQUEST : XS_RECORDS;
	*xp = x;
	x = NULL;
	r = 0;
 out:
	if (r != 0 && x != NULL)
		handshake_failed(x, r);
	sodium_memzero(proofs, sizeof(proofs));
	buf_free(b);
	secret_free(z);
	cc_ecdh_free(eph);
	xfer_free(x);
	return r;
}

int
xfer_accept_kat(struct chan *c, const struct xfer_domain *doms, size_t ndoms,
    uint64_t serial, const uint8_t nonce[XF_NONCE_LEN],
    const uint8_t priv[XFER_KAT_PRIV_LEN], struct xfer **xp)
{
	uint8_t proofs[XFER_MAX_DOMAINS][CC_HASH_LEN], h1[CC_HASH_LEN];
	uint8_t mac[CC_HASH_LEN], want[CC_HASH_LEN], index;
	struct cc_ecdh *eph = NULL;
	struct secret *z = NULL;
	struct xf_hello peer;
	struct xfer *x = NULL;
	struct buf *b = NULL;
	size_t i;
	int r;

	if ((r = xfer_domains_check(doms, ndoms)) != 0)
		return r;
	if ((r = xfer_new(c, 0, &x)) != 0)
		return r;
	if (priv != NULL)
		r = cc_ecdh_from_private(priv, &eph);
	else
		r = cc_ecdh_new(&eph);
	if (r != 0)
		goto out;
	/* 1. our HELLO; 2. theirs */
	if ((r = send_hello(x, nonce, eph, serial)) != 0 ||
	    (r = take_hello(x, &peer, 1)) != 0)
		goto out;
	x->mode = peer.mode;
	if ((z = secret_new(CC_EC_SHARED_LEN)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = cc_ecdh_derive(eph, peer.epub, secret_ptr(z))) != 0 ||
	    (r = cc_hash_peek(x->th, h1)) != 0)
		goto out;
	/* 3. our PROOF over the transcript so far */
	for (i = 0; i < ndoms; i++)
		if ((r = domain_proof(doms[i].key, secret_ptr(z), h1,
		    proofs[i])) != 0)
			goto out;
	if ((b = buf_new(512)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = xf_proof_put(b, (const uint8_t (*)[CC_HASH_LEN])proofs,
	    ndoms)) != 0 || (r = send_plain(x, XF_PROOF, b)) != 0)
		goto out;
	/* 4. SELECT or DOMAIN_MISMATCH */
	if ((r = recv_plain(x, XF_SELECT)) != 0 ||
	    (r = xf_select_get(x->rx, &index)) != 0)
		goto out;
	if (index >= ndoms) {
		r = CE_PROTOCOL;
		goto out;
	}
	/* 5. keys; the initiator confirms first, then we do */
	buf_reset(b);
	if ((r = derive_keys(x, doms[index].key, secret_ptr(z))) != 0 ||
	    (r = confirm_mac(x, 1, want)) != 0 ||
	    (r = recv_plain(x, XF_CONFIRM)) != 0 ||
	    (r = xf_confirm_get(x->rx, mac)) != 0)
		goto out;
	if (!cc_memeq(mac, want, CC_HASH_LEN)) {
		err_set_detail("the initiator failed key confirmation: it "
		    "does not hold the domain, or the handshake was altered");
		r = CE_AUTH_TAG;
		goto out;
	}
	if ((r = confirm_mac(x, 0, mac)) != 0 ||
	    (r = xf_confirm_put(b, mac)) != 0 ||
	    (r = send_plain(x, XF_CONFIRM, b)) != 0)
		goto out;
	x->label = doms[index].label;
	x->state = x->mode == XFER_PULL ? XS_REQUEST : XS_RECORDS;
	*xp = x;
	x = NULL;
	r = 0;
 out:
	if (r != 0 && x != NULL)
		handshake_failed(x, r);
	sodium_memzero(proofs, sizeof(proofs));
	buf_free(b);
	secret_free(z);
	cc_ecdh_free(eph);
	xfer_free(x);
	return r;
}

int
xfer_initiate(struct chan *c, const struct xfer_domain *doms, size_t ndoms,
    uint64_t serial, int mode, struct xfer **xp)
{
	uint8_t nonce[XF_NONCE_LEN];

	cc_random(nonce, sizeof(nonce));
	return xfer_initiate_kat(c, doms, ndoms, serial, mode, nonce, NULL, xp);
}

int
xfer_accept(struct chan *c, const struct xfer_domain *doms, size_t ndoms,
    uint64_t serial, struct xfer **xp)
{
	uint8_t nonce[XF_NONCE_LEN];

	cc_random(nonce, sizeof(nonce));
	return xfer_accept_kat(c, doms, ndoms, serial, nonce, NULL, xp);
}

uint64_t
xfer_peer_serial(const struct xfer *x)
{
	return x->peer_serial;
}

int
xfer_mode(const struct xfer *x)
{
	return x->mode;
}

int
xfer_is_sender(const struct xfer *x)
{
	return is_sender(x);
}

const char *
xfer_domain_label(const struct xfer *x)
{
	return x->label;
}

int
xfer_peer_refused(const struct xfer *x)
{
	return x->peer_refused;
}

uint64_t
xfer_records(const struct xfer *x)
{
	return x->nrec;
}

uint64_t
xfer_frames(const struct xfer *x)
{
	return x->nframes;
}

/* A call in the wrong state: the sticky error of a failed session, or misuse. */
static int
bad_state(const struct xfer *x)
{
	return x->state == XS_FAILED ? x->err : CE_INVALID;
}

int
xfer_send_request(struct xfer *x, uint8_t kind, const void *p, size_t n)
{
	int r;

	if (x->state != XS_REQUEST || !x->initiator)
		return bad_state(x);
	buf_reset(x->pt);
	if ((r = xf_request_put(x->pt, kind, p, n)) != 0)
		return r;
	if ((r = send_sealed(x, XF_REQUEST)) != 0)
		return fail(x, r);
	x->state = XS_RECORDS;
	return 0;
}

int
xfer_recv_request(struct xfer *x, uint8_t *kindp, const uint8_t **bodyp,
    size_t *lenp)
{
	uint8_t type;
	int r;

	if (x->state != XS_REQUEST || x->initiator)
		return bad_state(x);
	if ((r = recv_sealed(x, &type)) != 0)
		return fail(x, r);
	if (type == XF_STATUS)
		return fail(x, take_status(x, 0));
	if (type != XF_REQUEST)
		return fail(x, CE_PROTOCOL);
	if ((r = xf_request_get(x->pt, kindp, bodyp, lenp)) != 0)
		return fail(x, r);
	x->state = XS_RECORDS;
	return 0;
}

/*
 * After a failed send the peer may have said why before it went away: read
 * its STATUS if one is there.
 */
static int
send_failed(struct xfer *x, int r)
{
	uint8_t type;

	if (r == CE_PEER_CLOSED && recv_sealed(x, &type) == 0 &&
	    type == XF_STATUS)
		r = take_status(x, 0);
	return fail(x, r);
}

static int
flush(struct xfer *x)
{
	int r;

	if (buf_len(x->pt) == 0)
		return 0;
	if ((r = send_sealed(x, XF_DATA)) != 0)
		return send_failed(x, r);
	buf_reset(x->pt);
	return 0;
}

int
xfer_send_record(struct xfer *x, uint8_t kind, const void *p, size_t n)
{
	int r;

	if (x->state != XS_RECORDS || !is_sender(x))
		return bad_state(x);
	if (kind == 0 || n > XFER_RECORD_MAX)
		return CE_INVALID;
	/* Batch small records into one frame: one GCM operation per batch. */
	if (buf_len(x->pt) > 0 && buf_len(x->pt) + 6 + n > XFER_BATCH &&
	    (r = flush(x)) != 0)
		return r;
	if ((r = xf_record_put(x->pt, kind, p, n)) != 0)
		return r;
	x->nrec++;
	if (buf_len(x->pt) >= XFER_BATCH)
		return flush(x);
	return 0;
}

int
xfer_commit(struct xfer *x)
{
	uint8_t th[CC_HASH_LEN], type;
	int r;

	if (x->state != XS_RECORDS || !is_sender(x))
		return bad_state(x);
	if ((r = flush(x)) != 0)
		return r;
	if ((r = cc_hash_peek(x->th, th)) != 0 ||
	    (r = xf_commit_put(x->pt, x->nrec, th)) != 0)
		return fail(x, r);
	if ((r = send_sealed(x, XF_COMMIT)) != 0)
		return send_failed(x, r);
	if ((r = recv_sealed(x, &type)) != 0)
		return fail(x, r);
	if (type != XF_STATUS)
		return fail(x, CE_PROTOCOL);
	if ((r = take_status(x, 1)) != 0)
		return fail(x, r);
	x->state = XS_DONE;
	chan_close(x->c);
	return 0;
}

int
xfer_abort(struct xfer *x, int code)
{
	if (code >= 0 || code <= CE_LAST)
		code = CE_PROTOCOL;
	return fail(x, code);
}

/* Hands every record of the DATA payload in x->pt to the sink. */
static int
deliver(struct xfer *x, const struct xfer_sink *sink)
{
	const uint8_t *p;
	size_t n;
	uint8_t kind;
	int r;

	if (buf_len(x->pt) == 0)
		return CE_PROTOCOL;
	while (buf_len(x->pt) > 0) {
		if ((r = xf_record_get(x->pt, &kind, &p, &n)) != 0)
			return r;
		x->nrec++;
		if ((r = sink->record(sink->arg, kind, p, n)) != 0)
			return r;
	}
	return 0;
}

/* COMMIT: the count and the transcript must be ours; then apply. */
static int
apply(struct xfer *x, const struct xfer_sink *sink)
{
	uint8_t th[CC_HASH_LEN];
	uint64_t count;
	int r;

	if ((r = xf_commit_get(x->pt, &count, th)) != 0)
		return r;
	if (count != x->nrec) {
		err_set_detail("sender committed %llu records, %llu arrived",
		    (unsigned long long)count, (unsigned long long)x->nrec);
		return CE_INTEGRITY;
	}
	if (!cc_memeq(th, x->th_commit, CC_HASH_LEN)) {
		err_set_detail("sender and receiver saw different transcripts");
		return CE_INTEGRITY;
	}
	return sink->commit(sink->arg, count);
}

int
xfer_receive(struct xfer *x, const struct xfer_sink *sink)
{
	uint8_t type;
	int r;

	if (x->state != XS_RECORDS || is_sender(x))
		return bad_state(x);
	for (;;) {
		if ((r = recv_sealed(x, &type)) != 0)
			return fail(x, r);
		if (type == XF_DATA) {
			if ((r = deliver(x, sink)) != 0)
				return fail(x, r);
			continue;
		}
		if (type == XF_STATUS)
			return fail(x, take_status(x, 0));
		if (type != XF_COMMIT)
			return fail(x, CE_PROTOCOL);
		break;
	}
	if ((r = apply(x, sink)) != 0)
		return fail(x, r);
	/* Applied: say so; a lost answer leaves the sender unsure, not us. */
	buf_reset(x->pt);
	if (xf_status_put(x->pt, 0, NULL) == 0)
		(void)send_sealed(x, XF_STATUS);
	x->state = XS_DONE;
	chan_close(x->c);
	return 0;
}
