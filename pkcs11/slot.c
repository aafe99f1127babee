/*
 * Module life, slots, tokens and mechanisms: C_Initialize to
 * C_GetMechanismInfo, and the function list.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "hsm.h"
#include "mod.h"
#include "partition.h"
#include "role.h"
#include "version.h"

struct mod mod;
static pthread_mutex_t mod_lock = PTHREAD_MUTEX_INITIALIZER;

CK_RV
mod_enter(void)
{
	pthread_mutex_lock(&mod_lock);
	if (!mod.init) {
		pthread_mutex_unlock(&mod_lock);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	return CKR_OK;
}

void
mod_relock(void)
{
	pthread_mutex_lock(&mod_lock);
}

void
mod_leave(void)
{
	pthread_mutex_unlock(&mod_lock);
}

void
mod_pad(unsigned char *field, size_t n, const char *s)
{
	size_t len = strlen(s);

	memset(field, ' ', n);
	memcpy(field, s, len < n ? len : n);
}

CK_RV
mod_rv(int ce)
{
	switch (ce) {
	case CE_OK:
		return CKR_OK;
	case CE_NOMEM:
		return CKR_HOST_MEMORY;
	case CE_BAD_CREDENTIAL:
		return CKR_PIN_INCORRECT;
	case CE_LOCKED:
	case CE_ZEROIZED:
		return CKR_PIN_LOCKED;
	case CE_NOT_LOGGED_IN:
		return CKR_USER_NOT_LOGGED_IN;
	case CE_PERMISSION:
	case CE_POLICY:
		return CKR_ACTION_PROHIBITED;
	case CE_EXISTS:
		return CKR_TEMPLATE_INCONSISTENT;
	case CE_FULL:
		return CKR_DEVICE_MEMORY;
	case CE_NOT_FOUND:
		return CKR_OBJECT_HANDLE_INVALID;
	case CE_INTEGRITY:
		return CKR_SIGNATURE_INVALID;
	case CE_AUTH_TAG:
	case CE_TRUNCATED:
		return CKR_ENCRYPTED_DATA_INVALID;
	case CE_INVALID:
		return CKR_KEY_TYPE_INCONSISTENT;
	case CE_UNSUPPORTED:
		return CKR_FUNCTION_NOT_SUPPORTED;
	default:
		return CKR_DEVICE_ERROR;
	}
}

CK_RV
C_Initialize(CK_VOID_PTR args)
{
	CK_C_INITIALIZE_ARGS *a = args;
	CK_RV rv;
	int n;

	/*
	 * The module locks with pthreads. An application that hands in its
	 * own mutex functions without allowing OS locking asks for locks we
	 * do not use: PKCS#11 says to refuse.
	 */
	if (a != NULL) {
		if (a->pReserved != NULL)
			return CKR_ARGUMENTS_BAD;
		n = (a->CreateMutex != NULL) + (a->DestroyMutex != NULL) +
		    (a->LockMutex != NULL) + (a->UnlockMutex != NULL);
		if (n != 0 && n != 4)
			return CKR_ARGUMENTS_BAD;
		if (n == 4 && !(a->flags & CKF_OS_LOCKING_OK))
			return CKR_CANT_LOCK;
	}
	pthread_mutex_lock(&mod_lock);
	if (mod.init) {
		pthread_mutex_unlock(&mod_lock);
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	memset(&mod, 0, sizeof(mod));
	/*
	 * sodium_init, not secret_init(): the process is the application's,
	 * and its core dumps and dumpable flag are its own business. Keys
	 * and PINs live in sodium_malloc'd memory, which is kept out of core
	 * dumps (MADV_DONTDUMP) anyway.
	 */
	if (sodium_init() < 0)
		rv = CKR_GENERAL_ERROR;
	else if ((rv = mod_conf_load()) == CKR_OK)
		mod.init = 1;
	pthread_mutex_unlock(&mod_lock);
	return rv;
}

