/*
 * Sessions and login: C_OpenSession to C_Logout, C_SetPIN, and
 * C_GenerateRandom.
 *
 * Login is per token, as PKCS#11 has it: C_Login in one session logs in
 * every session of the slot, with one lib/role session underneath; the
 * last session closed logs out. The login is session_login(), the
 * function `hsm` logs in with, so a wrong PIN counts toward the role's
 * lockout exactly as a wrong --pin-file does.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "activation.h"
#include "crypto.h"
#include "err.h"
#include "hsm.h"
#include "mod.h"
#include "role.h"
#include "secret.h"

CK_RV
mod_sess_get(CK_SESSION_HANDLE h, struct mod_sess **sp)
{
	if (h == CK_INVALID_HANDLE || h > MOD_SESSIONS_MAX ||
	    !mod.sess[h - 1].used)
		return CKR_SESSION_HANDLE_INVALID;
	*sp = &mod.sess[h - 1];
	return CKR_OK;
}

struct mod_slot *
mod_slot_of(const struct mod_sess *s)
{
	return &mod.slots[s->slot];
}

CK_RV
mod_login_of(const struct mod_sess *s, struct session **lp)
{
	if ((*lp = mod_slot_of(s)->login) == NULL)
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

void
mod_op_clear(struct mod_op *op)
{
	if (op->aad != NULL)
		free(op->aad);
	if (op->data != NULL) {
		sodium_memzero(op->data, op->len);
		free(op->data);
	}
	memset(op, 0, sizeof(*op));
}

void
mod_find_clear(struct mod_find *f)
{
	free(f->h);
	memset(f, 0, sizeof(*f));
}

static void
logout(struct mod_slot *sl)
{
	mod_keys_drop(sl);
	session_close(sl->login);
	sl->login = NULL;
	sl->user = 0;
}

static void
close_one(struct mod_sess *s)
{
	struct mod_slot *sl = mod_slot_of(s);

	mod_op_clear(&s->op);
	mod_find_clear(&s->find);
	sl->nsessions--;
	if (s->flags & CKF_RW_SESSION)
		sl->nrw--;
	if (sl->nsessions == 0)
		logout(sl);
	memset(s, 0, sizeof(*s));
}

CK_RV
C_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app,
    CK_NOTIFY notify, CK_SESSION_HANDLE_PTR hp)
{
	struct mod_slot *sl;
	CK_RV rv;
	size_t i;

	(void)app;
	(void)notify; /* nothing is ever notified */
	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if (id >= mod.nslots) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	if (hp == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!(flags & CKF_SERIAL_SESSION)) {
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
		goto out;
	}
	sl = &mod.slots[id];
	rv = CKR_SESSION_COUNT;
	for (i = 0; i < MOD_SESSIONS_MAX; i++) {
		if (mod.sess[i].used)
			continue;
		memset(&mod.sess[i], 0, sizeof(mod.sess[i]));
		mod.sess[i].used = 1;
		mod.sess[i].slot = id;
		mod.sess[i].flags = flags & (CKF_SERIAL_SESSION |
		    CKF_RW_SESSION);
		sl->nsessions++;
		if (flags & CKF_RW_SESSION)
			sl->nrw++;
		*hp = i + 1;
		rv = CKR_OK;
		break;
	}
 out:
	mod_leave();
	return rv;
}

CK_RV
C_CloseSession(CK_SESSION_HANDLE h)
{
	struct mod_sess *s;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) == CKR_OK)
		close_one(s);
	mod_leave();
	return rv;
}

CK_RV
C_CloseAllSessions(CK_SLOT_ID id)
{
	CK_RV rv;
	size_t i;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if (id >= mod.nslots)
		rv = CKR_SLOT_ID_INVALID;
	else
		for (i = 0; i < MOD_SESSIONS_MAX; i++)
			if (mod.sess[i].used && mod.sess[i].slot == id)
				close_one(&mod.sess[i]);
	mod_leave();
	return rv;
}

CK_RV
C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	struct mod_sess *s;
	struct mod_slot *sl;
	int rw;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) != CKR_OK)
		goto out;
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	sl = mod_slot_of(s);
	rw = (s->flags & CKF_RW_SESSION) != 0;
	memset(info, 0, sizeof(*info));
	info->slotID = s->slot;
	info->flags = s->flags;
	if (sl->login == NULL)
		info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	else
		info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
 out:
	mod_leave();
	return rv;
}

