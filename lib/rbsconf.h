/*
 * rbsconf: the Remote Backup Service's two files (docs/rbs.md).
 *
 * The server configuration, `rbs serve --config FILE`:
 *   state /var/lib/coffer/rbs         identity and client register (rbs init)
 *   listen 127.0.0.1:4443             HOST:PORT, [v6]:PORT; port 0: any
 *   store prod dir:/srv/coffer/prod   NAME and the local store it exports
 *   max-connections 32                connections served at once
 *   idle-timeout 60                   seconds a connection may stay silent
 *   max-upload-mib 65536              largest backup accepted, MiB
 *   user coffer-rbs                   drop to this user after binding
 *
 * The client register, STATE/clients, written by `rbs client add|revoke`:
 *   NAME ROLE SHA256:... STORE[,STORE...]|* active|revoked
 */
#ifndef COFFER_RBSCONF_H
#define COFFER_RBSCONF_H

#include <stddef.h>
#include <stdint.h>

#include "rbsproto.h"
#include "tls.h"

#define RBSCONF_PATH_MAX 512
#define RBSCONF_STORES_MAX 1024
#define RBSCONF_CLIENTS_MAX 4096
#define RBS_CLIENT_NAME_MAX 64
#define RBS_CLIENTS_FILE "clients"

struct rbsconf_store {
	char name[RBS_STORE_MAX + 1];
	char uri[RBSCONF_PATH_MAX];
};

struct rbsconf {
	char state[RBSCONF_PATH_MAX];
	char host[256];
	char port[8];
	size_t nstores;
	struct rbsconf_store stores[RBSCONF_STORES_MAX];
	unsigned max_conn;      /* default 32 */
	unsigned idle_timeout;  /* seconds, default 60 */
	uint64_t max_upload;    /* bytes, default 64 GiB */
	char user[64];          /* "" keeps the starting user */
};

/* Loads and checks path (CE_FORMAT with the line's number and what fits). */
int rbsconf_load(const char *path, struct rbsconf *c);

/* The store called name, or NULL. */
const struct rbsconf_store *rbsconf_store(const struct rbsconf *c,
    const char *name);

struct rbs_client_rec {
	char name[RBS_CLIENT_NAME_MAX + 1];
	int role;                       /* RBS_ROLE_* */
	uint8_t fp[TLS_FP_LEN];
	char stores[RBSCONF_PATH_MAX];  /* "a,b" or "*" */
	int revoked;
};

/* Reads STATE/clients (missing: no clients). *vp is malloc'd (free()). */
int rbsreg_load(const char *state, struct rbs_client_rec **vp, size_t *np);

/* Rewrites STATE/clients atomically with v[0..n). */
int rbsreg_save(const char *state, const struct rbs_client_rec *v, size_t n);

/* 1 when rec may use store (its list or "*"). */
int rbsreg_allows(const struct rbs_client_rec *rec, const char *store);

/* A client name: 1..64 of A-Z a-z 0-9 . _ - (same as a store name). */
int rbsreg_name_ok(const char *s);

#endif