CK_RV
C_Finalize(CK_VOID_PTR reserved)
{
	CK_RV rv;
	size_t i;

	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	for (i = 0; i < MOD_SESSIONS_MAX; i++) {
		mod_op_clear(&mod.sess[i].op);
		mod_find_clear(&mod.sess[i].find);
	}
	mod_slots_close();
	memset(&mod, 0, sizeof(mod));
	mod_leave();
	return CKR_OK;
}

static void
version_of(CK_VERSION *v)
{
	unsigned maj = 0, min = 0;

	sscanf(COFFER_VERSION, "%u.%u", &maj, &min);
	v->major = (CK_BYTE)maj;
	v->minor = (CK_BYTE)min;
}

CK_RV
C_GetInfo(CK_INFO_PTR info)
{
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if (info == NULL) {
		mod_leave();
		return CKR_ARGUMENTS_BAD;
	}
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	mod_pad(info->manufacturerID, sizeof(info->manufacturerID),
	    MOD_MANUFACTURER);
	mod_pad(info->libraryDescription, sizeof(info->libraryDescription),
	    "Coffer emulated Luna HSM");
	version_of(&info->libraryVersion);
	mod_leave();
	return CKR_OK;
}

CK_RV
C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR countp)
{
	CK_RV rv;
	size_t i;

	(void)present; /* every slot holds its token */
	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if (countp == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (list != NULL && *countp < mod.nslots)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (list != NULL)
		for (i = 0; i < mod.nslots; i++)
			list[i] = i;
	if (countp != NULL)
		*countp = mod.nslots;
	mod_leave();
	return rv;
}

CK_RV
C_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	char desc[128];
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if (id >= mod.nslots)
		rv = CKR_SLOT_ID_INVALID;
	else if (info == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else {
		memset(info, 0, sizeof(*info));
		snprintf(desc, sizeof(desc), "Coffer HSM %s partition %s",
		    mod.slots[id].hsm_label, mod.slots[id].label);
		mod_pad(info->slotDescription, sizeof(info->slotDescription),
		    desc);
		mod_pad(info->manufacturerID, sizeof(info->manufacturerID),
		    MOD_MANUFACTURER);
		info->flags = CKF_TOKEN_PRESENT;
		version_of(&info->firmwareVersion);
	}
	mod_leave();
	return rv;
}

CK_RV
C_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
	struct partition_info pi;
	struct mod_slot *sl;
	char serial[32];
	CK_RV rv;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if (id >= mod.nslots) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	sl = &mod.slots[id];
	/* Read afresh: the hsm tool may have changed it since. */
	if ((rv = mod_rv(partition_get_info(sl->h, sl->label, &pi))) != CKR_OK) {
		rv = rv == CKR_OBJECT_HANDLE_INVALID ? CKR_TOKEN_NOT_PRESENT : rv;
		goto out;
	}
	memset(info, 0, sizeof(*info));
	mod_pad(info->label, sizeof(info->label), pi.label);
	mod_pad(info->manufacturerID, sizeof(info->manufacturerID),
	    MOD_MANUFACTURER);
	mod_pad(info->model, sizeof(info->model), MOD_MODEL);
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)pi.serial);
	mod_pad(info->serialNumber, sizeof(info->serialNumber), serial);
	info->flags = CKF_RNG | CKF_LOGIN_REQUIRED;
	if (pi.state == PARTITION_INITIALIZED)
		info->flags |= CKF_TOKEN_INITIALIZED;
	/* roles[] holds PO, CO, CU: the CO is PKCS#11's user */
	if (pi.roles[1].initialized)
		info->flags |= CKF_USER_PIN_INITIALIZED;
	if (pi.roles[1].failures > 0)
		info->flags |= CKF_USER_PIN_COUNT_LOW;
	if (pi.roles[1].initialized && pi.roles[1].failures + 1 >= pi.lockout)
		info->flags |= CKF_USER_PIN_FINAL_TRY;
	if (pi.roles[1].locked)
		info->flags |= CKF_USER_PIN_LOCKED;
	info->ulMaxSessionCount = MOD_SESSIONS_MAX;
	info->ulSessionCount = sl->nsessions;
	info->ulMaxRwSessionCount = MOD_SESSIONS_MAX;
	info->ulRwSessionCount = sl->nrw;
	info->ulMaxPinLen = 255;
	info->ulMinPinLen = 1;
	info->ulTotalPublicMemory = pi.capacity;
	info->ulFreePublicMemory = pi.capacity - pi.used;
	info->ulTotalPrivateMemory = pi.capacity;
	info->ulFreePrivateMemory = pi.capacity - pi.used;
	version_of(&info->firmwareVersion);
 out:
	mod_leave();
	return rv;
}

