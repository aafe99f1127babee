/*
 * store_schema: the SQL that creates schema version STORE_SCHEMA_VERSION.
 * Kept apart from store.c so the tables read in one place; documented in
 * docs/formats.md section 2.
 */
#ifndef COFFER_STORE_SCHEMA_H
#define COFFER_STORE_SCHEMA_H

extern const char store_schema_v1[];

#endif
