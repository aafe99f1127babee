#include <string.h>
#include <sys/resource.h>
#include <sys/prctl.h>

#include <sodium.h>

#include "err.h"
#include "secret.h"

struct secret {
	uint8_t *p;
	size_t len;
	size_t cap;
};

int
secret_init(void)
{
	struct rlimit rl = { 0, 0 };

	if (sodium_init() < 0)
		return CE_CRYPTO;
	/* A crash must not write credentials or keys into a core file. */
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

struct secret *
secret_new(size_t len)
{
	struct secret *s;

	if (sodium_init() < 0)
		return NULL;
	if ((s = sodium_malloc(sizeof(*s))) == NULL)
		return NULL;
	s->len = s->cap = len;
	if ((s->p = sodium_malloc(len == 0 ? 1 : len)) == NULL) {
		sodium_free(s);
		return NULL;
	}
	sodium_memzero(s->p, len == 0 ? 1 : len);
	return s;
}

struct secret *
secret_from(const void *p, size_t len)
{
	struct secret *s;

	if ((s = secret_new(len)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(s->p, p, len);
	return s;
}

struct secret *
secret_dup(const struct secret *s)
{
	return secret_from(s->p, s->len);
}

void
secret_free(struct secret *s)
{
	if (s == NULL)
		return;
	sodium_free(s->p); /* wipes before unmapping */
	sodium_free(s);
}

uint8_t *
secret_ptr(const struct secret *s)
{
	return s->p;
}

size_t
secret_len(const struct secret *s)
{
	return s->len;
}

void
secret_truncate(struct secret *s, size_t len)
{
	if (len >= s->len)
		return;
	sodium_memzero(s->p + len, s->len - len);
	s->len = len;
}

int
secret_equal(const struct secret *a, const struct secret *b)
{
	if (a->len != b->len)
		return 0;
	if (a->len == 0)
		return 1;
	return sodium_memcmp(a->p, b->p, a->len) == 0;
}
