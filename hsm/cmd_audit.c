/* hsm audit show, verify and quarantine. */
#include <limits.h>
#include <stdio.h>

#include "audit.h"
#include "cli.h"
#include "err.h"
#include "hsm.h"
#include "tool.h"

struct show_ctx {
	struct json *j;
	uint64_t skip;
	uint64_t n;
};

static int
show_cb(void *ctx, const char *line, size_t len)
{
	struct show_ctx *c = ctx;
	struct audit_rec rec;

	if (c->n++ < c->skip)
		return 0;
	if (audit_parse(line, len, &rec) != 0) {
		if (c->j == NULL)
			printf("(malformed line %llu)\n",
			    (unsigned long long)c->n);
		return 0;
	}
	if (c->j != NULL) {
		json_obj_begin(c->j, NULL);
		json_int(c->j, "seq", (int64_t)rec.seq);
		json_str(c->j, "time", rec.time);
		json_str(c->j, "event", rec.event);
		json_str(c->j, "result", rec.result);
		if (rec.role[0])
			json_str(c->j, "role", rec.role);
		if (rec.partition[0])
			json_str(c->j, "partition", rec.partition);
		if (rec.serial)
			json_serial(c->j, "serial", rec.serial);
		if (rec.object[0])
			json_str(c->j, "object", rec.object);
		if (rec.detail[0])
			json_str(c->j, "detail", rec.detail);
		if (rec.count >= 0)
			json_int(c->j, "count", rec.count);
		json_obj_end(c->j);
		return 0;
	}
	printf("%6llu  %s  %-18s %-4s  %-2s  %-16s %s%s%s", (unsigned long long)
	    rec.seq, rec.time, rec.event, rec.result, rec.role, rec.partition,
	    rec.object, rec.object[0] && rec.detail[0] ? ": " : "", rec.detail);
	if (rec.count >= 0)
		printf(" [%lld]", (long long)rec.count);
	printf("\n");
	return 0;
}

static int
count_cb(void *ctx, const char *line, size_t len)
{
	(void)line;
	(void)len;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int
cmd_show(struct opts *o)
{
	struct hsm *h = NULL;
	struct show_ctx c = { NULL, 0, 0 };
	uint64_t total = 0;
	int r;

	if ((r = open_hsm(o->args[0], 0, &h, NULL)) != 0)
		return cli_fail(PROG, r, "audit show");
	if (o->tail > 0 && (r = audit_foreach(hsm_audit_path(h), count_cb,
	    &total)) == 0 && total > o->tail)
		c.skip = total - o->tail;
	if (o->json) {
		c.j = json_new(stdout);
		json_obj_begin(c.j, NULL);
		json_arr_begin(c.j, "records");
	}
	if (r == 0)
		r = audit_foreach(hsm_audit_path(h), show_cb, &c);
	if (c.j != NULL) {
		json_arr_end(c.j);
		json_obj_end(c.j);
		json_free(c.j);
	}
	hsm_close(h);
	return r ? cli_fail(PROG, r, "audit show") : EXIT_DONE;
}

static int
cmd_verify(struct opts *o)
{
	struct hsm *h = NULL;
	struct audit_report rep;
	struct json *j;
	int r;

	if ((r = open_hsm(o->args[0], 0, &h, NULL)) != 0)
		return cli_fail(PROG, r, "audit verify");
	r = hsm_audit_verify(h, &rep);
	hsm_close(h);
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_bool(j, "ok", r == 0);
		json_int(j, "records", (int64_t)rep.records);
		json_int(j, "head", (int64_t)rep.head_seq);
		json_bool(j, "crash_tail", rep.crash_tail);
		if (rep.crash_tail) {
			json_int(j, "tail_seq", (int64_t)rep.tail_seq);
			json_str(j, "tail_event", rep.tail_event);
		}
		if (r != 0) {
			json_int(j, "bad_line", (int64_t)rep.bad_line);
			json_str(j, "error", err_detail());
		}
		json_obj_end(j);
		json_free(j);
	}
	if (r != 0)
		return cli_fail(PROG, r, "audit log verification failed");
	if (!o->json)
		printf("audit log verified: %llu records, chain intact, head "
		    "matches hsm.db\n", (unsigned long long)rep.records);
	if (rep.crash_tail) {
		if (rep.tail_seq != 0)
			fprintf(stderr, "%s: warning: record %llu (%s) after the "
			    "head was never committed: a command was interrupted "
			    "(a crash or a kill), not tampering; the next write "
			    "drops it and records that it did\n", PROG,
			    (unsigned long long)rep.tail_seq, rep.tail_event);
		else
			fprintf(stderr, "%s: warning: a partly written record "
			    "follows the head: a command was interrupted while "
			    "writing it, not tampering; the next write drops it "
			    "and records that it did\n", PROG);
	}
	return EXIT_DONE;
}

static int
cmd_quarantine(struct opts *o)
{
	struct hsm *h = NULL;
	char path[PATH_MAX];
	uint64_t n = 0;
	int r;

	if ((r = open_hsm(o->args[0], 0, &h, NULL)) != 0)
		return cli_fail(PROG, r, "audit quarantine");
	r = hsm_audit_quarantine(h, path, sizeof(path), &n);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "audit quarantine; nothing was moved");
	if (n == 0)
		printf("nothing past the audit head: nothing to move\n");
	else
		printf("moved %llu line(s) past the audit head to %s; the move "
		    "is recorded in audit.log\n", (unsigned long long)n, path);
	return EXIT_DONE;
}

const struct cmd cmds_audit[] = {
	{ "show", cmd_show, O_JSON | O_TAIL, 1, "DIR [--tail N] [--json]" },
	{ "verify", cmd_verify, O_JSON, 1, "DIR [--json]" },
	{ "quarantine", cmd_quarantine, 0, 1, "DIR" },
};
const size_t ncmds_audit = sizeof(cmds_audit) / sizeof(cmds_audit[0]);
