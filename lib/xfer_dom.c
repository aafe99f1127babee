/*
 * xfer_dom: the list of cloning domains a transfer or a sealed stream is
 * made under (struct xfer_domain, lib/xfer.h), checked in one place. It
 * sits below both users in the layers (docs/architecture.md): the sealed
 * stream (an encoding) and the transfer protocol need the same rule.
 */
#include <stddef.h>

#include "err.h"
#include "secret.h"
#include "xfer.h"

int
xfer_domains_check(const struct xfer_domain *doms, size_t ndoms)
{
	size_t i, j;

	if (doms == NULL || ndoms == 0 || ndoms > XFER_MAX_DOMAINS)
		return CE_INVALID;
	for (i = 0; i < ndoms; i++) {
		if (doms[i].key == NULL ||
		    secret_len(doms[i].key) != XFER_DOMAIN_KEY_LEN)
			return CE_INVALID;
		for (j = 0; j < i; j++)
			if (secret_equal(doms[i].key, doms[j].key))
				return CE_INVALID;
	}
	return 0;
}
