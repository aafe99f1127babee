/* mofn split: a given or new random secret into N shares, any M of which
 * recover it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "crypto.h"
#include "err.h"
#include "file.h"
#include "kdf.h"
#include "mofn.h"
#include "secret.h"

static const char split_usage[] =
"usage: mofn split --m M --n N [--secret-file PATH | --random LEN]\n"
"                  (--out-dir DIR | --text) [--pin | --pin-file PATH ...]\n"
"                  [--kdf PROFILE] [--force]\n"
"\n"
"Splits a secret into N shares (1..16), any M of which (1..N) recover it;\n"
"M = N = 1 keeps it whole. The secret is the bytes of --secret-file, a\n"
"new random secret of LEN bytes (--random; it then exists only in the\n"
"shares), or else typed at a prompt. Never on the command line.\n"
"\n"
"  --out-dir DIR      write DIR/share-I-of-N.cshare (0600, never overwritten\n"
"                     unless --force)\n"
"  --text             print one share line per holder on standard output\n"
"  --pin              ask a PIN for each share file\n"
"  --pin-file PATH    PIN from the first line of PATH: once for all shares,\n"
"                     or N times, one per share in order\n"
"  --kdf PROFILE      Argon2id cost for PINs: interactive (default),\n"
"                     moderate, sensitive, test\n";

/* Reads the secret to split from where the options say. */
static int
read_secret(const char *file, unsigned random_len, struct secret **sp)
{
	struct buf *b = NULL;
	int r;

	if (random_len > 0) {
		if ((*sp = secret_new(random_len)) == NULL)
			return CE_NOMEM;
		cc_random(secret_ptr(*sp), random_len);
		return 0;
	}
	if (file == NULL) {
		r = cli_read_secret("Secret to split: ", NULL, 1, sp);
		if (r == CE_USAGE)
			err_set_detail("no terminal to type the secret on; use "
			    "--secret-file PATH or --random LEN");
		return r;
	}
	if ((r = file_read_secret_input(file, SHARE_SECRET_MAX, &b)) != 0)
		return r;
	if (buf_len(b) == 0) {
		err_set_detail("'%s' is empty", file);
		r = CE_INVALID;
	} else if ((*sp = secret_from(buf_ptr(b), buf_len(b))) == NULL) {
		r = CE_NOMEM;
	}
	buf_free(b);
	return r;
}

int
split_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "m", required_argument, NULL, 'm' },
		{ "n", required_argument, NULL, 'n' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "random", required_argument, NULL, 'R' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "text", no_argument, NULL, 't' },
		{ "pin", no_argument, NULL, 'p' },
		{ "pin-file", required_argument, NULL, 'N' },
		{ "kdf", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct out_opts o;
	struct share *set[SHARE_MAX_N] = { NULL };
	struct secret *s = NULL;
	struct share_info info;
	const char *secret_file = NULL;
	char id[SHARE_SET_ID_STR], *end;
	unsigned m = 0, n = 0;
	long rl = 0;
	int c, r;
	struct cli_getopt g;

	memset(&o, 0, sizeof(o));
	o.kdf = KDF_INTERACTIVE;
	cli_getopt_init(&g, PROG, "split", opts);
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		if (c == CLI_OPT_BAD)
			return EXIT_USAGE;
		if ((r = out_opts_parse(c, optarg, &o, &m, &n)) >= 0) {
			if (r != 0)
				return r;
			continue;
		}
		switch (c) {
		case 's':
			secret_file = optarg;
			break;
		case 'R':
			rl = strtol(optarg, &end, 10);
			if (*end != '\0' || rl < 1 || rl > SHARE_SECRET_MAX)
				return cli_usage_error(PROG, "--random wants a "
				    "length from 1 to %d bytes", SHARE_SECRET_MAX);
			break;
		case 'h':
			fputs(split_usage, stdout);
			return EXIT_DONE;
		default:
			return usage_hint("split");
		}
	}
	if (optind != argc)
		return cli_usage_error(PROG, "split takes no file arguments "
		    "(the secret comes from --secret-file, --random or a "
		    "prompt)");
	if (secret_file != NULL && rl > 0)
		return cli_usage_error(PROG, "give --secret-file or --random, "
		    "not both");
	if ((r = out_opts_check(&o, m, n)) != 0)
		return r;
	if ((r = read_secret(secret_file, (unsigned)rl, &s)) != 0)
		return cli_fail(PROG, r, "reading the secret");
	if ((r = share_set_new(s, m, n, set)) != 0) {
		r = cli_fail(PROG, r, "splitting");
		goto out;
	}
	if ((r = outputs_write(set, n, &o)) != 0)
		goto out;
	share_get_info(set[0], &info);
	share_set_id_str(info.set_id, id);
	cli_note(PROG, "set %s: any %u of the %u shares recover the "
	    "%zu-byte secret%s. Give each share to a different holder.",
	    id, m, n, secret_len(s), rl > 0 ? " (new and random: it "
	    "exists only in these shares)" : "");
	r = EXIT_DONE;
 out:
	share_set_free(set, n);
	secret_free(s);
	return r;
}
