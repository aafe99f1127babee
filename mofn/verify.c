/* mofn verify: do these shares recombine to the set's check value? The
 * secret is recovered in locked memory, compared and wiped; nothing of it
 * is shown. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "mofn.h"
#include "secret.h"

static const char verify_usage[] =
"usage: mofn verify [--json] [--pin-file PATH ...] SHARE...\n"
"\n"
"Checks that the shares belong to one set, that at least M of them\n"
"recombine to the set's check value, and that every other share given lies\n"
"on the same polynomial. Reveals nothing of the secret. Exit status 0 when\n"
"all is well, 3 when shares are too few, mixed, duplicated or corrupt (the\n"
"corrupt ones are named), or a PIN is wrong.\n"
"\n"
"  --json             one JSON object on standard output\n"
"  --pin-file PATH    PIN for the next PIN-protected share file, in order\n";

static void
print_json(const struct inputs *in, const struct share_report *rep, int r)
{
	struct share_info info;
	struct json *j;
	char id[SHARE_SET_ID_STR];
	size_t i;

	if ((j = json_new(stdout)) == NULL)
		return;
	json_obj_begin(j, NULL);
	json_bool(j, "ok", r == 0 && rep->bad == 0 && in->rejected == 0);
	json_bool(j, "recovered", r == 0);
	json_str(j, "error", r != 0 ? err_str(r) : NULL);
	json_str(j, "detail", r != 0 || rep->bad ? err_detail() : NULL);
	if (in->n > 0) {
		share_get_info(in->sh[0], &info);
		share_set_id_str(info.set_id, id);
		json_str(j, "set_id", id);
	}
	json_int(j, "left_out_corrupt", (int64_t)in->rejected);
	json_int(j, "m", rep->m);
	json_int(j, "n", rep->n);
	json_arr_begin(j, "shares");
	for (i = 0; i < in->n; i++) {
		share_get_info(in->sh[i], &info);
		json_obj_begin(j, NULL);
		json_str(j, "source", in->name[i]);
		json_int(j, "index", info.index);
		json_bool(j, "used", (rep->used >> i) & 1);
		json_bool(j, "corrupt", (rep->bad >> i) & 1);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	json_free(j);
}

int
verify_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pin-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pin_list pins;
	struct inputs in;
	struct share_report rep;
	struct share_info info;
	struct secret *s = NULL;
	char id[SHARE_SET_ID_STR];
	int c, r, json = 0;
	struct cli_getopt g;

	memset(&pins, 0, sizeof(pins));
	cli_getopt_init(&g, PROG, "verify", opts);
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		if (c == CLI_OPT_BAD)
			return EXIT_USAGE;
		switch (c) {
		case 'j':
			json = 1;
			cli_json_mode();
			break;
		case 'P':
			if (pin_list_add(&pins, optarg) != 0)
				return cli_usage_error(PROG, "too many --pin-file");
			break;
		case 'h':
			fputs(verify_usage, stdout);
			return EXIT_DONE;
		default:
			return usage_hint("verify");
		}
	}
	if (optind == argc)
		return cli_usage_error(PROG, "give the share files to verify");
	if ((r = inputs_load(&in, argv + optind, argc - optind, &pins)) != 0)
		return r;
	r = inputs_combine(&in, &s, &rep, json);
	secret_free(s);
	if (json) {
		print_json(&in, &rep, r);
		r = r != 0 ? err_exit_code(r) : rep.bad || in.rejected ?
		    err_exit_code(CE_SHARE_CORRUPT) : EXIT_DONE;
		err_set_detail(NULL);
		goto out;
	}
	if (r != 0)
		goto out;
	share_get_info(in.sh[0], &info);
	share_set_id_str(info.set_id, id);
	if (rep.bad != 0 || in.rejected > 0) {
		printf("set %s: the secret recombines (%u of %u), but %zu of "
		    "the shares given %s corrupt\n", id, rep.m, rep.n,
		    (size_t)__builtin_popcount(rep.bad) + in.rejected,
		    __builtin_popcount(rep.bad) + in.rejected == 1 ? "is" :
		    "are");
		r = err_exit_code(CE_SHARE_CORRUPT);
		goto out;
	}
	printf("set %s: OK: %zu share%s verified (threshold %u of %u)\n", id,
	    in.n, in.n == 1 ? "" : "s", rep.m, rep.n);
	r = EXIT_DONE;
 out:
	inputs_free(&in);
	return r;
}
