/*
 * activation: PED partitions an unattended job can log in to.
 *
 * On a PED HSM every role credential is a random secret held as an M-of-N
 * share set (lib/cred.h). Gathering M holders for every nightly backup is
 * not practical, so, as on a Luna PED HSM, the Crypto Officer or Crypto
 * User may be *activated*: after a login with its shares, the keys the
 * role's sessions use (the partition storage key and its generation, not
 * the role's secret) are cached in hsm.db, AES-256-GCM-wrapped under a key
 * derived with Argon2id (the partition's KDF profile, a fresh salt) from a
 * typed challenge secret. A job then logs in with the challenge alone; the
 * session it gets uses keys like the role's and sets no credential.
 * Deactivation drops the cache; `hsm partition rekey` makes any copy of it
 * useless. An activation made before this form cached the role's secret:
 * its next challenge login converts it.
 *
 * Rules (docs/hsm.md, docs/security.md):
 *   - PED HSMs only; the CO and the CU only. The PO (and the HSM SO) can
 *     never be activated: administration always needs the shares.
 *   - Only while the partition's `activation` policy is on (the default;
 *     the PO turns it off, which drops every activation of the partition).
 *   - A wrong challenge is a failed login of the role: it counts toward
 *     the partition's lockout like a wrong share combination.
 *   - The activation is dropped by deactivation, by the role's credential
 *     change or reset, when the role locks out, and by any zeroization.
 *   - Each activation, deactivation and drop is an audit event.
 */
#ifndef COFFER_ACTIVATION_H
#define COFFER_ACTIVATION_H

struct hsm;
struct secret;
struct session;

/* Shortest challenge secret accepted: it stands in for M shares. */
#define ACTIVATION_CHALLENGE_MIN 8

/*
 * Says whether role may be activated on h: 0, or CE_POLICY (the PO, the
 * SO) or CE_UNSUPPORTED (a password HSM) with a detail line. Lets a tool
 * refuse before it reads any share.
 */
int activation_check(struct hsm *h, int role);

/*
 * Logs role (ROLE_CO or ROLE_CU) of partition label in with its credential
 * cred (the recombined share secret; a wrong one counts as a failed login)
 * and caches cred under challenge, replacing an earlier activation.
 * CE_UNSUPPORTED on a password HSM, CE_POLICY for the PO, CE_INVALID for a
 * challenge shorter than ACTIVATION_CHALLENGE_MIN.
 */
int role_activate(struct hsm *h, const char *label, int role,
    const struct secret *cred, const struct secret *challenge);

/*
 * Drops the activation of role (CO or CU). Allowed to a session of that
 * role or of the PO. *wasp (may be NULL) says whether one was there.
 */
int role_deactivate(struct session *s, int role, int *wasp);

/*
 * Logs role in with the challenge secret of its activation. CE_POLICY when
 * the role is not activated (or is the PO); a wrong challenge counts as a
 * failed login (CE_BAD_CREDENTIAL, CE_LOCKED as session_login()).
 */
int session_login_challenge(struct hsm *h, const char *label, int role,
    const struct secret *challenge, struct session **sp);

#endif
