#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "version.h"
#include "err.h"
#include "file.h"
#include "secret.h"

/* Records a failure for the error document cli_exit() may print. */
static void json_note_failure(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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
		struct stat st;

		if ((fd = open(src->file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) <
		    0) {
			err_set_detail("cannot open secret file '%s': %s",
			    src->file, strerror(errno));
			r = CE_IO;
			goto out;
		}
		r = 0;
		if (fstat(fd, &st) != 0 ||
		    (r = file_check_private(src->file, &st)) != 0) {
			if (r == 0) {
				err_set_detail("cannot stat '%s'", src->file);
				r = CE_IO;
			}
			close(fd);
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
	json_note_failure(err_name(r), "%s: %s%s%s", what, err_str(r),
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

	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n", prog, msg, prog);
	json_note_failure("usage", "%s", msg);
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

	if (cli_quiet() || (p = calloc(1, sizeof(*p))) == NULL)
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

/*
 * JSON writer: builds the document with jansson (the project's one JSON
 * library) and prints it, compact and in insertion order, when the root
 * closes and json_free() is called. A document left open (a command that
 * failed half way) is dropped, so stdout never holds half a document; the
 * failure then prints its own (cli_fail, cli_exit).
 */
#define JSON_DEPTH 16
struct json {
	FILE *f;
	json_t *root;
	json_t *stack[JSON_DEPTH];
	int depth;
	int broken; /* deeper than JSON_DEPTH or out of memory: print nothing */
	int spooled; /* stack index of a spooled array (json_arr_begin_spooled);
	                0: none (the root is never one) */
};

/*
 * A spooled array's elements go to an unlinked temporary file as each
 * one is complete, instead of staying in jansson's tree: a listing of a
 * million objects held 1.2 GB as a tree. The tree holds a placeholder
 * string, replaced by the file's contents when the document is printed,
 * so stdout still gets one whole document or none.
 */
#define JSON_SPOOL_MARK "\\u0001coffer-spool\\u0001"
static FILE *json_spool;
static uint64_t json_spool_n;

/* Writes element v of the spooled array to the spool; steals v. */
static void
json_spool_add(struct json *j, json_t *v)
{
	if (!j->broken && ((json_spool_n++ > 0 && fputc(',', json_spool) ==
	    EOF) || json_dumpf(v, json_spool, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) != 0))
		j->broken = 1;
	json_decref(v);
}

/* --json was given: failures print an error document (docs/json.md). */
static int json_mode;
/* A document went to stdout already: never print a second one. */
static int json_printed;
/* The last failure reported, for cli_exit()'s error document. */
static char json_last_code[32];
static char json_last_msg[512];

struct json *
json_new(FILE *f)
{
	struct json *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->f = f;
	return j;
}

/*
 * A JSON string of s: jansson refuses bytes that are not UTF-8 (a label
 * can hold any byte), so those become U+FFFD rather than the field going
 * missing.
 */
static json_t *
json_text(const char *s)
{
	json_t *v;
	size_t i, n;
	char *fixed;

	if ((v = json_string(s)) != NULL)
		return v;
	n = strlen(s);
	if ((fixed = malloc(n * 3 + 1)) == NULL)
		return NULL;
	for (i = 0, n = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x80) {
			fixed[n++] = s[i];
			continue;
		}
		memcpy(fixed + n, "\xef\xbf\xbd", 3);
		n += 3;
	}
	fixed[n] = '\0';
	v = json_string(fixed);
	free(fixed);
	return v;
}

/* Adds v under key to the open container (steals v). */
static void
json_add(struct json *j, const char *key, json_t *v)
{
	json_t *top;
	int r;

	if (v == NULL) {
		j->broken = 1;
		return;
	}
	if (j->depth == 0) {
		if (j->root != NULL) {
			j->broken = 1; /* a second root */
			json_decref(v);
			return;
		}
		j->root = v;
		return;
	}
	top = j->stack[j->depth - 1];
	/* a scalar element of a spooled array is complete now; a container
	 * is spooled when it closes (json_close) */
	if (j->spooled == j->depth - 1 && j->spooled > 0 &&
	    !json_is_object(v) && !json_is_array(v)) {
		json_spool_add(j, v);
		return;
	}
	if (json_is_object(top))
		r = json_object_set_new(top, key != NULL ? key : "", v);
	else
		r = json_array_append_new(top, v);
	if (r != 0)
		j->broken = 1;
}

static void
json_open(struct json *j, const char *key, json_t *c)
{
	if (c == NULL || j->depth == JSON_DEPTH) {
		json_decref(c);
		j->broken = 1;
		return;
	}
	json_incref(c);
	json_add(j, key, c);
	j->stack[j->depth++] = c;
	/* Every document says whether the command did what was asked. */
	if (j->depth == 1 && json_is_object(c))
		json_object_set_new(c, "ok", json_true());
}

static void
json_close(struct json *j)
{
	json_t *c, *arr;

	if (j->depth == 0) {
		j->broken = 1;
		return;
	}
	c = j->stack[--j->depth];
	if (j->spooled > 0 && j->depth == j->spooled + 1) {
		/* an element of the spooled array is complete: out it goes */
		arr = j->stack[j->spooled];
		json_incref(c);
		json_array_clear(arr);
		json_spool_add(j, c);
	}
	json_decref(c);
}

void
json_obj_begin(struct json *j, const char *key)
{
	json_open(j, key, json_object());
}

void
json_obj_end(struct json *j)
{
	json_close(j);
}

void
json_arr_begin(struct json *j, const char *key)
{
	json_open(j, key, json_array());
}

void
json_arr_end(struct json *j)
{
	if (j->spooled > 0 && j->depth == j->spooled + 1)
		j->spooled = 0;
	json_close(j);
}

void
json_arr_begin_spooled(struct json *j, const char *key)
{
	json_t *arr;

	/* one spooled array per process, and never the root; without a
	 * temporary file the array is built in memory as any other */
	if (j->depth == 0 || json_spool != NULL || j->spooled > 0 ||
	    (json_spool = tmpfile()) == NULL) {
		json_arr_begin(j, key);
		return;
	}
	json_add(j, key, json_string("\001coffer-spool\001"));
	if (j->depth == JSON_DEPTH || (arr = json_array()) == NULL) {
		j->broken = 1;
		return;
	}
	/* on the stack but not in the tree: its elements go to the spool */
	j->spooled = j->depth;
	j->stack[j->depth++] = arr;
}

void
json_str(struct json *j, const char *key, const char *v)
{
	json_add(j, key, v == NULL ? json_null() : json_text(v));
}

void
json_int(struct json *j, const char *key, int64_t v)
{
	json_add(j, key, json_integer((json_int_t)v));
}

void
json_bool(struct json *j, const char *key, int v)
{
	json_add(j, key, json_boolean(v));
}

/*
 * The command's document waits here until cli_exit() knows the exit status:
 * "ok" must say how the command ended, and a failure's document must carry
 * the error whichever way it was built.
 */
static json_t *json_pending;
static FILE *json_pending_f;

void
json_serial(struct json *j, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	json_str(j, key, s);
}

/* Prints doc as one line on f and remembers that stdout has its document. */
static void
json_print(json_t *doc, FILE *f)
{
	char *text, *mark, buf[65536];
	size_t n;

	if (json_spool == NULL) {
		if (json_dumpf(doc, f, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0)
			fputc('\n', f);
	} else if ((text = json_dumps(doc, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) != NULL) {
		/* the placeholder string becomes the spooled array */
		if ((mark = strstr(text, "\"" JSON_SPOOL_MARK "\"")) != NULL) {
			fwrite(text, 1, (size_t)(mark - text), f);
			fputc('[', f);
			rewind(json_spool);
			while ((n = fread(buf, 1, sizeof(buf), json_spool)) > 0)
				fwrite(buf, 1, n, f);
			fputc(']', f);
			fputs(mark + strlen(JSON_SPOOL_MARK) + 2, f);
		} else
			fputs(text, f);
		fputc('\n', f);
		free(text);
	}
	fflush(f);
	json_printed = 1;
}

void
json_free(struct json *j)
{
	if (j == NULL)
		return;
	while (j->depth > 0) {
		j->broken = 1; /* left open: the command failed half way */
		json_close(j);
	}
	if (j->root != NULL && !j->broken && json_pending == NULL &&
	    !json_printed) {
		json_pending = j->root;
		json_pending_f = j->f;
		j->root = NULL;
	}
	json_decref(j->root);
	free(j);
}

void
cli_json_mode(void)
{
	json_mode = 1;
}

void
cli_json_reset(void)
{
	json_decref(json_pending);
	json_pending = NULL;
	json_pending_f = NULL;
	json_mode = json_printed = 0;
	if (json_spool != NULL)
		fclose(json_spool);
	json_spool = NULL;
	json_spool_n = 0;
	json_last_code[0] = json_last_msg[0] = '\0';
}

static void
json_note_failure(const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(json_last_code, sizeof(json_last_code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(json_last_msg, sizeof(json_last_msg), fmt, ap);
	va_end(ap);
}

/* Sets key in o unless the document already says it. */
static void
json_default(json_t *o, const char *key, json_t *v)
{
	if (v == NULL)
		return;
	if (json_object_get(o, key) == NULL)
		json_object_set_new(o, key, v);
	else
		json_decref(v);
}

int
cli_exit(int status)
{
	json_t *doc, *err;

	doc = json_pending;
	json_pending = NULL;
	if (json_printed || (doc == NULL && (!json_mode || status == 0)))
		goto out;
	if (doc == NULL && (doc = json_object()) == NULL)
		goto out;
	if (json_is_object(doc)) {
		json_object_set_new(doc, "ok", json_boolean(status == 0));
		if (status != 0) {
			if (json_last_code[0] == '\0')
				json_note_failure(status == EXIT_USAGE ?
				    "usage" : "error", "failed with exit status "
				    "%d (see stderr)", status);
			if (!json_is_object(err = json_object_get(doc,
			    "error"))) {
				err = json_object();
				json_object_set_new(doc, "error", err);
			}
			json_default(err, "code", json_string(json_last_code));
			json_default(err, "exit", json_integer(status));
			json_default(err, "message", json_text(json_last_msg));
		}
	}
	json_print(doc, json_pending_f != NULL ? json_pending_f : stdout);
out:
	json_decref(doc);
	return status;
}

