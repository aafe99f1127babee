/*
 * share: M-of-N share sets that prove themselves right.
 *
 * A share is one point of a Shamir split (lib/shamir) plus what it takes
 * to never yield a wrong secret silently (docs/mofn.md; what Vault,
 * yubihsm-setup and sc-hsm-tool get wrong):
 *   - a random set identifier, so shares of two sets are told apart;
 *   - M, N and the share's index (1..N) stored in every share;
 *   - a check value: HMAC-SHA-384 keyed by the split value over the set's
 *     metadata, so a combination proves itself right (and M is
 *     authenticated). The split value is the secret followed by 16 random
 *     blinding bytes, so the check value gives a holder of fewer than M
 *     shares nothing to test guesses of a low-entropy secret against.
 * Combining too few shares, shares of two sets, a duplicate or a corrupted
 * share is CE_SHARE_TOO_FEW, CE_SHARE_MIXED, CE_SHARE_DUP or
 * CE_SHARE_CORRUPT. With more than M shares at hand, combining finds an M
 * subset that passes the check and tests every other share against the
 * polynomial, so a corrupt share is named, not just detected.
 *
 * Encodings (docs/formats.md section 8): a file (an emulated iKey:
 * share_file_*, optionally under its own PIN with Argon2id + AES-256-GCM)
 * and a line of text with a checksum for paper (share_text_*).
 *
 * For the HSM: share_set_new() turns a role credential or a domain secret
 * into a set; share_combine() turns M shares back into that secret.
 */
#ifndef COFFER_SHARE_H
#define COFFER_SHARE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define SHARE_MAX_N 16
#define SHARE_SET_ID_LEN 10
#define SHARE_CHECK_LEN 16
#define SHARE_BLIND_LEN 16
#define SHARE_TAG_LEN 16
#define SHARE_SECRET_MAX 256
/* "XXXX-XXXX-XXXX-XXXX" and a NUL */
#define SHARE_SET_ID_STR 20
/* Inputs share_combine accepts at once (duplicates and strays included). */
#define SHARE_MAX_INPUTS 32

struct buf;
struct secret;
struct share;

/* What may be shown about a share without revealing anything. */
struct share_info {
	uint8_t set_id[SHARE_SET_ID_LEN];
	unsigned m, n;      /* threshold and set size */
	unsigned index;     /* 1..n, the holder's number */
	uint8_t x;          /* the point's x-coordinate (public) */
	size_t secret_len;  /* length of the shared secret */
	int pin_protected;  /* read from a file under a PIN */
	int kdf_profile;    /* that file's Argon2id profile, 0 when none */
};

/* What share_combine found out about its inputs. */
struct share_report {
	uint32_t bad;   /* bit i: input i is corrupt */
	uint32_t used;  /* bit i: input i was in the subset that recombined */
	unsigned m, n;  /* the set's threshold and size (0 when unknown) */
};

/*
 * Splits s (1..SHARE_SECRET_MAX bytes) into a new set of n shares, any m of
 * which recover it, with a fresh random set identifier. Fills out[0..n).
 * Returns CE_INVALID for m, n or a length out of range, CE_NOMEM.
 */
int share_set_new(const struct secret *s, unsigned m, unsigned n,
    struct share *out[]);

/* Frees a share (wiping its payload); NULL is fine. */
void share_free(struct share *sh);

/* Frees shs[0..n) and sets them to NULL. */
void share_set_free(struct share *shs[], size_t n);

/* An interchangeable copy of sh in *dupp. */
int share_dup(const struct share *sh, struct share **dupp);

/* Fills *ip with sh's metadata. */
void share_get_info(const struct share *sh, struct share_info *ip);

/* Formats a set identifier for people: "XXXX-XXXX-XXXX-XXXX". */
/*
 * The tag of the set sh belongs to: the first SHARE_TAG_LEN bytes of
 * SHA-384 over "coffer-share-set-tag 1", the set id and the check value.
 * A set made by someone else has another check value even with a copied
 * set id, so an HSM that recorded a role's tag tells its set from any
 * other without a login (lib/role.h role_share_tag_check).
 */
void share_set_tag(const struct share *sh, uint8_t out[SHARE_TAG_LEN]);

