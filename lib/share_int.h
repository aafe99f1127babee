/*
 * share_int: the share record as the share modules see it. Not for tools:
 * they use the accessors in share.h.
 */
#ifndef COFFER_SHARE_INT_H
#define COFFER_SHARE_INT_H

#include "share.h"

struct share {
	uint8_t set_id[SHARE_SET_ID_LEN];
	uint8_t m, n, index, x;
	uint8_t check[SHARE_CHECK_LEN];
	size_t secret_len;
	struct secret *y;      /* secret_len + SHARE_BLIND_LEN bytes */
	int pin_protected;     /* where it was read from, for inspect */
	int kdf_profile;
};

/* Returns a new share with y allocated for secret_len, or NULL. */
struct share *share_alloc(size_t secret_len);

/* Returns 0 when the metadata of sh is in range, else CE_FORMAT. */
int share_check_fields(const struct share *sh);

#endif
