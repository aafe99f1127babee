/* mofn duplicate: another copy of one share, interchangeable with it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "kdf.h"
#include "mofn.h"
#include "secret.h"

static const char duplicate_usage[] =
"usage: mofn duplicate SHARE (--out PATH | --text) [--pin-file PATH]\n"
"                      [--new-pin | --new-pin-file PATH | --no-pin]\n"
"                      [--kdf PROFILE] [--force]\n"
"\n"
"Copies one share: the copy is the same share (same set, index and point),\n"
"so either may be used, but never both together. The copy keeps the\n"
"original's PIN unless --new-pin, --new-pin-file or --no-pin says\n"
"otherwise; a share line (--text) carries no PIN.\n"
"\n"
"  --out PATH         write the copy to a new share file (0600)\n"
"  --text             print the copy as a share line\n"
"  --pin-file PATH    the original's PIN (else asked at the terminal)\n"
"  --new-pin          ask a new PIN for the copy\n"
"  --new-pin-file P   the copy's PIN from the first line of P\n"
"  --no-pin           the copy is not PIN-protected\n"
"  --kdf PROFILE      Argon2id cost for the copy's PIN (default: the\n"
"                     original's, or interactive)\n";

/* Reads the one share and the PIN it was under (kept for the copy). */
struct dup_src {
	struct share *sh;
	const char *pin_file;
	struct secret *pin;
	int count;
	char name[PATH_MAX + 24];
};

static int
dup_one(void *vctx, const char *name, const uint8_t *p, size_t len,
    int is_file)
{
	struct dup_src *d = vctx;
	struct cli_secret_src src = { d->pin_file, NULL };
	struct share_info info;
	int r;

	if (++d->count > 1)
		return cli_usage_error(PROG, "duplicate copies one share; %s "
		    "holds more than one", name);
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (!is_file) {
		if ((r = share_text_decode((const char *)p, len, &d->sh)) != 0)
			return cli_fail(PROG, r, name);
		return 0;
	}
	if ((r = share_file_peek(p, len, &info)) != 0)
		return cli_fail(PROG, r, name);
	if (info.pin_protected &&
	    (r = cli_read_secret("PIN of the share to copy: ", &src, 0,
	    &d->pin)) != 0)
		return cli_fail(PROG, r, "reading a PIN");
	if ((r = share_file_decode(p, len, d->pin, &d->sh)) != 0)
		return cli_fail(PROG, r, name);
	return 0;
}

int
duplicate_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "text", no_argument, NULL, 't' },
		{ "pin-file", required_argument, NULL, 'P' },
		{ "new-pin", no_argument, NULL, 'n' },
		{ "new-pin-file", required_argument, NULL, 'N' },
		{ "no-pin", no_argument, NULL, 'z' },
		{ "kdf", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dup_src d;
	struct share_info info;
	struct secret *newpin = NULL, *line = NULL;
	struct cli_secret_src nsrc = { NULL, NULL };
	const struct secret *pin;
	const char *out = NULL;
	int c, r, text = 0, ask = 0, nopin = 0, force = 0, kdf = 0;
	struct cli_getopt g;

	memset(&d, 0, sizeof(d));
	cli_getopt_init(&g, PROG, "duplicate", opts);
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		if (c == CLI_OPT_BAD)
			return EXIT_USAGE;
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 't':
			text = 1;
			break;
		case 'P':
			d.pin_file = optarg;
			break;
		case 'n':
			ask = 1;
			break;
		case 'N':
			nsrc.file = optarg;
			break;
		case 'z':
			nopin = 1;
			break;
		case 'k':
			if ((r = parse_kdf(optarg, &kdf)) != 0)
				return r;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			fputs(duplicate_usage, stdout);
			return EXIT_DONE;
		default:
			return usage_hint("duplicate");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(PROG, "duplicate copies exactly one share");
	if ((out == NULL) == (text == 0))
		return cli_usage_error(PROG, "give either --out PATH or --text");
	if (ask + nopin + (nsrc.file != NULL) > 1)
		return cli_usage_error(PROG, "--new-pin, --new-pin-file and "
		    "--no-pin exclude each other");
	if (text && (ask || nsrc.file != NULL))
		return cli_usage_error(PROG, "a share line cannot carry a PIN");
	if ((r = inputs_walk(argv + optind, 1, dup_one, &d)) != 0)
		goto out;
	share_get_info(d.sh, &info);
	if (text) {
		if ((r = share_text_encode(d.sh, &line)) != 0) {
			r = cli_fail(PROG, r, "encoding the share line");
			goto out;
		}
		printf("%s\n", (char *)secret_ptr(line));
	} else {
		if ((ask || nsrc.file != NULL) &&
		    (r = cli_read_secret("New PIN for the copy: ", &nsrc, 1,
		    &newpin)) != 0) {
			r = cli_fail(PROG, r, "reading the new PIN");
			goto out;
		}
		pin = nopin ? NULL : newpin != NULL ? newpin : d.pin;
		if (kdf == 0)
			kdf = info.kdf_profile ? info.kdf_profile :
			    KDF_INTERACTIVE;
		if ((r = share_file_write(out, d.sh, pin, kdf, force)) != 0) {
			r = cli_fail(PROG, r, out);
			goto out;
		}
	}
	cli_note(PROG, "copied share #%u of %u (threshold %u) from %s%s%s;"
	    " the copy and the original are interchangeable: give only one "
	    "of them when combining", info.index, info.n, info.m,
	    d.name, out ? " to " : "", out ? out : "");
	r = EXIT_DONE;
 out:
	share_free(d.sh);
	secret_free(d.pin);
	secret_free(newpin);
	secret_free(line);
	return r;
}
