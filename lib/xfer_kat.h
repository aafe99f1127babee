/*
 * xfer_kat: deterministic entry points for the known-answer tests of
 * docs/formats.md 5.9. The public xfer_initiate()/xfer_accept() draw the
 * nonce and the ephemeral key from the CSPRNG and call these; tests call
 * them with the documented fixed values to reproduce the vectors. Nothing
 * but tests includes this header: a fixed nonce or key in production would
 * break forward secrecy.
 */
#ifndef COFFER_XFER_KAT_H
#define COFFER_XFER_KAT_H

#include "xfer.h"
#include "xfer_frame.h"

#define XFER_KAT_PRIV_LEN 48

int xfer_initiate_kat(struct chan *c, const struct xfer_domain *doms,
    size_t ndoms, uint64_t serial, int mode,
    const uint8_t nonce[XF_NONCE_LEN], const uint8_t priv[XFER_KAT_PRIV_LEN],
    struct xfer **xp);
int xfer_accept_kat(struct chan *c, const struct xfer_domain *doms,
    size_t ndoms, uint64_t serial, const uint8_t nonce[XF_NONCE_LEN],
    const uint8_t priv[XFER_KAT_PRIV_LEN], struct xfer **xp);

#endif
