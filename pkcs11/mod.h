/*
 * mod: the state of libcoffer-pkcs11.so, a PKCS#11 v2.40 module over the
 * emulated HSM (docs/pkcs11.md). Each partition of each HSM directory the
 * configuration names is a slot with its token. PKCS#11 logs a user in per
 * token, not per session: the slot holds the one lib/role session every
 * PKCS#11 session of it shares.
 *
 * One mutex guards all of it, taken by every C_ function: the library
 * below is not thread-safe (one SQLite handle per HSM). The one exception
 * is the signature itself: C_Sign and C_SignFinal take a held key
 * (keys.c) under the lock, sign without it, and give the key back under
 * it, so sessions sign in parallel.
 */
#ifndef COFFER_PKCS11_MOD_H
#define COFFER_PKCS11_MOD_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "object.h"

struct hsm;
struct session;

#define MOD_SLOTS_MAX 64
#define MOD_SESSIONS_MAX 256
#define MOD_DATA_MAX (1024 * 1024)   /* largest message to sign or encrypt */
#define MOD_MANUFACTURER "Coffer"
#define MOD_MODEL "Coffer"
/* Luna's vendor user type for the Crypto User (CKU_CRYPTO_USER). */
#define MOD_CKU_CRYPTO_USER 0x80000001UL

struct mod_key;

struct mod_slot {
	struct hsm *h;             /* shared by the slots of one HSM dir */
	int owns_h;                /* the first slot of its HSM closes h */
	char label[33];            /* the partition's */
	char hsm_label[33];
	struct session *login;     /* NULL: logged out */
	CK_USER_TYPE user;
	unsigned long nsessions;
	unsigned long nrw;
	struct mod_key *keys;      /* signing keys held for this login */
	struct object_stamp stamp; /* the stores when keys were checked */
};

enum mod_op_kind { OP_NONE = 0, OP_SIGN, OP_VERIFY, OP_ENCRYPT, OP_DECRYPT };

/* One cryptographic operation in progress in a session. */
struct mod_op {
	int kind;
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;
	char label[OBJECT_LABEL_MAX + 1];
	uint32_t key_type;
	uint32_t bits;
	uint8_t iv[OBJ_GCM_IV_LEN];
	uint8_t *aad;
	size_t aadlen;
	size_t digest_len;         /* RSA-PSS: the digest's length */
	uint8_t *data;             /* what C_*Update gathered */
	size_t len;
};

struct mod_find {
	int active;
	CK_OBJECT_HANDLE *h;
	size_t n, pos;
};

struct mod_sess {
	int used;
	CK_SLOT_ID slot;
	CK_FLAGS flags;
	struct mod_find find;
	struct mod_op op;
};

struct mod {
	int init;
	size_t nslots;
	struct mod_slot slots[MOD_SLOTS_MAX];
	struct mod_sess sess[MOD_SESSIONS_MAX];
};

extern struct mod mod;

/* Takes the module lock; CKR_CRYPTOKI_NOT_INITIALIZED (lock released)
 * before C_Initialize. */
CK_RV mod_enter(void);
void mod_leave(void);

/* The session of handle h (lock held), and its slot. */
CK_RV mod_sess_get(CK_SESSION_HANDLE h, struct mod_sess **sp);
struct mod_slot *mod_slot_of(const struct mod_sess *s);
/* The slot's role session; CKR_USER_NOT_LOGGED_IN when there is none. */
CK_RV mod_login_of(const struct mod_sess *s, struct session **lp);

/*
 * The login of session h for a write: CKR_ARGUMENTS_BAD unless args_ok
 * (the caller's check of its pointers), then CKR_USER_NOT_LOGGED_IN or
 * CKR_SESSION_READ_ONLY.
 */
CK_RV mod_rw_login(CK_SESSION_HANDLE h, int args_ok, struct session **lp);
/* CKR_OK for CKM_AES_KEY_WRAP_PAD with RFC 5649's default IV (no
 * parameter), else CKR_MECHANISM_INVALID or CKR_MECHANISM_PARAM_INVALID. */
CK_RV mod_kwp_mech(const CK_MECHANISM *m);

/* Ends the operation and the search of a session. */
void mod_op_clear(struct mod_op *op);
void mod_find_clear(struct mod_find *f);

/* A CE_* code of lib/err.h as a CKR_*. */
CK_RV mod_rv(int ce);

/* Copies s into a blank-padded field of n bytes (no NUL). */
void mod_pad(unsigned char *field, size_t n, const char *s);

/* Takes the module lock whether or not the module is initialized (to give
 * back a held key after a C_Finalize in between); mod_leave releases it. */
void mod_relock(void);

/*
 * Signing keys held per login (keys.c): the key of handle h of the slot's
 * login, read and decoded once, checked against the stores' stamp (lib
 * object_stamp) on every use so that a key changed or destroyed by anyone
 * is read afresh or gone. The caller holds the module lock for get and put,
 * not in between.
 */
CK_RV mod_key_get(struct mod_slot *sl, CK_OBJECT_HANDLE h,
    struct mod_key **kp);
/* The held key of handle h as it is, without a stamp (counted in use like
 * mod_key_get's); NULL when none is held. */
struct mod_key *mod_key_peek(struct mod_slot *sl, CK_OBJECT_HANDLE h);
const struct object_key *mod_key_of(const struct mod_key *k);
void mod_key_put(struct mod_key *k);
/* Drops every key held for the slot's login (C_Logout, C_Finalize). */
void mod_keys_drop(struct mod_slot *sl);

/* Reads the configuration (COFFER_PKCS11_CONF) and opens the slots. */
CK_RV mod_conf_load(void);
void mod_slots_close(void);

/*
 * Object handles: a Coffer object's store id, shifted left, with the low
 * bit set for the public half of a key pair (PKCS#11 sees two objects
 * where Coffer keeps one private key carrying its public key).
 */
#define MOD_HANDLE(id, pub) (((CK_OBJECT_HANDLE)(id) << 1) | ((pub) ? 1 : 0))
/* Reads the object behind handle h: *op, and *pubp for a public half. */
CK_RV mod_obj_get(struct session *l, CK_OBJECT_HANDLE h, struct object **op,
    int *pubp);

/*
 * Reads a template attribute that asks for a key option (CKA_EXTRACTABLE,
 * CKA_WRAP_WITH_TRUSTED, CKA_TRUSTED) into ko: 1 when it was one (*rvp
 * CKR_ATTRIBUTE_VALUE_INVALID for a bad value), 0 otherwise.
 */
int mod_key_opt(const CK_ATTRIBUTE *a, struct object_key_opts *ko, CK_RV *rvp);

/* A label for a key the application named only by CKA_ID (id NULL: not at
 * all): key-<CKA_ID in hex> or key-<16 random hex digits>. */
void mod_label_default(char label[OBJECT_LABEL_MAX + 1], const uint8_t *id,
    size_t idlen);

#endif
