#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "cbk_manifest.h"
#include "err.h"
#include "utc.h"

#define HEADER_ENTRY "header.bin"
#define RECORDS_ENTRY "records.bin"

const char *
cbk_partition_version_str(int v)
{
	return v == 1 ? "V1" : "V0";
}

/* A field is 1..max bytes with no control characters (UTF-8 is fine). */
static int
text_ok(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max || strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* A text member the writer supplies: its name (for messages) and limit. */
struct text_field {
	const char *name, *v;
	size_t max;
};

/* 0 when every field is 1..max bytes of text, else CE_INVALID naming it. */
static int
fields_ok(const struct text_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!text_ok(f[i].v, strnlen(f[i].v, f[i].max + 1), f[i].max)) {
			err_set_detail("%s must be 1 to %zu bytes without control "
			    "characters", f[i].name, f[i].max);
			return CE_INVALID;
		}
	return 0;
}

/* The members version 2 adds: the source HSM, the profile, the domains. */
static int
check_v2(const struct cbk_manifest *m)
{
	const struct text_field f[] = {
		{ "source HSM serial", m->hsm_serial, CBK_SERIAL_MAX },
		{ "source HSM label", m->hsm_label, CBK_HSM_LABEL_MAX },
		{ "KDF profile", m->kdf, CBK_WORD_MAX },
	};
	size_t i;
	int r;

	if ((r = fields_ok(f, sizeof(f) / sizeof(f[0]))) != 0)
		return r;
	if (m->ndomains < 1 || m->ndomains > CBK_DOMAINS_MAX) {
		err_set_detail("a backup records 1 to %d cloning domains",
		    CBK_DOMAINS_MAX);
		return CE_INVALID;
	}
	for (i = 0; i < m->ndomains; i++) {
		const struct cbk_domain *d = &m->domains[i];
		const struct text_field df[] = {
			{ "domain label", d->label, CBK_DOMAIN_LABEL_MAX },
			{ "domain type", d->type, CBK_WORD_MAX },
			{ "domain profile", d->kdf, CBK_WORD_MAX },
		};

		if ((r = fields_ok(df, sizeof(df) / sizeof(df[0]))) != 0)
			return r;
	}
	if (m->policies.storage_size > INT64_MAX ||
	    m->policies.lockout > 1000) {
		err_set_detail("a policy value is out of range");
		return CE_INVALID;
	}
	return 0;
}

