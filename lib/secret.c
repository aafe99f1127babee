#include <pthread.h>
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

/*
 * Freed secrets kept for reuse, wiped. Each secret is two guarded
 * allocations (mmap, mprotect, mlock; munmap on free), and in a process
 * with threads every munmap and mprotect is a TLB shootdown on every core:
 * a PKCS#11 application that signs in a loop spent half its time there.
 * A secret is reused only for the exact size it was made for, so its data
 * still ends at its guard page and an overflow still faults at once.
 */
#define CACHE_SLOTS 16
#define CACHE_MAX_LEN (64u * 1024)

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret *cache[CACHE_SLOTS];
static size_t cached;

static struct secret *
cache_take(size_t cap)
{
	struct secret *s = NULL;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = cached; i-- > 0;)
		if (cache[i]->cap == cap) {
			s = cache[i];
			cache[i] = cache[--cached];
			break;
		}
	pthread_mutex_unlock(&cache_lock);
	return s;
}

/* Keeps s for reuse (wiped first); 0 when the cache is full. */
static int
cache_put(struct secret *s)
{
	int kept = 0;

	if (s->cap > CACHE_MAX_LEN)
		return 0;
	sodium_memzero(s->p, s->cap);
	pthread_mutex_lock(&cache_lock);
	if (cached < CACHE_SLOTS) {
		cache[cached++] = s;
		kept = 1;
	}
	pthread_mutex_unlock(&cache_lock);
	return kept;
}

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
	size_t cap = len == 0 ? 1 : len;

	if (sodium_init() < 0)
		return NULL;
	if ((s = cache_take(cap)) == NULL) {
		if ((s = sodium_malloc(sizeof(*s))) == NULL)
			return NULL;
		s->cap = cap;
		if ((s->p = sodium_malloc(cap)) == NULL) {
			sodium_free(s);
			return NULL;
		}
		sodium_memzero(s->p, cap);
	}
	s->len = len;
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
	if (s == NULL || cache_put(s))
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
