/* clone: what happened, for people (stdout/stderr) or for scripts (--json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clone.h"
#include "endpoint.h"
#include "err.h"

/*
 * Exit status of a committed run: 1 when objects were left out that the
 * caller may have wanted (skip-mode clashes; sync-mode objects whose
 * target copy differs), so no skip is ever silent in a script.
 */
static int
committed_status(const struct clone_result *res, size_t *leftp)
{
	size_t left = res->st != NULL ? res->st->nskips : 0;

	*leftp = left;
	return left > 0 ? EXIT_FAILED : EXIT_DONE;
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

static void
report_human(const struct clone_opts *o, const struct clone_result *res,
    size_t left)
{
	const struct endpoint_stats *st = res->st;
	size_t i;

	printf("cloned %s -> %s (domain '%s', %s)\n", o->from, o->to,
	    res->domain, o->conflict == ENDPOINT_SYNC ? "sync" :
	    endpoint_conflict_name(o->conflict));
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
	if (left > 0) {
		printf("  not transferred (%zu):\n", left);
		for (i = 0; i < st->nskips; i++)
			printf("    %s: %s\n", st->skips[i].label,
			    st->skips[i].reason);
		fprintf(stderr, "%s: committed, but %zu object%s not "
		    "transferred (listed above)\n", PROG, left, left == 1 ?
		    " was" : "s were");
	}
}

int
clone_report(const struct clone_opts *o, struct clone_result *res)
{
	size_t i, left = 0;
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
	status = committed_status(res, &left);
	if (o->json)
		report_json(o, res, status);
	else
		report_human(o, res, left);
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
