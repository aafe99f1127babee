#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "p11.h"
#include "p11uri.h"

int
p11uri_is(const char *s)
{
	return s != NULL && strncasecmp(s, "pkcs11:", 7) == 0;
}

/* Percent-decodes [p, p + n) into out (room bytes with the NUL). */
static int
decode(const char *name, const char *p, size_t n, char *out, size_t room)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c == '%') {
			if (i + 2 >= n) {
				err_set_detail("pkcs11: URI: '%s' ends in a "
				    "broken %%-escape", name);
				return CE_USAGE;
			}
			if ((hi = p11_hexval(p[i + 1])) < 0 ||
			    (lo = p11_hexval(p[i + 2])) < 0) {
				err_set_detail("pkcs11: URI: '%s' holds a bad "
				    "%%-escape (two hex digits follow %%)", name);
				return CE_USAGE;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
			if (c == '\0') {
				err_set_detail("pkcs11: URI: '%s' holds %%00",
				    name);
				return CE_USAGE;
			}
		}
		if (o + 1 >= room) {
			err_set_detail("pkcs11: URI: '%s' is longer than %zu "
			    "bytes", name, room - 1);
			return CE_USAGE;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int
p11uri_parse(const char *s, struct p11uri *u)
{
	static const char *const objattr[] = { "object", "id", "type",
	    "library-description", "library-manufacturer",
	    "library-version", "slot-description", "slot-manufacturer" };
	const char *p, *end, *eq;
	char name[32], num[24], *ep;
	size_t nlen, i;
	int r;

	memset(u, 0, sizeof(*u));
	if (!p11uri_is(s)) {
		err_set_detail("not a pkcs11: URI: '%s'", s);
		return CE_USAGE;
	}
	if (strchr(s, '?') != NULL) {
		err_set_detail("pkcs11: URI: no query part (pin-value, "
		    "pin-source, module-path): give the PIN with --pin-file "
		    "and the module with --module");
		return CE_USAGE;
	}
	for (p = s + 7; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p)
			continue;
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL ||
		    eq == p || (nlen = (size_t)(eq - p)) >= sizeof(name)) {
			err_set_detail("pkcs11: URI: '%.*s' is not "
			    "attribute=value", (int)(end - p), p);
			return CE_USAGE;
		}
		memcpy(name, p, nlen);
		name[nlen] = '\0';
		eq++;
#define FIELD(attr, field) \
		if (strcmp(name, attr) == 0) { \
			if (u->field[0] != '\0') \
				goto twice; \
			if ((r = decode(name, eq, (size_t)(end - eq), u->field, \
			    sizeof(u->field))) != 0) \
				return r; \
			if (u->field[0] == '\0') \
				goto empty; \
			continue; \
		}
		FIELD("token", token)
		FIELD("serial", serial)
		FIELD("manufacturer", manufacturer)
		FIELD("model", model)
#undef FIELD
		if (strcmp(name, "slot-id") == 0) {
			if (u->has_slot)
				goto twice;
			if ((r = decode(name, eq, (size_t)(end - eq), num,
			    sizeof(num))) != 0)
				return r;
			u->slot_id = strtoull(num, &ep, 10);
			if (num[0] < '0' || num[0] > '9' || *ep != '\0') {
				err_set_detail("pkcs11: URI: slot-id '%s' is "
				    "not a decimal number", num);
				return CE_USAGE;
			}
			u->has_slot = 1;
			continue;
		}
		for (i = 0; i < sizeof(objattr) / sizeof(objattr[0]); i++)
			if (strcmp(name, objattr[i]) == 0) {
				err_set_detail("pkcs11: URI: '%s' is not taken "
				    "here: a backup and a restore take the "
				    "whole token (name it by token= and/or "
				    "serial=)", name);
				return CE_USAGE;
			}
		err_set_detail("pkcs11: URI: unknown attribute '%s' (known: "
		    "token, serial, manufacturer, model, slot-id)", name);
		return CE_USAGE;
	}
	if (u->token[0] == '\0' && u->serial[0] == '\0') {
		err_set_detail("pkcs11: URI: name the token with token=LABEL "
		    "and/or serial=SERIAL");
		return CE_USAGE;
	}
	return 0;
 twice:
	err_set_detail("pkcs11: URI: '%s' is given twice", name);
	return CE_USAGE;
 empty:
	err_set_detail("pkcs11: URI: '%s' is empty", name);
	return CE_USAGE;
}

void
p11uri_unpad(const char *field, size_t len, char *out, size_t outsz)
{
	size_t n = strnlen(field, len);

	while (n > 0 && field[n - 1] == ' ')
		n--;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, field, n);
	out[n] = '\0';
}

static int
field_is(const char *want, const char *field, size_t len)
{
	char got[64];

	if (want[0] == '\0')
		return 1;
	p11uri_unpad(field, len, got, sizeof(got));
	return strcmp(want, got) == 0;
}

int
p11uri_match(const struct p11uri *u, const char *label, size_t llen,
    const char *serial, size_t slen, const char *manuf, size_t mlen,
    const char *model, size_t molen)
{
	return field_is(u->token, label, llen) &&
	    field_is(u->serial, serial, slen) &&
	    field_is(u->manufacturer, manuf, mlen) &&
	    field_is(u->model, model, molen);
}
