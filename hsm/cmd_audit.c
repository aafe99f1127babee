/* hsm audit show, verify, export, pubkey and quarantine. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "err.h"
#include "file.h"
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

/* Opens the HSM; with a login credential given, logs the SO in (the
 * MACs of the SO's epochs are then checked too). */
static int
verify_open(struct opts *o, struct hsm **hp, int *keyedp)
{
	const struct cred_src *c = &o->login;

	*keyedp = c->pin_file != NULL || c->pin_env != NULL || c->nshare > 0 ||
	    c->challenge_file != NULL || c->challenge_env != NULL;
	if (*keyedp)
		return open_so(o, o->args[0], 0, hp, NULL);
	return open_hsm(o->args[0], 0, hp, NULL);
}

/* --head FILE: the signed head must still describe the log's past. */
static int
verify_head(struct hsm *h, const char *path, struct audit_headinfo *hi)
{
	struct buf *b = NULL;
	int r;

	if ((r = file_read(path, 4096, &b)) != 0)
		return r;
	r = hsm_audit_head_check(h, buf_ptr(b), buf_len(b), hi);
	buf_free(b);
	return r;
}

static void
verify_json(const struct opts *o, int r, const struct audit_report *rep,
    int keyed, const struct audit_headinfo *hi)
{
	struct json *j = json_new(stdout);

	json_obj_begin(j, NULL);
	json_bool(j, "ok", r == 0);
	json_int(j, "records", (int64_t)rep->records);
	json_int(j, "head", (int64_t)rep->head_seq);
	json_int(j, "macs_checked", (int64_t)rep->macs);
	json_bool(j, "digest_checked", rep->digest_checked);
	json_bool(j, "so", keyed);
	if (o->head != NULL)
		json_int(j, "head_file_seq", (int64_t)hi->seq);
	json_bool(j, "crash_tail", rep->crash_tail);
	if (rep->crash_tail) {
		json_int(j, "tail_seq", (int64_t)rep->tail_seq);
		json_int(j, "tail_records", rep->tail_records);
		json_str(j, "tail_event", rep->tail_event);
	}
	if (r != 0) {
		json_int(j, "bad_line", (int64_t)rep->bad_line);
		json_str(j, "error", err_detail());
	}
	json_obj_end(j);
	json_free(j);
}

static int
cmd_verify(struct opts *o)
{
	struct hsm *h = NULL;
	struct audit_report rep;
	struct audit_headinfo hi;
	int r, keyed;

	memset(&rep, 0, sizeof(rep));
	memset(&hi, 0, sizeof(hi));
	if ((r = verify_open(o, &h, &keyed)) != 0)
		return cli_fail(PROG, r, "audit verify");
	if (o->head == NULL || (r = verify_head(h, o->head, &hi)) == 0)
		r = hsm_audit_verify(h, &rep);
	hsm_close(h);
	if (o->json)
		verify_json(o, r, &rep, keyed, &hi);
	if (r != 0)
		return cli_fail(PROG, r, "audit log verification failed");
	if (!o->json) {
		printf("audit log verified: %llu records, head matches hsm.db; "
		    "%llu MACs checked%s\n", (unsigned long long)rep.records,
		    (unsigned long long)rep.macs, keyed ? " (SO)" :
		    rep.macs < rep.records ? " (the SO credential checks the "
		    "rest)" : "");
		if (o->head != NULL)
			printf("the head of %s (seq %llu) still holds: records 1 "
			    "to %llu are the ones it vouches for\n", hi.time,
			    (unsigned long long)hi.seq, (unsigned long long)hi.seq);
	}
	if (rep.crash_tail) {
		if (rep.tail_records == 2)
			fprintf(stderr, "%s: warning: records %llu and %llu (%s) "
			    "after the head were never committed: a command was "
			    "interrupted (a crash or a kill) after its login and "
			    "its operation were written, not tampering; the next "
			    "write drops them and records that it did\n", PROG,
			    (unsigned long long)rep.tail_seq,
			    (unsigned long long)rep.tail_seq + 1, rep.tail_event);
		else if (rep.tail_seq != 0)
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
cmd_export(struct opts *o)
{
	struct hsm *h = NULL;
	char *headpath = NULL;
	uint64_t seq = 0;
	int r;

	if (o->out == NULL && o->head == NULL) {
		fprintf(stderr, "%s audit export: give --out FILE (the log and "
		    "FILE.head) or --head FILE (the head alone)\n", PROG);
		return EXIT_USAGE;
	}
	if (o->head == NULL && asprintf(&headpath, "%s.head", o->out) < 0)
		return cli_fail(PROG, CE_NOMEM, "audit export");
	if ((r = open_hsm(o->args[0], 0, &h, NULL)) == 0)
		r = hsm_audit_export(h, o->out, o->head != NULL ? o->head :
		    headpath, &seq);
	hsm_close(h);
	if (r == 0) {
		if (o->out != NULL)
			printf("audit log up to record %llu written to %s\n",
			    (unsigned long long)seq, o->out);
		printf("signed head of record %llu written to %s; keep it off "
		    "this host\n", (unsigned long long)seq, o->head != NULL ?
		    o->head : headpath);
	}
	free(headpath);
	return r ? cli_fail(PROG, r, "audit export") : EXIT_DONE;
}

static int
cmd_pubkey(struct opts *o)
{
	struct hsm *h = NULL;
	uint8_t pk[AUDIT_PUBKEY_LEN];
	char hx[2 * AUDIT_PUBKEY_LEN + 1];
	int r;

	if ((r = open_hsm(o->args[0], 0, &h, NULL)) == 0)
		r = hsm_audit_pubkey(h, pk);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "audit pubkey");
	sodium_bin2hex(hx, sizeof(hx), pk, sizeof(pk));
	printf("%s\n", hx);
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
	{ "verify", cmd_verify, O_JSON | O_PIN | O_HEAD, 1,
	    "DIR [--pin-file F | --share F ...] [--head FILE] [--json]" },
	{ "export", cmd_export, O_OUT | O_HEAD, 1,
	    "DIR --out FILE | --head FILE" },
	{ "pubkey", cmd_pubkey, 0, 1, "DIR" },
	{ "quarantine", cmd_quarantine, 0, 1, "DIR" },
};
const size_t ncmds_audit = sizeof(cmds_audit) / sizeof(cmds_audit[0]);
