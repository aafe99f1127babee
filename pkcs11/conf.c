/*
 * The module's configuration (docs/pkcs11.md): one "hsm DIR" line per HSM
 * directory; every partition of each becomes a slot, in the order of the
 * file and, within an HSM, of the partition labels. A missing file is no
 * error (no slots), as p11-kit loads every module it knows of; a malformed
 * one, or an HSM that does not open, fails C_Initialize so a mistake shows.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm.h"
#include "mod.h"
#include "partition.h"

#define CONF_DEFAULT "/etc/coffer/pkcs11.conf"
#define CONF_LINE_MAX 4096

struct add_ctx {
	struct hsm *h;
	int first;
	const char *hsm_label;
	CK_RV rv;
};

static int
add_slot(void *ctx, const struct partition_info *pi)
{
	struct add_ctx *a = ctx;
	struct mod_slot *sl;

	if (mod.nslots >= MOD_SLOTS_MAX) {
		a->rv = CKR_HOST_MEMORY;
		return 1;
	}
	sl = &mod.slots[mod.nslots++];
	memset(sl, 0, sizeof(*sl));
	sl->h = a->h;
	sl->owns_h = a->first;
	a->first = 0;
	snprintf(sl->label, sizeof(sl->label), "%s", pi->label);
	snprintf(sl->hsm_label, sizeof(sl->hsm_label), "%s", a->hsm_label);
	return 0;
}

static CK_RV
add_hsm(const char *dir)
{
	struct add_ctx a = { NULL, 1, NULL, CKR_OK };
	struct hsm_info hi;
	size_t before = mod.nslots;

	if (hsm_open(dir, &a.h) != 0 || hsm_get_info(a.h, &hi) != 0) {
		hsm_close(a.h);
		return CKR_GENERAL_ERROR;
	}
	/* A Backup HSM holds no partition a key could be used in. */
	if (hsm_is_backup(a.h) || hi.state != HSM_STATE_INITIALIZED) {
		hsm_close(a.h);
		return CKR_OK;
	}
	a.hsm_label = hi.label;
	if (partition_list(a.h, add_slot, &a) != 0 && a.rv == CKR_OK)
		a.rv = CKR_GENERAL_ERROR;
	if (mod.nslots == before)
		hsm_close(a.h);
	return a.rv;
}

CK_RV
mod_conf_load(void)
{
	const char *path = getenv("COFFER_PKCS11_CONF");
	char line[CONF_LINE_MAX], *p, *e;
	FILE *f;
	CK_RV rv = CKR_OK;

	if (path == NULL || *path == '\0')
		path = CONF_DEFAULT;
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? CKR_OK : CKR_GENERAL_ERROR;
	while (rv == CKR_OK && fgets(line, sizeof(line), f) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rv = CKR_GENERAL_ERROR; /* a line too long to be ours */
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (strncmp(p, "hsm", 3) != 0 ||
		    !isspace((unsigned char)p[3])) {
			rv = CKR_GENERAL_ERROR;
			break;
		}
		for (p += 3; isspace((unsigned char)*p); p++)
			;
		for (e = p + strlen(p); e > p && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		rv = *p == '\0' ? CKR_GENERAL_ERROR : add_hsm(p);
	}
	if (ferror(f))
		rv = CKR_GENERAL_ERROR;
	fclose(f);
	if (rv != CKR_OK)
		mod_slots_close();
	return rv;
}

void
mod_slots_close(void)
{
	size_t i;

	for (i = 0; i < mod.nslots; i++) {
		mod_keys_drop(&mod.slots[i]);
		session_close(mod.slots[i].login);
		mod.slots[i].login = NULL;
	}
	for (i = 0; i < mod.nslots; i++)
		if (mod.slots[i].owns_h)
			hsm_close(mod.slots[i].h);
	mod.nslots = 0;
}
