/* Reading shares with their PINs and writing new sets, for every subcommand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "cred.h"
#include "err.h"
#include "file.h"
#include "kdf.h"
#include "mofn.h"
#include "secret.h"

/* A share file is < 1 KiB; a text file may hold many lines. */
#define INPUT_MAX (64 * 1024)

int
pin_list_add(struct pin_list *pl, const char *path)
{
	if (pl->n == SHARE_MAX_INPUTS)
		return CE_USAGE;
	pl->files[pl->n++] = path;
	return 0;
}

int
parse_count(const char *opt, const char *v, unsigned *outp)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || l < 1 || l > SHARE_MAX_N)
		return cli_usage_error(PROG, "%s wants a number from 1 to %d, "
		    "not '%s'", opt, SHARE_MAX_N, v);
	*outp = (unsigned)l;
	return 0;
}

int
parse_kdf(const char *v, int *profilep)
{
	int r;

	if ((r = kdf_profile_choose(v, profilep)) != 0)
		return cli_fail(PROG, r == CE_POLICY ? r : CE_USAGE, "--kdf");
	return 0;
}

int
usage_hint(const char *cmd)
{
	fprintf(stderr, "Try '%s %s --help'.\n", PROG, cmd);
	return EXIT_USAGE;
}

/* Reads all of standard input (share lines typed or piped in). */
static int
read_stdin(struct buf **bp)
{
	struct buf *b;
	uint8_t chunk[512];
	ssize_t k;
	int r = 0;

	if ((b = buf_new(INPUT_MAX)) == NULL)
		return CE_NOMEM;
	for (;;) {
		k = read(0, chunk, sizeof(chunk));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = CE_IO;
			break;
		}
		if (k == 0)
			break;
		if ((r = buf_put(b, chunk, (size_t)k)) != 0)
			break;
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (r != 0) {
		err_set_detail("cannot read share lines from standard input");
		buf_free(b);
		return r;
	}
	*bp = b;
	return 0;
}

/* Adds sh, named name. */
static int
add_input(struct inputs *in, struct share *sh, const char *name)
{
	if (in->n == SHARE_MAX_INPUTS) {
		share_free(sh);
		err_set_detail("more than %d shares given", SHARE_MAX_INPUTS);
		return CE_USAGE;
	}
	snprintf(in->name[in->n], sizeof(in->name[0]), "%s", name);
	in->sh[in->n++] = sh;
	return 0;
}

/* Calls fn for every share line in p[0..len). */
static int
walk_lines(const char *path, const char *p, size_t len, item_fn fn, void *ctx)
{
	char name[PATH_MAX + 24];
	size_t i = 0, start, end, lineno = 0, found = 0, s;
	int r;

	while (i < len) {
		start = i;
		while (i < len && p[i] != '\n')
			i++;
		end = i++;
		lineno++;
		for (s = start; s < end && (p[s] == ' ' || p[s] == '\t' ||
		    p[s] == '\r'); s++)
			;
		if (s == end || p[s] == '#')
			continue;
		snprintf(name, sizeof(name), "%s:%zu", path, lineno);
		if ((r = fn(ctx, name, (const uint8_t *)p + start, end - start,
		    0)) != 0)
			return r;
		found++;
	}
	if (found == 0) {
		err_set_detail("no share file and no share line in it");
		return cli_fail(PROG, CE_FORMAT, path);
	}
	return 0;
}

int
inputs_walk(char **paths, int npaths, item_fn fn, void *ctx)
{
	struct buf *b = NULL;
	const char *path;
	int i, r = 0;

	for (i = 0; i < npaths && r == 0; i++) {
		path = paths[i];
		if (strcmp(path, "-") == 0) {
			path = "stdin";
			r = read_stdin(&b);
		} else {
			r = file_read_secret_input(path, INPUT_MAX, &b);
		}
		if (r != 0) {
			r = cli_fail(PROG, r, path);
			break;
		}
		if (share_file_is(buf_ptr(b), buf_len(b)))
			r = fn(ctx, path, buf_ptr(b), buf_len(b), 1);
		else
			r = walk_lines(path, (const char *)buf_ptr(b),
			    buf_len(b), fn, ctx);
		buf_free(b);
		b = NULL;
	}
	return r;
}

