/* mofn reissue: a new M-of-N set of the same secret from M shares of the
 * old one (a holder left, or the threshold changes). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "kdf.h"
#include "mofn.h"
#include "secret.h"

static const char reissue_usage[] =
"usage: mofn reissue --m M --n N (--out-dir DIR | --text) [--pin-file PATH ...]\n"
"                    [--new-pin | --new-pin-file PATH ...] [--kdf PROFILE]\n"
"                    [--force] SHARE...\n"
"\n"
"Recovers the secret from at least M shares of the old set (checked against\n"
"its check value) and splits it again into a new set with a new identifier.\n"
"The secret itself does not change, so the old shares still recover it:\n"
"destroy every share and every copy of the old set once the new one is\n"
"handed out.\n"
"\n"
"  --out-dir DIR        write the new share files there\n"
"  --text               print the new set as share lines\n"
"  --pin-file PATH      PIN of the next PIN-protected old share, in order\n"
"  --new-pin            ask a PIN for each new share file\n"
"  --new-pin-file PATH  new PINs: once for all shares, or N times in order\n"
"  --kdf PROFILE        Argon2id cost for the new PINs (default interactive)\n";

int
reissue_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "m", required_argument, NULL, 'm' },
		{ "n", required_argument, NULL, 'n' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "text", no_argument, NULL, 't' },
		{ "pin-file", required_argument, NULL, 'P' },
		{ "new-pin", no_argument, NULL, 'p' },
		{ "new-pin-file", required_argument, NULL, 'N' },
		{ "kdf", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct out_opts o;
	struct pin_list pins;
	struct inputs in;
	struct share_report rep;
	struct share *set[SHARE_MAX_N] = { NULL };
	struct share_info oldi, newi;
	struct secret *s = NULL;
	char oldid[SHARE_SET_ID_STR], newid[SHARE_SET_ID_STR];
	unsigned m = 0, n = 0;
	int c, r;
	struct cli_getopt g;

	memset(&o, 0, sizeof(o));
	memset(&pins, 0, sizeof(pins));
	memset(&in, 0, sizeof(in));
	o.kdf = KDF_INTERACTIVE;
	cli_getopt_init(&g, PROG, "reissue", opts);
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		if (c == CLI_OPT_BAD)
			return EXIT_USAGE;
		if ((r = out_opts_parse(c, optarg, &o, &m, &n)) >= 0) {
			if (r != 0)
				return r;
			continue;
		}
		switch (c) {
		case 'P':
			if (pin_list_add(&pins, optarg) != 0)
				return cli_usage_error(PROG, "too many --pin-file");
			break;
		case 'h':
			fputs(reissue_usage, stdout);
			return EXIT_DONE;
		default:
			return usage_hint("reissue");
		}
	}
	if (optind == argc)
		return cli_usage_error(PROG, "give at least M shares of the old "
		    "set");
	if ((r = out_opts_check(&o, m, n)) != 0)
		return r;
	if ((r = inputs_load(&in, argv + optind, argc - optind, &pins)) != 0)
		return r;
	if ((r = inputs_combine(&in, &s, &rep, 0)) != 0)
		goto out;
	if ((r = share_set_new(s, m, n, set)) != 0) {
		r = cli_fail(PROG, r, "splitting");
		goto out;
	}
	if ((r = outputs_write(set, n, &o)) != 0)
		goto out;
	share_get_info(in.sh[0], &oldi);
	share_get_info(set[0], &newi);
	share_set_id_str(oldi.set_id, oldid);
	share_set_id_str(newi.set_id, newid);
	cli_note(PROG, "new set %s: any %u of the %u shares recover the "
	    "secret.", newid, m, n);
	cli_note(PROG, "the old set %s (%u of %u) is no longer needed: "
	    "destroy all of its shares and copies, because they still "
	    "recover the same secret.", oldid, rep.m, rep.n);
	r = EXIT_DONE;
 out:
	share_set_free(set, n);
	secret_free(s);
	inputs_free(&in);
	return r;
}