int
cbk_manifest_check(const struct cbk_manifest *m)
{
	const struct text_field f[] = {
		{ "source label", m->label, CBK_LABEL_MAX },
		{ "source serial", m->serial, CBK_SERIAL_MAX },
		{ "tool version", m->tool_version, CBK_TOOL_MAX },
	};
	int r;

	if (m->format_version < 1 || m->format_version > CBK_FORMAT_VERSION) {
		err_set_detail("format version must be 1 to %d",
		    CBK_FORMAT_VERSION);
		return CE_INVALID;
	}
	if ((r = fields_ok(f, sizeof(f) / sizeof(f[0]))) != 0)
		return r;
	if (m->format_version >= 2 && (r = check_v2(m)) != 0)
		return r;
	if (m->partition_version != 0 && m->partition_version != 1) {
		err_set_detail("partition version must be V0 or V1");
		return CE_INVALID;
	}
	if (m->created < 0 || m->created > UTC_MAX) {
		err_set_detail("creation time is out of range");
		return CE_INVALID;
	}
	if (m->object_count > INT64_MAX || m->plain_bytes > INT64_MAX ||
	    m->header_size > INT64_MAX || m->records_size > INT64_MAX) {
		err_set_detail("a count or size is out of range");
		return CE_INVALID;
	}
	return 0;
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static json_t *
hex_new(const uint8_t *p, size_t n)
{
	char h[2 * CC_HASH_LEN + 1];

	hex(p, n, h);
	return json_string(h);
}

static json_t *
entry_new(const char *name, uint64_t size, const uint8_t sha[CC_HASH_LEN])
{
	char h[2 * CC_HASH_LEN + 1];

	hex(sha, CC_HASH_LEN, h);
	return json_pack("{s:s, s:I, s:s}", "name", name, "size",
	    (json_int_t)size, "sha384", h);
}

static json_t *
domains_new(const struct cbk_manifest *m)
{
	json_t *a = json_array();
	size_t i;

	json_t *d;

	for (i = 0; a != NULL && i < m->ndomains; i++) {
		d = json_pack("{s:s, s:s, s:s, s:o}",
		    "label", m->domains[i].label, "type", m->domains[i].type,
		    "kdf", m->domains[i].kdf, "check",
		    hex_new(m->domains[i].check, CBK_CHECK_LEN));
		if (d != NULL && m->format_version >= 3 &&
		    m->domains[i].salted && json_object_set_new(d, "salt",
		    hex_new(m->domains[i].salt, CBK_SALT_LEN)) != 0) {
			json_decref(d);
			d = NULL;
		}
		if (json_array_append_new(a, d) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Version 2: version 1's members plus the source HSM, policies, domains;
 * version 3 the same with a salt in each form 2 password domain. */
static json_t *
encode_v2(const struct cbk_manifest *m, const char *created)
{
	const struct cbk_policies *p = &m->policies;

	return json_pack("{s:s, s:i, s:s, s:s, "
	    "s:{s:s, s:s, s:s, s:s, s:s, s:s}, "
	    "s:{s:b, s:I, s:i, s:b}, s:o, s:o, s:I, s:I, s:[o, o]}",
	    "format", CBK_FORMAT_NAME,
	    "format_version", m->format_version,
	    "created", created,
	    "tool_version", m->tool_version,
	    "source",
	        "label", m->label,
	        "serial", m->serial,
	        "partition_version", cbk_partition_version_str(m->partition_version),
	        "hsm_serial", m->hsm_serial,
	        "hsm_label", m->hsm_label,
	        "kdf", m->kdf,
	    "policies",
	        "allow_cloning", p->allow_cloning,
	        "storage_size", (json_int_t)p->storage_size,
	        "lockout", (int)p->lockout,
	        "activation", p->activation,
	    "domain_salt", hex_new(m->domain_salt, CBK_SALT_LEN),
	    "domains", domains_new(m),
	    "object_count", (json_int_t)m->object_count,
	    "plain_bytes", (json_int_t)m->plain_bytes,
	    "entries",
	        entry_new(HEADER_ENTRY, m->header_size, m->header_sha384),
	        entry_new(RECORDS_ENTRY, m->records_size, m->records_sha384));
}

int
cbk_manifest_encode(const struct cbk_manifest *m, struct buf **bp)
{
	json_t *root = NULL;
	char created[UTC_ISO_LEN + 1];
	char *text = NULL;
	struct buf *b = NULL;
	int r;

	if ((r = cbk_manifest_check(m)) != 0 ||
	    (r = utc_iso(m->created, created)) != 0)
		goto out;
	if (m->format_version >= 2)
		root = encode_v2(m, created);
	else
		root = json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:s, s:s}, s:I, "
	    "s:I, s:[o, o]}",
	    "format", CBK_FORMAT_NAME,
	    "format_version", 1,
	    "created", created,
	    "tool_version", m->tool_version,
	    "source",
	        "label", m->label,
	        "serial", m->serial,
	        "partition_version", cbk_partition_version_str(m->partition_version),
	    "object_count", (json_int_t)m->object_count,
	    "plain_bytes", (json_int_t)m->plain_bytes,
	    "entries",
	        entry_new(HEADER_ENTRY, m->header_size, m->header_sha384),
	        entry_new(RECORDS_ENTRY, m->records_size, m->records_sha384));
	if (root == NULL ||
	    (text = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII |
	    JSON_PRESERVE_ORDER)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((b = buf_new(CBK_MANIFEST_MAX)) == NULL) {
		r = CE_NOMEM;
		goto out;
	}
	if ((r = buf_put(b, text, strlen(text))) != 0 ||
	    (r = buf_put_u8(b, '\n')) != 0)
		goto out;
	*bp = b;
	b = NULL;
	r = 0;
 out:
	free(text);
	json_decref(root);
	buf_free(b);
	return r;
}

/* --- parsing --- */

static int
bad(const char *field, const char *why)
{
	err_set_detail("manifest.json: '%s' %s", field, why);
	return CE_FORMAT;
}

/* Requires obj to hold exactly the n keys in keys[] (no more, no fewer). */
static int
exact_keys(const json_t *obj, const char *where, const char *const *keys,
    size_t n)
{
	size_t i;

	if (!json_is_object(obj))
		return bad(where, "is not an object");
	for (i = 0; i < n; i++)
		if (json_object_get(obj, keys[i]) == NULL) {
			err_set_detail("manifest.json: '%s' lacks '%s'", where,
			    keys[i]);
			return CE_FORMAT;
		}
	if (json_object_size(obj) != n)
		return bad(where, "has unknown fields");
	return 0;
}

static int
get_text(const json_t *obj, const char *key, const char *field, size_t max,
    char *out)
{
	const json_t *v = json_object_get(obj, key);
	const char *s;
	size_t len;

	if (!json_is_string(v))
		return bad(field, "is not a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (!text_ok(s, len, max))
		return bad(field, "is empty, too long or holds control characters");
	memcpy(out, s, len + 1);
	return 0;
}

static int
get_u64(const json_t *obj, const char *key, const char *field, uint64_t *vp)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(field, "is not a non-negative integer");
	*vp = (uint64_t)json_integer_value(v);
	return 0;
}

/* n bytes from exactly 2n lowercase hex digits; -1 otherwise. */
static int
unhex(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (len != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = s[2 * i];
		lo = s[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' :
		    hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' :
		    lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
get_hex(const json_t *obj, const char *key, const char *field, uint8_t *out,
    size_t n)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) ||
	    unhex(json_string_value(v), json_string_length(v), out, n) != 0) {
		err_set_detail("manifest.json: '%s' is not %zu lowercase hex "
		    "digits", field, 2 * n);
		return CE_FORMAT;
	}
	return 0;
}

static int
get_entry(const json_t *arr, size_t i, const char *name, uint64_t *sizep,
    uint8_t sha[CC_HASH_LEN])
{
	static const char *const keys[] = { "name", "size", "sha384" };
	const json_t *e = json_array_get(arr, i), *v;
	char field[32];
	int r;

	snprintf(field, sizeof(field), "entries[%zu]", i);
	if ((r = exact_keys(e, field, keys, 3)) != 0)
		return r;
	v = json_object_get(e, "name");
	if (!json_is_string(v) || strcmp(json_string_value(v), name) != 0) {
		err_set_detail("manifest.json: entries[%zu] must be '%s'", i, name);
		return CE_FORMAT;
	}
	if ((r = get_u64(e, "size", field, sizep)) != 0)
		return r;
	return get_hex(e, "sha384", field, sha, CC_HASH_LEN);
}

static int
get_flag(const json_t *obj, const char *key, const char *field, int *vp)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_boolean(v))
		return bad(field, "is not true or false");
	*vp = json_is_true(v);
	return 0;
}

static int
parse_domain(const json_t *a, size_t i, int version, struct cbk_domain *d)
{
	static const char *const keys[] = { "label", "type", "kdf", "check",
	    "salt" };
	const json_t *e = json_array_get(a, i);
	char field[32];
	int r;

	snprintf(field, sizeof(field), "domains[%zu]", i);
	/* Version 3: "salt" for a form 2 password domain, absent otherwise. */
	d->salted = version >= 3 && json_object_get(e, "salt") != NULL;
	if (d->salted && (r = get_hex(e, "salt", field, d->salt,
	    CBK_SALT_LEN)) != 0)
		return r;
	if ((r = exact_keys(e, field, keys, d->salted ? 5 : 4)) != 0 ||
	    (r = get_text(e, "label", field, CBK_DOMAIN_LABEL_MAX,
	    d->label)) != 0 ||
	    (r = get_text(e, "type", field, CBK_WORD_MAX, d->type)) != 0 ||
	    (r = get_text(e, "kdf", field, CBK_WORD_MAX, d->kdf)) != 0 ||
	    (r = get_hex(e, "check", field, d->check, CBK_CHECK_LEN)) != 0)
		return r;
	return 0;
}

/* What version 2 adds: source HSM and profile, policies, domains. */
static int
parse_v2(const json_t *root, const json_t *src, struct cbk_manifest *m)
{
	static const char *const pkeys[] = { "allow_cloning", "storage_size",
	    "lockout", "activation" };
	const json_t *pol = json_object_get(root, "policies");
	const json_t *doms = json_object_get(root, "domains");
	uint64_t v;
	size_t i;
	int r;

	if ((r = get_text(src, "hsm_serial", "source.hsm_serial",
	    CBK_SERIAL_MAX, m->hsm_serial)) != 0 ||
	    (r = get_text(src, "hsm_label", "source.hsm_label",
	    CBK_HSM_LABEL_MAX, m->hsm_label)) != 0 ||
	    (r = get_text(src, "kdf", "source.kdf", CBK_WORD_MAX,
	    m->kdf)) != 0)
		return r;
	if ((r = exact_keys(pol, "policies", pkeys, 4)) != 0 ||
	    (r = get_flag(pol, "allow_cloning", "policies.allow_cloning",
	    &m->policies.allow_cloning)) != 0 ||
	    (r = get_u64(pol, "storage_size", "policies.storage_size",
	    &m->policies.storage_size)) != 0 ||
	    (r = get_u64(pol, "lockout", "policies.lockout", &v)) != 0 ||
	    (r = get_flag(pol, "activation", "policies.activation",
	    &m->policies.activation)) != 0)
		return r;
	if (v > 1000)
		return bad("policies.lockout", "is out of range");
	m->policies.lockout = (unsigned)v;
	if ((r = get_hex(root, "domain_salt", "domain_salt", m->domain_salt,
	    CBK_SALT_LEN)) != 0)
		return r;
	if (!json_is_array(doms) || json_array_size(doms) < 1 ||
	    json_array_size(doms) > CBK_DOMAINS_MAX)
		return bad("domains", "is not an array of 1 to 3 domains");
	m->ndomains = json_array_size(doms);
	for (i = 0; i < m->ndomains; i++)
		if ((r = parse_domain(doms, i, m->format_version,
		    &m->domains[i])) != 0)
			return r;
	return 0;
}

/* format and format_version first: a newer version may differ in shape. */
static int
check_version(const json_t *root, struct cbk_manifest *m)
{
	const json_t *f = json_object_get(root, "format");
	const json_t *v = json_object_get(root, "format_version");

	if (!json_is_string(f) || strcmp(json_string_value(f), CBK_FORMAT_NAME))
		return bad("format", "is not \"" CBK_FORMAT_NAME "\"");
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return bad("format_version", "is not a positive integer");
	if (json_integer_value(v) > CBK_FORMAT_VERSION) {
		err_set_detail("manifest.json: format_version %lld is newer than "
		    "this Coffer reads (%d); upgrade Coffer",
		    (long long)json_integer_value(v), CBK_FORMAT_VERSION);
		return CE_VERSION;
	}
	m->format_version = (int)json_integer_value(v);
	return 0;
}

static int
parse_root(const json_t *root, struct cbk_manifest *m)
{
	/* Version 1's members are the first 8 and 3; version 2 adds the rest. */
	static const char *const keys[] = { "format", "format_version",
	    "created", "tool_version", "source", "object_count", "plain_bytes",
	    "entries", "policies", "domain_salt", "domains" };
	static const char *const skeys[] = { "label", "serial",
	    "partition_version", "hsm_serial", "hsm_label", "kdf" };
	const json_t *src, *v, *entries;
	int r, v2;

	if (!json_is_object(root))
		return bad("(top)", "is not an object");
	if ((r = check_version(root, m)) != 0)
		return r;
	v2 = m->format_version >= 2;
	if ((r = exact_keys(root, "(top)", keys, v2 ? 11 : 8)) != 0)
		return r;
	v = json_object_get(root, "created");
	if (!json_is_string(v) || json_string_length(v) != UTC_ISO_LEN ||
	    utc_parse_iso(json_string_value(v), &m->created) != 0)
		return bad("created", "is not a UTC time YYYY-MM-DDThh:mm:ssZ");
	if ((r = get_text(root, "tool_version", "tool_version", CBK_TOOL_MAX,
	    m->tool_version)) != 0)
		return r;
	src = json_object_get(root, "source");
	if ((r = exact_keys(src, "source", skeys, v2 ? 6 : 3)) != 0 ||
	    (r = get_text(src, "label", "source.label", CBK_LABEL_MAX,
	    m->label)) != 0 ||
	    (r = get_text(src, "serial", "source.serial", CBK_SERIAL_MAX,
	    m->serial)) != 0)
		return r;
	v = json_object_get(src, "partition_version");
	if (json_is_string(v) && strcmp(json_string_value(v), "V0") == 0)
		m->partition_version = 0;
	else if (json_is_string(v) && strcmp(json_string_value(v), "V1") == 0)
		m->partition_version = 1;
	else
		return bad("source.partition_version", "is not \"V0\" or \"V1\"");
	if (v2 && (r = parse_v2(root, src, m)) != 0)
		return r;
	if ((r = get_u64(root, "object_count", "object_count",
	    &m->object_count)) != 0 ||
	    (r = get_u64(root, "plain_bytes", "plain_bytes",
	    &m->plain_bytes)) != 0)
		return r;
	entries = json_object_get(root, "entries");
	if (!json_is_array(entries) || json_array_size(entries) != 2)
		return bad("entries", "is not an array of two entries");
	if ((r = get_entry(entries, 0, HEADER_ENTRY, &m->header_size,
	    m->header_sha384)) != 0 ||
	    (r = get_entry(entries, 1, RECORDS_ENTRY, &m->records_size,
	    m->records_sha384)) != 0)
		return r;
	return 0;
}

int
cbk_manifest_parse(const struct buf *b, struct cbk_manifest *mp)
{
	struct cbk_manifest m;
	json_error_t jerr;
	json_t *root = NULL;
	int r;

	memset(&m, 0, sizeof(m));
	if (buf_len(b) > CBK_MANIFEST_MAX) {
		err_set_detail("manifest.json is larger than %u bytes",
		    CBK_MANIFEST_MAX);
		return CE_TOO_LONG;
	}
	/* Duplicate keys refused: two "size" fields would mean two readings. */
	root = json_loadb((const char *)buf_ptr(b), buf_len(b),
	    JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		err_set_detail("manifest.json: line %d column %d: %.120s",
		    jerr.line, jerr.column, jerr.text);
		return CE_FORMAT;
	}
	if ((r = parse_root(root, &m)) != 0)
		goto out;
	*mp = m;
	r = 0;
 out:
	json_decref(root);
	return r;
}

static int
put_str(struct buf *b, const char *s)
{
	return buf_put_string(b, s, strlen(s));
}

/* Version 2's members, after version 1's (docs/formats.md 7.8). */
static int
ad_v2(struct buf *b, const struct cbk_manifest *m)
{
	const struct cbk_policies *p = &m->policies;
	size_t i;
	int r;

	if ((r = put_str(b, m->hsm_serial)) != 0 ||
	    (r = put_str(b, m->hsm_label)) != 0 ||
	    (r = put_str(b, m->kdf)) != 0 ||
	    (r = buf_put_u8(b, (uint8_t)(p->allow_cloning != 0))) != 0 ||
	    (r = buf_put_u64(b, p->storage_size)) != 0 ||
	    (r = buf_put_u32(b, p->lockout)) != 0 ||
	    (r = buf_put_u8(b, (uint8_t)(p->activation != 0))) != 0 ||
	    (r = buf_put(b, m->domain_salt, CBK_SALT_LEN)) != 0 ||
	    (r = buf_put_u8(b, (uint8_t)m->ndomains)) != 0)
		return r;
	for (i = 0; i < m->ndomains; i++) {
		const struct cbk_domain *d = &m->domains[i];

		if ((r = put_str(b, d->label)) != 0 ||
		    (r = put_str(b, d->type)) != 0 ||
		    (r = put_str(b, d->kdf)) != 0 ||
		    (r = buf_put(b, d->check, CBK_CHECK_LEN)) != 0)
			return r;
		if (m->format_version >= 3 &&
		    ((r = buf_put_u8(b, (uint8_t)(d->salted != 0))) != 0 ||
		    (d->salted && (r = buf_put(b, d->salt, CBK_SALT_LEN)) != 0)))
			return r;
	}
	return 0;
}

int
cbk_manifest_ad(const struct cbk_manifest *m, uint8_t out[CC_HASH_LEN])
{
	static const char *const tags[] = { "coffer-cbk-ad 1",
	    "coffer-cbk-ad 2", "coffer-cbk-ad 3" };
	const char *tag;
	struct buf *b;
	int r;

	if (m->format_version < 1 || m->format_version > CBK_FORMAT_VERSION)
		return CE_INVALID;
	tag = tags[m->format_version - 1];
	if ((b = buf_new(CBK_MANIFEST_MAX)) == NULL)
		return CE_NOMEM;
	if ((r = buf_put(b, tag, strlen(tag))) != 0 ||
	    (r = buf_put_u32(b, (uint32_t)m->format_version)) != 0 ||
	    (r = buf_put_u64(b, (uint64_t)m->created)) != 0 ||
	    (r = buf_put_string(b, m->tool_version,
	    strlen(m->tool_version))) != 0 ||
	    (r = buf_put_string(b, m->label, strlen(m->label))) != 0 ||
	    (r = buf_put_string(b, m->serial, strlen(m->serial))) != 0 ||
	    (r = buf_put_u8(b, (uint8_t)m->partition_version)) != 0 ||
	    (r = buf_put_u64(b, m->object_count)) != 0 ||
	    (r = buf_put_u64(b, m->plain_bytes)) != 0 ||
	    (r = buf_put_u64(b, m->records_size)) != 0 ||
	    (r = buf_put(b, m->records_sha384, CC_HASH_LEN)) != 0 ||
	    (m->format_version >= 2 && (r = ad_v2(b, m)) != 0))
		goto out;
	r = cc_sha384(buf_ptr(b), buf_len(b), out);
 out:
	buf_free(b);
	return r;
}
