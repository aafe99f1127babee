/*
 * p11uri: RFC 7512 "pkcs11:" URIs naming a whole token, as `backupd backup
 * --from` and `restore --to` take them (docs/pkcs11.md "BACKING UP A
 * TOKEN").
 *
 *   pkcs11:token=LABEL;serial=SERIAL;manufacturer=M;model=M
 *
 * Path attributes are separated by ';', values percent-decoded (%XX).
 * token, serial, manufacturer and model select the token (at least one of
 * token and serial is required); slot-id selects a slot. A backup takes a
 * whole token, so object=, id= and type= are refused with a detail that
 * says so, as is any attribute this parser does not know: a URI that
 * names something Coffer would not honour must not match another token.
 * The query part is refused too: the PIN comes from --pin-file (never
 * pin-value in argv), the module from --module.
 */
#ifndef COFFER_P11URI_H
#define COFFER_P11URI_H

#include <stdint.h>

/* CK_TOKEN_INFO field sizes. */
#define P11URI_LABEL_MAX 32
#define P11URI_SERIAL_MAX 16
#define P11URI_MANUF_MAX 32
#define P11URI_MODEL_MAX 16

struct p11uri {
	char token[P11URI_LABEL_MAX + 1];   /* "" when not given */
	char serial[P11URI_SERIAL_MAX + 1];
	char manufacturer[P11URI_MANUF_MAX + 1];
	char model[P11URI_MODEL_MAX + 1];
	int has_slot;
	uint64_t slot_id;
};

/* 1 when s starts with "pkcs11:" (case-insensitive scheme), else 0. */
int p11uri_is(const char *s);

/*
 * Parses s into u. CE_USAGE with a detail naming the attribute for a
 * malformed URI, a bad %-escape, a value too long for its field, an
 * attribute given twice, an object attribute, a query, or an unknown
 * attribute.
 */
int p11uri_parse(const char *s, struct p11uri *u);

/*
 * 1 when a token's fields (CK_TOKEN_INFO's, blank-padded, padding allowed)
 * match every attribute u gives, else 0.
 */
int p11uri_match(const struct p11uri *u, const char *label, size_t llen,
    const char *serial, size_t slen, const char *manuf, size_t mlen,
    const char *model, size_t molen);

/* Copies a blank-padded CK_TOKEN_INFO field without the padding. */
void p11uri_unpad(const char *field, size_t len, char *out, size_t outsz);

#endif
