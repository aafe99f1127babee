/*
 * cbk_manifest: the manifest.json of a backup partition archive (.cbk), the
 * one part of a backup anyone may read: where it came from, when, what it
 * holds, and the size and SHA-384 of the entries that follow it.
 *
 * Encoding and parsing go through jansson; the parser is strict (every field
 * required and typed, no unknown or duplicate keys, hard length limits) so a
 * manifest is either exactly what a writer produced or refused. A malformed
 * manifest is CE_FORMAT and a newer format_version CE_VERSION, each with a
 * detail line naming the field. docs/formats.md section 7 specifies it.
 */
#ifndef COFFER_CBK_MANIFEST_H
#define COFFER_CBK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct buf;

#define CBK_FORMAT_NAME "coffer-backup-partition"
#define CBK_FORMAT_VERSION 3             /* written; 1, 2 and 3 are read */
#define CBK_MANIFEST_MAX (64u * 1024)   /* bytes of manifest.json */
#define CBK_LABEL_MAX 64                /* bytes of a source label */
#define CBK_SERIAL_MAX 64               /* bytes of a source serial */
#define CBK_TOOL_MAX 64                 /* bytes of the tool version */
#define CBK_HSM_LABEL_MAX 32            /* bytes of the source HSM's label */
#define CBK_WORD_MAX 15                 /* a KDF profile or domain type */
#define CBK_DOMAINS_MAX 3
#define CBK_DOMAIN_LABEL_MAX 32
#define CBK_CHECK_LEN 16                /* a domain check (docs/formats.md 7.3) */
#define CBK_SALT_LEN 16

/* A cloning domain of the source, as a backup records it (version 2). */
struct cbk_domain {
	char label[CBK_DOMAIN_LABEL_MAX + 1];
	char type[CBK_WORD_MAX + 1];   /* "password" or "ped" */
	char kdf[CBK_WORD_MAX + 1];    /* its Argon2id profile (password) */
	uint8_t check[CBK_CHECK_LEN];  /* domain_check() under domain_salt */
	/* Version 3: a form 2 password domain's public salt (lib/domain.h). */
	int salted;
	uint8_t salt[CBK_SALT_LEN];
};

/* The source partition's policies (version 2). */
struct cbk_policies {
	int allow_cloning;             /* 0/1 */
	uint64_t storage_size;         /* bytes */
	unsigned lockout;              /* failed logins before a lock */
	int activation;                /* 0/1 (PED HSMs) */
};

struct cbk_manifest {
	int format_version;            /* CBK_FORMAT_VERSION */
	int64_t created;               /* UTC seconds; names the backup */
	char tool_version[CBK_TOOL_MAX + 1];
	char label[CBK_LABEL_MAX + 1];   /* source partition label */
	char serial[CBK_SERIAL_MAX + 1]; /* source partition serial */
	int partition_version;         /* 0 (V0) or 1 (V1) */
	/* Version 2: who the source is and what restores it whole. */
	char hsm_serial[CBK_SERIAL_MAX + 1];
	char hsm_label[CBK_HSM_LABEL_MAX + 1];
	char kdf[CBK_WORD_MAX + 1];    /* the partition's credential profile */
	struct cbk_policies policies;
	uint8_t domain_salt[CBK_SALT_LEN];
	size_t ndomains;               /* 1..CBK_DOMAINS_MAX */
	struct cbk_domain domains[CBK_DOMAINS_MAX];
	uint64_t object_count;
	uint64_t plain_bytes;          /* record bytes before compression; 0 = not given */
	uint64_t header_size;          /* header.bin */
	uint8_t header_sha384[CC_HASH_LEN];
	uint64_t records_size;         /* records.bin */
	uint8_t records_sha384[CC_HASH_LEN];
};

/*
 * Checks the fields a writer supplies (format_version 1 or 2; label,
 * serial, tool version: 1..max printable bytes, no control characters;
 * version 0 or 1; created in range; for version 2 also the source HSM, the
 * KDF profile and 1..3 domains).
 * Returns 0 or CE_INVALID with a detail line.
 */
int cbk_manifest_check(const struct cbk_manifest *m);

/* Encodes m as JSON (ASCII, indented, newline-terminated) into a new *bp. */
int cbk_manifest_encode(const struct cbk_manifest *m, struct buf **bp);

/*
 * Parses all unread bytes of b into *mp. Returns 0, CE_TOO_LONG (over
 * CBK_MANIFEST_MAX), CE_VERSION (a newer format_version) or CE_FORMAT.
 */
int cbk_manifest_parse(const struct buf *b, struct cbk_manifest *mp);

/*
 * The associated data a backup's sealed header binds (docs/formats.md 7.8):
 * SHA-384 over a fixed encoding of what in m describes the content (format
 * version, created, tool version, label, serial, V0/V1, object count, plain
 * bytes, records.bin's size and SHA-384, and in version 2 the source HSM,
 * profile, policies and domains), never header.bin's own size or hash. A manifest swapped or edited (checksums recomputed) then fails the
 * header MAC when the backup is opened.
 */
int cbk_manifest_ad(const struct cbk_manifest *m, uint8_t out[CC_HASH_LEN]);

/* Returns "V0" or "V1". */
const char *cbk_partition_version_str(int v);

#endif