static const struct {
	CK_MECHANISM_TYPE type;
	CK_ULONG min, max;
	CK_FLAGS flags;
} mechs[] = {
	{ CKM_EC_KEY_PAIR_GEN, 256, 384, CKF_GENERATE_KEY_PAIR | CKF_EC_F_P |
	    CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS },
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, 2048, 4096, CKF_GENERATE_KEY_PAIR },
	{ CKM_AES_KEY_GEN, 16, 32, CKF_GENERATE },
	{ CKM_GENERIC_SECRET_KEY_GEN, 8, 4096, CKF_GENERATE },
	{ CKM_ECDSA, 256, 384, CKF_SIGN | CKF_VERIFY | CKF_EC_F_P |
	    CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS },
	{ CKM_ECDSA_SHA256, 256, 384, CKF_SIGN | CKF_VERIFY | CKF_EC_F_P |
	    CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS },
	{ CKM_ECDSA_SHA384, 256, 384, CKF_SIGN | CKF_VERIFY | CKF_EC_F_P |
	    CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS },
	{ CKM_RSA_PKCS, 2048, 4096, CKF_SIGN | CKF_VERIFY },
	{ CKM_SHA256_RSA_PKCS, 2048, 4096, CKF_SIGN | CKF_VERIFY },
	{ CKM_SHA384_RSA_PKCS, 2048, 4096, CKF_SIGN | CKF_VERIFY },
	{ CKM_RSA_PKCS_PSS, 2048, 4096, CKF_SIGN | CKF_VERIFY },
	{ CKM_SHA256_RSA_PKCS_PSS, 2048, 4096, CKF_SIGN | CKF_VERIFY },
	{ CKM_SHA384_RSA_PKCS_PSS, 2048, 4096, CKF_SIGN | CKF_VERIFY },
	{ CKM_AES_GCM, 16, 32, CKF_ENCRYPT | CKF_DECRYPT },
	{ CKM_AES_KEY_WRAP_PAD, 16, 32, CKF_WRAP | CKF_UNWRAP },
	{ CKM_SHA256_HMAC, 1, 512, CKF_SIGN | CKF_VERIFY },
	{ CKM_SHA384_HMAC, 1, 512, CKF_SIGN | CKF_VERIFY },
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

CK_RV
C_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list,
    CK_ULONG_PTR countp)
{
	CK_RV rv;
	size_t i;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if (id >= mod.nslots)
		rv = CKR_SLOT_ID_INVALID;
	else if (countp == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else {
		if (list != NULL && *countp < NMECHS)
			rv = CKR_BUFFER_TOO_SMALL;
		else if (list != NULL)
			for (i = 0; i < NMECHS; i++)
				list[i] = mechs[i].type;
		*countp = NMECHS;
	}
	mod_leave();
	return rv;
}

CK_RV
C_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE type,
    CK_MECHANISM_INFO_PTR info)
{
	CK_RV rv;
	size_t i;

	if ((rv = mod_enter()) != CKR_OK)
		return rv;
	if (id >= mod.nslots)
		rv = CKR_SLOT_ID_INVALID;
	else if (info == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else {
		rv = CKR_MECHANISM_INVALID;
		for (i = 0; i < NMECHS; i++)
			if (mechs[i].type == type) {
				info->ulMinKeySize = mechs[i].min;
				info->ulMaxKeySize = mechs[i].max;
				info->flags = mechs[i].flags;
				rv = CKR_OK;
			}
	}
	mod_leave();
	return rv;
}