CK_RV
C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
    CK_ULONG pinlen)
{
	struct mod_sess *s;
	struct mod_slot *sl;
	struct secret *cred = NULL;
	int role, r;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) != CKR_OK)
		goto out;
	sl = mod_slot_of(s);
	/*
	 * CKU_USER is the Crypto Officer, as on a Luna partition; Luna's
	 * CKU_CRYPTO_USER the Crypto User. The Partition SO uses no object,
	 * so CKU_SO has nothing to do here.
	 */
	if (user == CKU_USER)
		role = ROLE_CO;
	else if (user == MOD_CKU_CRYPTO_USER)
		role = ROLE_CU;
	else {
		rv = CKR_USER_TYPE_INVALID;
		goto out;
	}
	if (sl->login != NULL) {
		rv = sl->user == user ? CKR_USER_ALREADY_LOGGED_IN :
		    CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		goto out;
	}
	if (pin == NULL || pinlen == 0) {
		/* no protected authentication path: a PIN is needed */
		rv = CKR_PIN_INCORRECT;
		goto out;
	}
	if ((cred = secret_from(pin, pinlen)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	/*
	 * On a PED HSM no PIN can stand in for M shares; an activated role
	 * logs in with its challenge secret, as a Luna PED partition's
	 * activated role does with its challenge.
	 */
	if ((r = hsm_is_ped(sl->h)) == 1)
		r = session_login_challenge(sl->h, sl->label, role, cred,
		    &sl->login);
	else if (r == 0)
		r = session_login(sl->h, sl->label, role, cred, &sl->login);
	if (r == CE_NOT_FOUND)
		rv = CKR_USER_PIN_NOT_INITIALIZED;
	else if (r == CE_POLICY)
		rv = CKR_PIN_INCORRECT; /* a PED role not activated */
	else
		rv = mod_rv(r);
	if (rv == CKR_OK)
		sl->user = user;
 out:
	secret_free(cred);
	mod_leave();
	return rv;
}

CK_RV
C_Logout(CK_SESSION_HANDLE h)
{
	struct mod_sess *s;
	struct mod_slot *sl;
	CK_RV rv;
	size_t i;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) != CKR_OK)
		goto out;
	sl = mod_slot_of(s);
	if (sl->login == NULL) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	/* operations under the login end with it */
	for (i = 0; i < MOD_SESSIONS_MAX; i++)
		if (mod.sess[i].used && mod.sess[i].slot == s->slot) {
			mod_op_clear(&mod.sess[i].op);
			mod_find_clear(&mod.sess[i].find);
		}
	logout(sl);
 out:
	mod_leave();
	return rv;
}

/*
 * C_SetPIN is `hsm role change`: a login with the old PIN (a wrong one
 * counts toward the lockout, as there), then role_change() with the new,
 * in one transaction with its audit record. The logged-in role changes
 * its own PIN; a PED role's credential is a share set, not a PIN.
 */
CK_RV
C_SetPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old, CK_ULONG oldlen,
    CK_UTF8CHAR_PTR new, CK_ULONG newlen)
{
	struct mod_sess *s;
	struct mod_slot *sl;
	struct session *tmp = NULL;
	struct secret *oc = NULL, *nc = NULL;
	int r;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) != CKR_OK)
		goto out;
	sl = mod_slot_of(s);
	if (sl->login == NULL) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (old == NULL || oldlen == 0) {
		rv = CKR_PIN_INCORRECT;
		goto out;
	}
	if (new == NULL || newlen == 0) {
		rv = CKR_PIN_LEN_RANGE;
		goto out;
	}
	if (hsm_is_ped(sl->h) != 0) {
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	if ((oc = secret_from(old, oldlen)) == NULL ||
	    (nc = secret_from(new, newlen)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	if ((r = session_login(sl->h, sl->label, session_role(sl->login), oc,
	    &tmp)) == 0)
		r = role_change(tmp, nc);
	rv = mod_rv(r);
 out:
	session_close(tmp);
	secret_free(oc);
	secret_free(nc);
	mod_leave();
	return rv;
}

CK_RV
C_GenerateRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG len)
{
	struct mod_sess *s;
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if ((rv = mod_sess_get(h, &s)) == CKR_OK) {
		if (p == NULL && len > 0)
			rv = CKR_ARGUMENTS_BAD;
		else if (len > 0)
			cc_random(p, len);
	}
	mod_leave();
	return rv;
}
