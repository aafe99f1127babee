#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <sodium.h>

#include "cli.h"
#include "version.h"
#include "err.h"
#include "secret.h"

#define SECRET_MAX 1024

/* Reads one line from fd into s, stopping at newline; returns length or -1. */
static ssize_t
read_line(int fd, uint8_t *s, size_t max)
{
	size_t n = 0;
	ssize_t k;
	uint8_t c;

	for (;;) {
		k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0 || c == '\n')
			break;
		if (n == max)
			return -2;
		s[n++] = c;
	}
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return (ssize_t)n;
}

static int
prompt_tty(const char *prompt, struct secret *s, ssize_t *lenp)
{
	struct termios old, quiet;
	int fd, r = CE_IO;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0) {
		err_set_detail("no terminal to prompt on; use --pin-file or "
		    "--pin-env");
		return CE_USAGE;
	}
	if (tcgetattr(fd, &old) != 0)
		goto out;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	(void)!write(fd, prompt, strlen(prompt));
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		goto out;
	*lenp = read_line(fd, secret_ptr(s), secret_len(s));
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	r = 0;
 out:
	close(fd);
	return r;
}

int
cli_read_secret(const char *prompt, const struct cli_secret_src *src,
    int confirm, struct secret **sp)
{
	struct secret *s = NULL, *again = NULL;
	ssize_t len = -1, len2 = -1;
	const char *v;
	int fd, r;

	if ((s = secret_new(SECRET_MAX)) == NULL)
		return CE_NOMEM;
	if (src != NULL && src->file != NULL) {
		if ((fd = open(src->file, O_RDONLY | O_CLOEXEC)) < 0) {
			err_set_detail("cannot open secret file '%s': %s",
			    src->file, strerror(errno));
			r = CE_IO;
			goto out;
		}
		len = read_line(fd, secret_ptr(s), SECRET_MAX);
		close(fd);
	} else if (src != NULL && src->env != NULL) {
		if ((v = getenv(src->env)) == NULL) {
			err_set_detail("environment variable '%s' is not set",
			    src->env);
			r = CE_USAGE;
			goto out;
		}
		len = (ssize_t)strlen(v);
		if (len > SECRET_MAX)
			len = -2;
		else
			memcpy(secret_ptr(s), v, (size_t)len);
		/* Do not leave the secret for child processes to inherit. */
		sodium_memzero((char *)v, strlen(v));
		unsetenv(src->env);
	} else {
		if ((r = prompt_tty(prompt, s, &len)) != 0)
			goto out;
		if (confirm && len > 0) {
			if ((again = secret_new(SECRET_MAX)) == NULL) {
				r = CE_NOMEM;
				goto out;
			}
			if ((r = prompt_tty("Again: ", again, &len2)) != 0)
				goto out;
			if (len2 != len || sodium_memcmp(secret_ptr(s), secret_ptr(again), (size_t)len) != 0) {
				err_set_detail("the two entries differ");
				r = CE_INVALID;
				goto out;
			}
		}
	}
	if (len == -2) {
		err_set_detail("secret longer than %d bytes", SECRET_MAX);
		r = CE_TOO_LONG;
		goto out;
	}
	if (len <= 0) {
		err_set_detail("empty secret");
		r = CE_INVALID;
		goto out;
	}
	secret_truncate(s, (size_t)len);
	*sp = s;
	s = NULL;
	r = 0;
 out:
	secret_free(s);
	secret_free(again);
	return r;
}

int
cli_fail(const char *prog, int r, const char *what)
{
	const char *d = err_detail();

	fprintf(stderr, "%s: %s: %s%s%s\n", prog, what, err_str(r),
	    *d ? ": " : "", d);
	err_set_detail(NULL);
	return err_exit_code(r);
}

void
cli_print_version(const char *prog)
{
	printf("%s (coffer) %s\n", prog, COFFER_VERSION);
}

int
cli_main_begin(const char *prog, int argc, char **argv, void (*help)(FILE *f))
{
	if (secret_init() != 0) {
		fprintf(stderr, "%s: cannot initialize libsodium\n", prog);
		return EXIT_FAILED;
	}
	if (argc < 2) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help(stdout);
		return EXIT_DONE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		cli_print_version(prog);
		return EXIT_DONE;
	}
	return -1;
}

int
cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return EXIT_USAGE;
}

struct progress {
	char what[64];
	uint64_t total;
	int tty;
	time_t last;
	int drawn;
};

struct progress *
progress_new(const char *what, uint64_t total)
{
	struct progress *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->total = total;
	p->tty = isatty(STDERR_FILENO);
	return p;
}

static void
progress_draw(struct progress *p, uint64_t done)
{
	char bar[31];
	uint64_t pct = p->total ? done * 100 / p->total : 100;
	size_t fill = (size_t)(pct * 30 / 100), i;

	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%s [%s] %3llu%% %llu/%llu", p->what, bar,
	    (unsigned long long)pct, (unsigned long long)done,
	    (unsigned long long)p->total);
	p->drawn = 1;
}

void
progress_update(struct progress *p, uint64_t done)
{
	time_t now;

	if (p == NULL || !p->tty)
		return;
	now = time(NULL);
	if (p->drawn && now == p->last)
		return;
	p->last = now;
	progress_draw(p, done);
}

void
progress_done(struct progress *p)
{
	if (p == NULL)
		return;
	if (p->tty) {
		progress_draw(p, p->total);
		fputc('\n', stderr);
	}
	free(p);
}

void
progress_stop(struct progress *p)
{
	if (p == NULL)
		return;
	if (p->tty && p->drawn)
		fputc('\n', stderr);
	free(p);
}

/* JSON writer: tracks whether a comma is due at each nesting level. */
#define JSON_DEPTH 16
struct json {
	FILE *f;
	int depth;
	int first[JSON_DEPTH];
};

struct json *
json_new(FILE *f)
{
	struct json *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->f = f;
	j->first[0] = 1;
	return j;
}

static void
json_escape(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
json_key(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (key != NULL) {
		json_escape(j->f, key);
		fputc(':', j->f);
	}
}

static void
json_open(struct json *j, const char *key, int c)
{
	json_key(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = 1;
}

void
json_obj_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void
json_obj_end(struct json *j)
{
	fputc('}', j->f);
	if (j->depth > 0)
		j->depth--;
}

void
json_arr_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void
json_arr_end(struct json *j)
{
	fputc(']', j->f);
	if (j->depth > 0)
		j->depth--;
}

void
json_str(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	if (v == NULL)
		fputs("null", j->f);
	else
		json_escape(j->f, v);
}

void
json_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void
json_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
json_free(struct json *j)
{
	if (j == NULL)
		return;
	fputc('\n', j->f);
	fflush(j->f);
	free(j);
}

void
cli_time_iso(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