struct load_ctx {
	struct inputs *in;
	struct pin_list *pins;
};

/*
 * A share that fails its own checksum is named and left out, so that with
 * more than M shares at hand the others can still recombine; any other
 * failure (a wrong PIN, an unreadable file) stops.
 */
static int
load_failed(struct load_ctx *ctx, int r, const char *name)
{
	if (r != CE_SHARE_CORRUPT)
		return cli_fail(PROG, r, name);
	fprintf(stderr, "%s: %s: %s: %s; leaving it out\n", PROG, name,
	    err_str(r), err_detail());
	err_set_detail(NULL);
	ctx->in->rejected++;
	return 0;
}

/* Decodes one share file or line into the inputs (lib/cred's decoder). */
static int
load_one(void *vctx, const char *name, const uint8_t *p, size_t len,
    int is_file)
{
	struct load_ctx *ctx = vctx;
	struct cred_pin_queue pins = { ctx->pins->files, ctx->pins->n,
	    ctx->pins->next, "--pin-file" };
	struct share *sh = NULL;
	int r;

	/* A line of a text file is a share line, whatever it looks like. */
	if (!is_file)
		r = share_text_decode((const char *)p, len, &sh);
	else
		r = cred_share_decode(name, p, len, &pins, &sh);
	ctx->pins->next = pins.next;
	if (r != 0)
		return load_failed(ctx, r, name);
	if ((r = add_input(ctx->in, sh, name)) != 0)
		return cli_fail(PROG, r, name);
	return 0;
}

int
inputs_load(struct inputs *in, char **paths, int npaths, struct pin_list *pins)
{
	struct load_ctx ctx = { in, pins };
	int r;

	memset(in, 0, sizeof(*in));
	if ((r = inputs_walk(paths, npaths, load_one, &ctx)) != 0)
		inputs_free(in);
	return r;
}

void
inputs_free(struct inputs *in)
{
	share_set_free(in->sh, in->n);
	in->n = 0;
}

/* The inputs' names as lib/cred's printers take them. */
static void
input_names(const struct inputs *in, const char *names[SHARE_MAX_INPUTS])
{
	size_t i;

	for (i = 0; i < in->n; i++)
		names[i] = in->name[i];
}

void
inputs_report_bad(const struct inputs *in, uint32_t bad)
{
	const char *names[SHARE_MAX_INPUTS];

	input_names(in, names);
	cred_shares_report_bad(PROG, in->sh, names, in->n, bad);
}

void
inputs_list(const struct inputs *in)
{
	const char *names[SHARE_MAX_INPUTS];

	input_names(in, names);
	cred_shares_list(PROG, in->sh, names, in->n);
}

int
out_opts_parse(int c, const char *arg, struct out_opts *o, unsigned *mp,
    unsigned *np)
{
	switch (c) {
	case 'm':
		return parse_count("--m", arg, mp);
	case 'n':
		return parse_count("--n", arg, np);
	case 'o':
		o->dir = arg;
		return 0;
	case 't':
		o->text = 1;
		return 0;
	case 'p':
		o->pin_prompt = 1;
		return 0;
	case 'N':
		if (pin_list_add(&o->pins, arg) != 0)
			return cli_usage_error(PROG, "more PIN files than "
			    "shares");
		return 0;
	case 'k':
		return parse_kdf(arg, &o->kdf);
	case 'f':
		o->force = 1;
		return 0;
	}
	return -1;
}

