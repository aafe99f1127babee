/* mofn combine: M shares back into the secret, written only where asked. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "file.h"
#include "mofn.h"
#include "secret.h"

static const char combine_usage[] =
"usage: mofn combine (--out PATH [--force] | --stdout) [--pin-file PATH ...]\n"
"                    SHARE...\n"
"\n"
"Recovers the secret from at least M shares of one set and proves it right\n"
"against the set's check value. SHARE is a share file, a text file of share\n"
"lines, or - for lines on standard input. With more than M shares a corrupt\n"
"one is named and the secret is still recovered from the others.\n"
"\n"
"  --out PATH         write the secret to a new file, mode 0600 (an existing\n"
"                     file is refused unless --force)\n"
"  --stdout           write the raw secret to standard output, even a\n"
"                     terminal (only when asked for explicitly)\n"
"  --pin-file PATH    PIN for the next PIN-protected share file, in order;\n"
"                     shares without one are asked for at the terminal\n";

static int
write_all_stdout(const uint8_t *p, size_t len)
{
	ssize_t k;

	while (len > 0) {
		if ((k = write(1, p, len)) <= 0)
			return CE_IO;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

int
combine_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "stdout", no_argument, NULL, 'S' },
		{ "force", no_argument, NULL, 'f' },
		{ "pin-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pin_list pins;
	struct inputs in;
	struct share_report rep;
	struct secret *s = NULL;
	const char *out = NULL;
	int c, r, to_stdout = 0, force = 0;
	struct cli_getopt g;

	memset(&pins, 0, sizeof(pins));
	cli_getopt_init(&g, PROG, "combine", opts);
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		if (c == CLI_OPT_BAD)
			return EXIT_USAGE;
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'S':
			to_stdout = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'P':
			if (pin_list_add(&pins, optarg) != 0)
				return cli_usage_error(PROG, "too many --pin-file");
			break;
		case 'h':
			fputs(combine_usage, stdout);
			return EXIT_DONE;
		default:
			return usage_hint("combine");
		}
	}
	if ((out == NULL) == (to_stdout == 0))
		return cli_usage_error(PROG, "combine writes the secret only to "
		    "--out PATH (a new 0600 file) or, if you ask for it, "
		    "--stdout");
	if (optind == argc)
		return cli_usage_error(PROG, "give the share files (or - for "
		    "share lines on standard input)");
	if ((r = inputs_load(&in, argv + optind, argc - optind, &pins)) != 0)
		return r;
	if ((r = inputs_combine(&in, &s, &rep, 0)) != 0)
		goto out;
	if (out != NULL)
		r = file_write_secret(out, secret_ptr(s), secret_len(s), force);
	else
		r = write_all_stdout(secret_ptr(s), secret_len(s));
	if (r != 0) {
		r = cli_fail(PROG, r, out != NULL ? out : "writing to stdout");
		goto out;
	}
	cli_note(PROG, "recovered the %zu-byte secret from %d of the %zu "
	    "shares given (threshold %u of %u)%s%s", secret_len(s),
	    __builtin_popcount(rep.used), in.n, rep.m, rep.n,
	    out != NULL ? "; written to " : "", out != NULL ? out : "");
	r = EXIT_DONE;
 out:
	secret_free(s);
	inputs_free(&in);
	return r;
}
