/* mofn inspect: what a share says about itself, without its PIN and
 * without anything of the secret. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "kdf.h"
#include "mofn.h"

static const char inspect_usage[] =
"usage: mofn inspect [--json] SHARE...\n"
"\n"
"Shows each share's set identifier, M, N, index, the secret's length and\n"
"whether the file is PIN-protected (no PIN is needed). Shows nothing of\n"
"the secret. A damaged file or a mistyped line is reported (exit 3).\n"
"\n"
"  --json             one JSON object on standard output\n";

struct inspect_ctx {
	struct json *j;
	int status;
};

static int
inspect_one(void *vctx, const char *name, const uint8_t *p, size_t len,
    int is_file)
{
	struct inspect_ctx *ctx = vctx;
	struct share_info info;
	struct share *sh = NULL;
	char id[SHARE_SET_ID_STR];
	const char *kdf;
	int r;

	if (is_file) {
		r = share_file_peek(p, len, &info);
	} else if ((r = share_text_decode((const char *)p, len, &sh)) == 0) {
		share_get_info(sh, &info);
		share_free(sh);
	}
	if (r != 0) {
		/* report and go on with the other shares */
		r = cli_fail(PROG, r, name);
		if (ctx->status == 0)
			ctx->status = r;
		return 0;
	}
	share_set_id_str(info.set_id, id);
	kdf = info.pin_protected ? kdf_profile_name(info.kdf_profile) : NULL;
	if (ctx->j == NULL) {
		printf("%s: share #%u of set %s, %u of %u, %zu-byte secret, "
		    "%s%s%s%s\n", name, info.index, id, info.m, info.n,
		    info.secret_len, is_file ? "file" : "text line",
		    info.pin_protected ? ", PIN-protected (kdf " : "",
		    kdf != NULL ? kdf : "", info.pin_protected ? ")" : "");
		return 0;
	}
	json_obj_begin(ctx->j, NULL);
	json_str(ctx->j, "source", name);
	json_str(ctx->j, "format", is_file ? "file" : "text");
	json_str(ctx->j, "set_id", id);
	json_int(ctx->j, "m", info.m);
	json_int(ctx->j, "n", info.n);
	json_int(ctx->j, "index", info.index);
	json_int(ctx->j, "secret_len", (int64_t)info.secret_len);
	json_bool(ctx->j, "pin_protected", info.pin_protected);
	json_str(ctx->j, "kdf", kdf);
	json_obj_end(ctx->j);
	return 0;
}

int
inspect_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct inspect_ctx ctx = { NULL, 0 };
	int c, r, json = 0;
	struct cli_getopt g;

	cli_getopt_init(&g, PROG, "inspect", opts);
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		if (c == CLI_OPT_BAD)
			return EXIT_USAGE;
		switch (c) {
		case 'j':
			json = 1;
			cli_json_mode();
			break;
		case 'h':
			fputs(inspect_usage, stdout);
			return EXIT_DONE;
		default:
			return usage_hint("inspect");
		}
	}
	if (optind == argc)
		return cli_usage_error(PROG, "give the share files to inspect");
	if (json) {
		if ((ctx.j = json_new(stdout)) == NULL)
			return cli_fail(PROG, CE_NOMEM, "inspect");
		json_obj_begin(ctx.j, NULL);
		json_arr_begin(ctx.j, "shares");
	}
	r = inputs_walk(argv + optind, argc - optind, inspect_one, &ctx);
	if (json) {
		json_arr_end(ctx.j);
		json_obj_end(ctx.j);
		json_free(ctx.j);
	}
	return r != 0 ? r : ctx.status;
}
