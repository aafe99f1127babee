/*
 * secret: buffers for key material and credentials.
 *
 * Backed by libsodium's guarded allocations (mlock'd, guard pages, wiped and
 * unmapped on free), so a secret never reaches swap or a core file and never
 * outlives its owner. Use a secret for anything a thief would want.
 */
#ifndef COFFER_SECRET_H
#define COFFER_SECRET_H

#include <stddef.h>
#include <stdint.h>

struct secret;

/* Returns a new zero-filled secret of len bytes (len may be 0), or NULL. */
struct secret *secret_new(size_t len);

/* Returns a new secret holding a copy of p[0..len), or NULL. */
struct secret *secret_from(const void *p, size_t len);

/* Returns a new secret holding a copy of s, or NULL. */
struct secret *secret_dup(const struct secret *s);

/* Wipes and frees s; NULL is fine. */
void secret_free(struct secret *s);

/* Returns the bytes of s (writable). */
uint8_t *secret_ptr(const struct secret *s);

/* Returns the length of s. */
size_t secret_len(const struct secret *s);

/* Shortens s to len bytes (wiping the rest); len must be <= secret_len. */
void secret_truncate(struct secret *s, size_t len);

/* Returns 1 when a and b hold equal bytes (constant time in the length). */
int secret_equal(const struct secret *a, const struct secret *b);

/* Calls once at start-up: initializes libsodium and turns off core dumps. */
int secret_init(void);

#endif
