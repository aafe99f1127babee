/* clone: what happened, for people (stdout/stderr) or for scripts (--json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clone.h"
#include "endpoint.h"
#include "err.h"

/*
 * Exit status of a committed run. Objects kept on the target because the
 * operator asked for it (--on-conflict skip, as restore --add) are listed
 * and the run is a success; objects that differ on the target when they
 * were meant to be copies (--sync) are what nobody asked for: exit 1, so a
 * divergence is never silent in a script. The same rule holds in restore.
 */
static int
committed_status(const struct clone_result *res, size_t *keptp,
    size_t *differp)
{
	const struct endpoint_stats *st = res->st;
	size_t i;

	*keptp = *differp = 0;
	for (i = 0; st != NULL && i < st->nskips; i++) {
		if (st->skips[i].why == ENDPOINT_DIFFERS)
			(*differp)++;
		else
			(*keptp)++;
	}
	return *differp > 0 ? EXIT_FAILED : EXIT_DONE;
}

static void
json_labels(struct json *j, const char *key, char **v, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	json_arr_begin(j, key);
	for (i = 0; i < n; i++)
		json_str(j, NULL, v[i]);
	json_arr_end(j);
}

static void
report_json(const struct clone_opts *o, const struct clone_result *res,
    int status)
{
	struct json *j = json_new(stdout);
	const struct endpoint_stats *st = res->st;
	size_t i;

	json_obj_begin(j, NULL);
	json_str(j, "from", o->from);
	json_str(j, "to", o->to);
	json_str(j, "mode", endpoint_conflict_name(o->conflict));
	json_str(j, "result", res->r != 0 ? "failed" : status != 0 ?
	    "partial" : "ok");
	json_int(j, "exit", status);
	if (res->domain[0] != '\0')
		json_str(j, "domain", res->domain);
	json_int(j, "sent", (int64_t)res->sent);
	json_int(j, "written", st && res->r == 0 ? (int64_t)st->written : 0);
	json_int(j, "replaced", st && res->r == 0 ? (int64_t)st->replaced : 0);
	json_int(j, "skipped", st && res->r == 0 ? (int64_t)st->skipped : 0);
	json_int(j, "identical", st && res->r == 0 ? (int64_t)st->identical :
	    0);
	if (st != NULL && res->r == 0 && st->erased > 0)
		json_int(j, "erased_by_force", (int64_t)st->erased);
	json_arr_begin(j, "not_transferred");
	for (i = 0; st != NULL && res->r == 0 && i < st->nskips; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "label", st->skips[i].label);
		json_str(j, "reason", st->skips[i].reason);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (res->r != 0) {
		json_obj_begin(j, "error");
		json_str(j, "step", res->what);
		json_str(j, "message", err_str(res->r));
		json_str(j, "detail", res->detail);
		json_obj_end(j);
		json_labels(j, "missing_on_source", res->missing,
		    res->nmissing);
		json_labels(j, "exists_on_target", res->clashes,
		    res->nclashes);
	}
	json_obj_end(j);
	json_free(j);
}

/* Lists the skips of one kind under a heading. */
static void
list_skips(const struct endpoint_stats *st, size_t n, int differs,
    const char *heading)
{
	size_t i;

	if (n == 0)
		return;
	printf("  %s (%zu):\n", heading, n);
	for (i = 0; i < st->nskips; i++)
		if ((st->skips[i].why == ENDPOINT_DIFFERS) == differs)
			printf("    %s: %s\n", st->skips[i].label,
			    st->skips[i].reason);
}

static void
report_human(const struct clone_opts *o, const struct clone_result *res,
    size_t kept, size_t differ)
{
	const struct endpoint_stats *st = res->st;
	static const char *mode_words[] = {
		[ENDPOINT_FAIL] = "",
		[ENDPOINT_SKIP] = "; labels already on the target were kept",
		[ENDPOINT_REPLACE] = "; labels already on the target were "
		    "replaced",
		[ENDPOINT_SYNC] = "; only missing objects were copied",
	};

	printf("%s %s -> %s through cloning domain '%s'%s\n",
	    o->conflict == ENDPOINT_SYNC ? "synced" : "cloned", o->from, o->to,
	    res->domain, mode_words[o->conflict]);
	printf("  sent %llu, written %llu, replaced %llu, skipped %llu\n",
	    (unsigned long long)res->sent, (unsigned long long)st->written,
	    (unsigned long long)st->replaced, (unsigned long long)st->skipped);
	if (st->erased > 0)
		printf("  --force: the target took the source's SKS master key; "
		    "%llu object(s) under its previous SMK were erased\n",
		    (unsigned long long)st->erased);
	if (st->identical > 0)
		printf("  %llu already on the target, identical\n",
		    (unsigned long long)st->identical);
	list_skips(st, kept, 0, "kept on the target");
	list_skips(st, differ, 1, "not transferred, the target's copy differs");
	if (differ > 0)
		fprintf(stderr, "%s: committed, but %zu object%s differ%s on "
		    "the target and %s not transferred (listed above); compare "
		    "them, then clone them with --object and --on-conflict "
		    "replace if the source is right\n", PROG, differ,
		    differ == 1 ? "" : "s", differ == 1 ? "s" : "",
		    differ == 1 ? "was" : "were");
}

int
clone_report(const struct clone_opts *o, struct clone_result *res)
{
	size_t i, kept = 0, differ = 0;
	int status;

	if (res->r != 0) {
		status = err_exit_code(res->r);
		if (o->json)
			report_json(o, res, status);
		err_set_detail("%s", res->detail);
		(void)cli_fail(PROG, res->r, res->what);
		for (i = 0; i < res->nmissing; i++)
			fprintf(stderr, "  not on the source: %s\n",
			    res->missing[i]);
		for (i = 0; i < res->nclashes; i++)
			fprintf(stderr, "  exists on the target: %s\n",
			    res->clashes[i]);
		if (res->nclashes > 0)
			fprintf(stderr, "Nothing was written. Choose "
			    "--on-conflict skip (keep the target's objects) or "
			    "replace (overwrite them), or --sync.\n");
		return status;
	}
	status = committed_status(res, &kept, &differ);
	if (o->json)
		report_json(o, res, status);
	else
		report_human(o, res, kept, differ);
	return status;
}

void
clone_result_free(struct clone_result *res)
{
	size_t i;

	for (i = 0; i < res->nmissing; i++)
		free(res->missing[i]);
	for (i = 0; i < res->nclashes; i++)
		free(res->clashes[i]);
	free(res->missing);
	free(res->clashes);
	memset(res, 0, sizeof(*res));
}
