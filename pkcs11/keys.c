/*
 * Signing keys held per login. Reading a key per signature costs a SELECT,
 * an AES-GCM open in guarded memory and a DER decode; an application signs
 * many times with one key. So the slot keeps each key it signed with,
 * decoded (lib object_key), until C_Logout, C_Finalize or the last
 * session's close.
 *
 * A held key is only as good as the stores it came from: before each use
 * the slot takes the stores' stamp (lib object_stamp: PRAGMA data_version
 * and this connection's change count, hsm.db and sks.db) and, when it
 * moved, drops every held key; they are read afresh, so a key destroyed or
 * changed by this process or another is not used after the change
 * committed. A stamp is one statement per signature, not the three
 * statements, two decryptions and a decode it replaces. C_SignInit peeks
 * at a held key without a stamp: C_Sign takes one and checks that the key
 * it then holds is still the one C_SignInit saw (label, type, size), so a
 * handle whose object was destroyed and whose id went to a new object
 * does not sign with the new one.
 *
 * A key in use is counted (refs): dropping one that a thread is signing
 * with only unlinks it, and the signer frees it when it gives it back.
 */
#include <stdlib.h>
#include <string.h>

#include "mod.h"
#include "object.h"

struct mod_key {
	CK_OBJECT_HANDLE h;
	struct object_key *k;
	unsigned refs;
	int dropped;
	struct mod_key *next;
};

static void
key_free(struct mod_key *k)
{
	object_key_free(k->k);
	free(k);
}

void
mod_keys_drop(struct mod_slot *sl)
{
	struct mod_key *k, *next;

	for (k = sl->keys; k != NULL; k = next) {
		next = k->next;
		k->next = NULL;
		if (k->refs > 0)
			k->dropped = 1;
		else
			key_free(k);
	}
	sl->keys = NULL;
	memset(&sl->stamp, 0, sizeof(sl->stamp));
}

CK_RV
mod_key_get(struct mod_slot *sl, CK_OBJECT_HANDLE h, struct mod_key **kp)
{
	struct object_stamp now;
	struct mod_key *k;
	CK_RV rv;

	if (sl->login == NULL)
		return CKR_USER_NOT_LOGGED_IN;
	if ((h >> 1) == 0 || (h & 1))
		return CKR_KEY_HANDLE_INVALID;
	if ((rv = mod_rv(object_stamp(sl->login, &now))) != CKR_OK)
		return rv;
	if (!object_stamp_equal(&now, &sl->stamp)) {
		mod_keys_drop(sl);
		sl->stamp = now;
	}
	for (k = sl->keys; k != NULL && k->h != h; k = k->next)
		;
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return CKR_HOST_MEMORY;
		if ((rv = mod_rv(object_key_open(sl->login, h >> 1,
		    &k->k))) != CKR_OK) {
			free(k);
			return rv == CKR_OBJECT_HANDLE_INVALID ?
			    CKR_KEY_HANDLE_INVALID : rv;
		}
		k->h = h;
		k->next = sl->keys;
		sl->keys = k;
	}
	k->refs++;
	*kp = k;
	return CKR_OK;
}

struct mod_key *
mod_key_peek(struct mod_slot *sl, CK_OBJECT_HANDLE h)
{
	struct mod_key *k;

	for (k = sl->keys; k != NULL && k->h != h; k = k->next)
		;
	if (k != NULL)
		k->refs++;
	return k;
}

const struct object_key *
mod_key_of(const struct mod_key *k)
{
	return k->k;
}

void
mod_key_put(struct mod_key *k)
{
	if (k == NULL)
		return;
	if (--k->refs == 0 && k->dropped)
		key_free(k);
}
