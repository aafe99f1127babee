#include <stdarg.h>
#include <stdio.h>

#include "err.h"

static _Thread_local char detail[1024];

const char *
err_str(int r)
{
	switch (r) {
	case CE_OK: return "success";
	case CE_NOMEM: return "out of memory";
	case CE_INVALID: return "invalid argument";
	case CE_USAGE: return "bad usage";
	case CE_TRUNCATED: return "input is truncated";
	case CE_TOO_LONG: return "length exceeds the allowed maximum";
	case CE_TRAILING: return "unexpected trailing data";
	case CE_FORMAT: return "malformed data";
	case CE_VERSION: return "unsupported format version";
	case CE_CRYPTO: return "cryptographic library failure";
	case CE_AUTH_TAG: return "authentication failed: data was altered or the key is wrong";
	case CE_BAD_CREDENTIAL: return "wrong credential";
	case CE_LOCKED: return "role is locked out";
	case CE_ZEROIZED: return "zeroized";
	case CE_DOMAIN_MISMATCH: return "no cloning domain in common";
	case CE_POLICY: return "refused by policy";
	case CE_NOT_FOUND: return "not found";
	case CE_EXISTS: return "already exists";
	case CE_IO: return "input/output error";
	case CE_DB: return "HSM store error";
	case CE_FULL: return "full";
	case CE_INTEGRITY: return "integrity check failed: data is tampered or truncated";
	case CE_NOT_LOGGED_IN: return "not logged in";
	case CE_PERMISSION: return "role is not permitted to do this";
	case CE_SHARE_TOO_FEW: return "too few shares to reach the threshold";
	case CE_SHARE_MIXED: return "shares belong to different share sets";
	case CE_SHARE_DUP: return "the same share was given twice";
	case CE_SHARE_CORRUPT: return "a share is corrupted";
	case CE_PROTOCOL: return "transfer protocol violation";
	case CE_PEER_CLOSED: return "peer closed the connection";
	case CE_CONFLICT: return "label already exists on the target";
	case CE_BUSY: return "store is busy";
	case CE_UNSUPPORTED: return "not supported";
	}
	return "unknown error";
}

const char *
err_name(int r)
{
	switch (r) {
	case CE_OK: return "ok";
	case CE_NOMEM: return "no_memory";
	case CE_INVALID: return "invalid";
	case CE_USAGE: return "usage";
	case CE_TRUNCATED: return "truncated";
	case CE_TOO_LONG: return "too_long";
	case CE_TRAILING: return "trailing_data";
	case CE_FORMAT: return "format";
	case CE_VERSION: return "version";
	case CE_CRYPTO: return "crypto";
	case CE_AUTH_TAG: return "auth_tag";
	case CE_BAD_CREDENTIAL: return "bad_credential";
	case CE_LOCKED: return "locked";
	case CE_ZEROIZED: return "zeroized";
	case CE_DOMAIN_MISMATCH: return "domain_mismatch";
	case CE_POLICY: return "policy";
	case CE_NOT_FOUND: return "not_found";
	case CE_EXISTS: return "exists";
	case CE_IO: return "io";
	case CE_DB: return "db";
	case CE_FULL: return "full";
	case CE_INTEGRITY: return "integrity";
	case CE_NOT_LOGGED_IN: return "not_logged_in";
	case CE_PERMISSION: return "permission";
	case CE_SHARE_TOO_FEW: return "share_too_few";
	case CE_SHARE_MIXED: return "share_mixed";
	case CE_SHARE_DUP: return "share_dup";
	case CE_SHARE_CORRUPT: return "share_corrupt";
	case CE_PROTOCOL: return "protocol";
	case CE_PEER_CLOSED: return "peer_closed";
	case CE_CONFLICT: return "conflict";
	case CE_BUSY: return "busy";
	case CE_UNSUPPORTED: return "unsupported";
	}
	return "error";
}

int
err_exit_code(int r)
{
	switch (r) {
	case CE_OK:
		return 0;
	case CE_USAGE:
		return 2;
	case CE_BAD_CREDENTIAL:
	case CE_LOCKED:
	case CE_ZEROIZED:
	case CE_DOMAIN_MISMATCH:
	case CE_POLICY:
	case CE_NOT_LOGGED_IN:
	case CE_PERMISSION:
	case CE_SHARE_TOO_FEW:
	case CE_SHARE_MIXED:
	case CE_SHARE_DUP:
	case CE_SHARE_CORRUPT:
		return 3;
	case CE_INTEGRITY:
	case CE_AUTH_TAG:
	case CE_TRUNCATED:
	case CE_TRAILING:
		return 4;
	}
	return 1;
}

void
err_set_detail(const char *fmt, ...)
{
	va_list ap;

	if (fmt == NULL) {
		detail[0] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
}

const char *
err_detail(void)
{
	return detail;
}