void share_set_id_str(const uint8_t id[SHARE_SET_ID_LEN],
    char out[SHARE_SET_ID_STR]);

/*
 * Recovers the secret of shs[0..k) into *sp and says in *rep which inputs
 * were used and which are corrupt. Returns 0 when a subset of M shares
 * passed the check value (rep->bad may still name corrupt extra shares:
 * callers should warn), else CE_SHARE_TOO_FEW, CE_SHARE_MIXED,
 * CE_SHARE_DUP or CE_SHARE_CORRUPT (rep->bad names the culprits when they
 * can be told), with a detail line naming inputs by position (1-based).
 */
int share_combine(struct share *const shs[], size_t k, struct secret **sp,
    struct share_report *rep);

/* --- file encoding (share_file.c) --- */

/* Returns 1 when p starts with the share file magic. */
int share_file_is(const uint8_t *p, size_t len);

/*
 * Returns 1 when the header of a share file says it is under a PIN, even
 * if the file fails its checksum: a tool pairing PINs with files in order
 * must skip that file's PIN when it leaves a damaged file out.
 */
int share_file_claims_pin(const uint8_t *p, size_t len);

/*
 * Reads a share file's metadata without a PIN. Checks the magic, version
 * and checksum: CE_FORMAT (not a share file), CE_VERSION, CE_SHARE_CORRUPT.
 */
int share_file_peek(const uint8_t *p, size_t len, struct share_info *ip);

/*
 * Decodes a share file. pin is needed when the file is under a PIN (NULL
 * then is CE_BAD_CREDENTIAL, as is a wrong PIN); a file that fails its
 * checksum is CE_SHARE_CORRUPT, so a damaged file never reads as a wrong
 * PIN.
 */
int share_file_decode(const uint8_t *p, size_t len, const struct secret *pin,
    struct share **shp);

/*
 * Encodes sh as a file into a new buffer *outp. With pin set, the payload
 * is sealed under Argon2id(pin, kdf_profile) with AES-256-GCM.
 */
int share_file_encode(const struct share *sh, const struct secret *pin,
    int kdf_profile, struct buf **outp);

/* share_file_encode, then file_write_secret (0600, O_EXCL unless force). */
int share_file_write(const char *path, const struct share *sh,
    const struct secret *pin, int kdf_profile, int force);

/*
 * Reads and decodes the share file at path (pin as for share_file_decode).
 * For callers such as an HSM login that take share files by name.
 */
int share_file_read(const char *path, const struct secret *pin,
    struct share **shp);

/* Longest path share_dir_write makes. */
#define SHARE_PATH_MAX PATH_MAX

/* Gives the PIN for share i (0-based) of a set being written, or NULL. */
typedef int share_pin_fn(void *ctx, unsigned i, struct secret **pinp);

/*
 * Writes set[0..n) as DIR/WHAT-I-of-N.cshare (share_file_write: 0600,
 * O_EXCL unless force), making DIR (0700) when missing; *made_dirp (may be
 * NULL) says whether it did. pin (may be NULL: no PINs) is asked for each
 * share's PIN after the checks, just before that share is written. All or
 * nothing: a file that exists is CE_EXISTS before anything is written or
 * asked (the detail names it), and a failure midway removes the files
 * already written and the directory if it made it. paths[i] gets share
 * i's path.
 */
int share_dir_write(const char *dir, const char *what,
    struct share *const set[], unsigned n, share_pin_fn *pin, void *ctx,
    int kdf_profile, int force, char paths[][SHARE_PATH_MAX], int *made_dirp);

/* --- text encoding (share_text.c) --- */

/* Longest line share_text_encode writes (without the NUL). */
#define SHARE_TEXT_MAX 700

/*
 * Encodes sh as one line of text (no newline) in a new secret *linep: the
 * characters followed by a NUL; secret_len counts the NUL.
 */
int share_text_encode(const struct share *sh, struct secret **linep);

/*
 * Decodes one line (surrounding whitespace ignored). CE_FORMAT when it is
 * not a share line, CE_VERSION for an unknown version, CE_SHARE_CORRUPT
 * when the checksum or a symbol is wrong (a typo).
 */
int share_text_decode(const char *line, size_t len, struct share **shp);

#endif