int
out_opts_check(const struct out_opts *o, unsigned m, unsigned n)
{
	if (m == 0 || n == 0)
		return cli_usage_error(PROG, "give --m and --n for the set");
	if (m > n)
		return cli_usage_error(PROG, "--m %u is more than --n %u: the "
		    "threshold cannot exceed the number of shares", m, n);
	if ((o->dir == NULL) == (o->text == 0))
		return cli_usage_error(PROG, "give either --out-dir DIR (share "
		    "files) or --text (share lines)");
	if (o->text && (o->pin_prompt || o->pins.n > 0))
		return cli_usage_error(PROG, "share lines cannot carry a PIN; "
		    "write share files with --out-dir to protect them");
	if (o->pin_prompt && o->pins.n > 0)
		return cli_usage_error(PROG, "give PINs either by prompt or "
		    "by file, not both");
	if (o->pins.n > 1 && o->pins.n != n)
		return cli_usage_error(PROG, "give one PIN file for all shares "
		    "or one per share (%u), not %zu", n, o->pins.n);
	return 0;
}

/* The PIN for share i (0-based) of n, or NULL when none is wanted. */
static int
output_pin(const struct out_opts *o, unsigned i, struct secret **pinp)
{
	struct cli_secret_src src = { NULL, NULL };
	char prompt[64];

	*pinp = NULL;
	if (!o->pin_prompt && o->pins.n == 0)
		return 0;
	if (o->pins.n > 0)
		src.file = o->pins.files[o->pins.n == 1 ? 0 : i];
	snprintf(prompt, sizeof(prompt), "New PIN for share #%u: ", i + 1);
	return cli_read_secret(prompt, &src, 1, pinp);
}

static int
write_text(struct share *set[], unsigned n)
{
	struct secret *line;
	unsigned i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = share_text_encode(set[i], &line)) != 0)
			return cli_fail(PROG, r, "encoding a share line");
		printf("%s\n", (char *)secret_ptr(line));
		secret_free(line);
	}
	if (fflush(stdout) != 0)
		return cli_fail(PROG, CE_IO, "writing share lines");
	return 0;
}

/* share_pin_fn over output_pin. */
static int
pin_cb(void *ctx, unsigned i, struct secret **pinp)
{
	return output_pin(ctx, i, pinp);
}

int
outputs_write(struct share *set[], unsigned n, const struct out_opts *o)
{
	char paths[SHARE_MAX_N][SHARE_PATH_MAX];
	unsigned i;
	int r;

	if (o->text)
		return write_text(set, n);
	if ((r = share_dir_write(o->dir, "share", set, n, pin_cb, (void *)o,
	    o->kdf, o->force, paths, NULL)) != 0)
		return cli_fail(PROG, r, "writing the shares");
	for (i = 0; i < n; i++)
		cli_note(PROG, "wrote share #%u to %s%s", i + 1,
		    paths[i], o->pin_prompt || o->pins.n ? " (PIN-protected)" :
		    "");
	return 0;
}

int
inputs_combine(const struct inputs *in, struct secret **sp,
    struct share_report *rep, int quiet)
{
	int r;

	r = share_combine(in->sh, in->n, sp, rep);
	/* too few only because some were left out as corrupt */
	if (r == CE_SHARE_TOO_FEW && in->rejected > 0) {
		if (rep->m == 0)
			err_set_detail("every share given is corrupt");
		else
			err_set_detail("%zu share%s left out as corrupt; %zu "
			    "good, the set needs %u", in->rejected,
			    in->rejected == 1 ? "" : "s", in->n, rep->m);
		r = CE_SHARE_CORRUPT;
	}
	if (r != 0) {
		if (quiet)
			return r;
		r = cli_fail(PROG, r, "combining the shares");
		if (rep->bad != 0)
			inputs_report_bad(in, rep->bad);
		else if (in->n > 1)
			inputs_list(in);
		return r;
	}
	if (rep->bad != 0 && !quiet)
		inputs_report_bad(in, rep->bad);
	return 0;
}
