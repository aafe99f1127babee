/* hsm sks show|extract|insert|rollover: V1 partitions (lib/sks.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cred.h"
#include "err.h"
#include "file.h"
#include "hsm.h"
#include "kdf.h"
#include "object.h"
#include "role.h"
#include "secret.h"
#include "sks.h"
#include "tool.h"

static int
cmd_show(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct sks_status st;
	struct json *j;
	char hex[2 * SKS_ID_LEN + 1];
	int r;

	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) == 0)
		r = sks_status_get(s, &st);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "sks show");
	sks_id_hex(st.smk_id, hex);
	if (o->json) {
		j = json_new(stdout);
		json_obj_begin(j, NULL);
		json_str(j, "smk_id", hex);
		json_int(j, "smk_generation", (int64_t)st.gen);
		json_int(j, "retired_generations", (int64_t)st.retired);
		json_int(j, "objects", (int64_t)st.objects);
		json_int(j, "blob_bytes", (int64_t)st.bytes);
		json_obj_end(j);
		json_free(j);
		return EXIT_DONE;
	}
	printf("SMK:            %s\n", hex);
	printf("Generation:     %llu (%llu retired)\n",
	    (unsigned long long)st.gen, (unsigned long long)st.retired);
	printf("Blobs:          %llu, %llu bytes in %s\n",
	    (unsigned long long)st.objects, (unsigned long long)st.bytes,
	    SKS_DB_NAME);
	return EXIT_DONE;
}

/*
 * Opens the extract file to be: unnamed until it is complete (a kill leaves
 * nothing behind); an existing path is refused unless force.
 */
static int
out_open(const char *path, int force, int *fdp)
{
	struct stat sb;

	if (!force && stat(path, &sb) == 0) {
		err_set_detail("%s exists; choose another name or add --force",
		    path);
		return CE_EXISTS;
	}
	return file_unnamed_open(path, fdp);
}

/* Which authorization an extract command was given (CE_USAGE for two). */
static int
auth_kind(const struct opts *o, int *kindp)
{
	int pw = o->auth_pin_file != NULL || o->auth_pin_env != NULL;
	int sh = o->auth_new.dir != NULL || o->auth_new.m || o->auth_new.n ||
	    o->auth_src.nshare > 0;

	if (pw && sh) {
		err_set_detail("give an authorization password or share files, "
		    "not both");
		return CE_USAGE;
	}
	*kindp = pw ? SKS_AUTH_PASSWORD : sh ? SKS_AUTH_SHARES : SKS_AUTH_NONE;
	return 0;
}

static int
cmd_extract(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct secret *secret = NULL;
	struct cli_secret_src asrc = { o->auth_pin_file, o->auth_pin_env };
	struct cred_pins pins;
	struct cred_written w;
	struct sks_auth auth = { SKS_AUTH_NONE, NULL, KDF_INTERACTIVE };
	uint64_t count = 0;
	int r, fd = -1;

	memset(&pins, 0, sizeof(pins));
	memset(&w, 0, sizeof(w));
	if (o->out == NULL)
		return cli_usage_error(PROG, "sks extract: --out FILE is "
		    "required");
	if ((r = auth_kind(o, &auth.kind)) != 0 ||
	    (o->kdf != NULL && (r = kdf_profile_choose(o->kdf, &auth.kdf)) != 0) ||
	    (auth.kind == SKS_AUTH_SHARES &&
	    (r = cred_new_check(&o->auth_new, "sks-auth")) != 0))
		return cli_fail(PROG, r, "sks extract");
	if (auth.kind == SKS_AUTH_SHARES && o->auth_new.dir == NULL)
		return cli_usage_error(PROG, "sks extract: an M-of-N "
		    "authorization needs --auth-m M --auth-n N "
		    "--auth-shares-out DIR");
	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) != 0)
		goto out;
	if (auth.kind == SKS_AUTH_PASSWORD)
		r = cli_read_secret("Extract authorization password: ", &asrc, 1,
		    &secret);
	else if (auth.kind == SKS_AUTH_SHARES)
		r = cred_new_make(PROG, &o->auth_new, &pins, 1, "sks-auth", NULL,
		    &w, &secret);
	if (r != 0)
		goto out;
	auth.secret = secret;
	if ((r = out_open(o->out, o->force, &fd)) != 0)
		goto out;
	if ((r = sks_extract(s, o->nobjects ? o->objects : NULL,
	    (size_t)o->nobjects, &auth, fd, &count)) != 0 ||
	    (r = file_unnamed_link(fd, o->out, o->force)) != 0)
		goto out;
 out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		cred_written_undo(&w);
	secret_free(secret);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "sks extract");
	cred_written_report(PROG, &w);
	printf("extracted %llu SKS blob(s) to %s%s\n", (unsigned long long)count,
	    o->out, auth.kind == SKS_AUTH_PASSWORD ? " (under an authorization "
	    "password)" : auth.kind == SKS_AUTH_SHARES ? " (under an M-of-N "
	    "authorization: the share files above)" : "");
	return EXIT_DONE;
}

static int
cmd_insert(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct secret *secret = NULL;
	struct object_apply_stats st;
	struct cli_secret_src asrc = { o->auth_pin_file, o->auth_pin_env };
	struct sks_auth auth = { SKS_AUTH_NONE, NULL, 0 };
	int r, fd = -1, conflict = OBJ_CONFLICT_FAIL;

	if (o->in == NULL)
		return cli_usage_error(PROG, "sks insert: --in FILE is required");
	if ((o->conflict != NULL &&
	    (r = object_conflict_parse(o->conflict, &conflict)) != 0) ||
	    (r = auth_kind(o, &auth.kind)) != 0)
		return cli_fail(PROG, r, "sks insert");
	if (o->auth_new.dir != NULL || o->auth_new.m || o->auth_new.n)
		return cli_usage_error(PROG, "sks insert: give the "
		    "authorization's share files with --auth-share");
	if ((fd = open(o->in, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set_detail("cannot open %s: %s", o->in, strerror(errno));
		return cli_fail(PROG, CE_IO, "sks insert");
	}
	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) != 0)
		goto out;
	/* Shares are recombined (and checked) before the file is read. */
	if (auth.kind == SKS_AUTH_PASSWORD)
		r = cli_read_secret("Extract authorization password: ", &asrc, 0,
		    &secret);
	else if (auth.kind == SKS_AUTH_SHARES)
		r = cred_read_shares(PROG, &o->auth_src, &secret);
	if (r != 0)
		goto out;
	auth.secret = secret;
	r = sks_insert(s, fd, &auth, conflict, &st);
 out:
	close(fd);
	secret_free(secret);
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "sks insert");
	printf("inserted %llu SKS blob(s) (%llu replaced, %llu skipped)\n",
	    (unsigned long long)st.written, (unsigned long long)st.replaced,
	    (unsigned long long)st.skipped);
	return EXIT_DONE;
}

static void
on_progress(void *ctx, uint64_t done)
{
	progress_update(ctx, done);
}

static int
cmd_rollover(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct sks_status st;
	struct progress *pg = NULL;
	char hex[2 * SKS_ID_LEN + 1];
	uint64_t count = 0;
	int r;

	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) != 0 ||
	    (r = sks_status_get(s, &st)) != 0)
		goto out;
	pg = progress_new("re-sealing", st.objects);
	r = sks_rollover(s, on_progress, pg, &count);
	progress_done(pg);
	if (r == 0)
		r = sks_status_get(s, &st);
 out:
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "sks rollover");
	sks_id_hex(st.smk_id, hex);
	printf("SMK rolled over: generation %llu (%s); %llu blob(s) re-sealed, "
	    "the old SMK destroyed. Extracts made before now can no longer be "
	    "inserted.\n", (unsigned long long)st.gen, hex,
	    (unsigned long long)count);
	return EXIT_DONE;
}

static int
count_rec(void *ctx, const struct object_info *oi, const uint8_t *rec,
    size_t len)
{
	(void)oi;
	(void)rec;
	(void)len;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* Opens every blob: proof that each object is whole under the current SMK. */
static int
cmd_verify(struct opts *o)
{
	struct hsm *h = NULL;
	struct session *s = NULL;
	struct sks_status st;
	char hex[2 * SKS_ID_LEN + 1];
	uint64_t n = 0;
	int r;

	if ((r = open_session(o, o->args[0], ROLE_CO, &h, &s)) != 0)
		goto out;
	if (session_version(s) != 1) {
		err_set_detail("partition '%s' is V0: it has no SKS blobs",
		    session_label(s));
		r = CE_INVALID;
		goto out;
	}
	if ((r = object_foreach(s, count_rec, &n)) != 0 ||
	    (r = sks_status_get(s, &st)) != 0)
		goto out;
	if (n != st.objects) {
		err_set_detail("%llu blobs opened but %s counts %llu",
		    (unsigned long long)n, SKS_DB_NAME,
		    (unsigned long long)st.objects);
		r = CE_INTEGRITY;
	}
 out:
	session_close(s);
	hsm_close(h);
	if (r != 0)
		return cli_fail(PROG, r, "sks verify");
	sks_id_hex(st.smk_id, hex);
	if (o->json) {
		struct json *j = json_new(stdout);

		json_obj_begin(j, NULL);
		json_int(j, "blobs", (int64_t)n);
		json_str(j, "smk_id", hex);
		json_int(j, "smk_generation", (int64_t)st.gen);
		json_obj_end(j);
		json_free(j);
	} else
		printf("%llu blob(s) open under SMK %s (generation %llu)\n",
		    (unsigned long long)n, hex, (unsigned long long)st.gen);
	return EXIT_DONE;
}

#define LOGIN (O_PIN | O_ROLE)

const struct cmd cmds_sks[] = {
	{ "show", cmd_show, LOGIN | O_JSON, 1,
	    "hsm:DIR#LABEL [--role co|cu] [--json] [--pin-file F]" },
	{ "extract", cmd_extract, LOGIN | O_OUT | O_OBJECT | O_AUTHPIN | O_KDF |
	    O_FORCE, 1, "hsm:DIR#LABEL --out FILE [--object LABEL ...] "
	    "[--auth-pin-file F [--kdf PROFILE] | --auth-m M --auth-n N "
	    "--auth-shares-out DIR] [--force] [--pin-file F]  (CO)" },
	{ "insert", cmd_insert, LOGIN | O_IN | O_AUTHPIN | O_CONFLICT, 1,
	    "hsm:DIR#LABEL --in FILE [--auth-pin-file F | --auth-share F ...] "
	    "[--conflict fail|skip|replace] [--pin-file F]  (CO)" },
	{ "verify", cmd_verify, LOGIN | O_JSON, 1,
	    "hsm:DIR#LABEL [--role co|cu] [--json] [--pin-file F]" },
	{ "rollover", cmd_rollover, LOGIN, 1,
	    "hsm:DIR#LABEL [--pin-file F]  (CO)" },
};
const size_t ncmds_sks = sizeof(cmds_sks) / sizeof(cmds_sks[0]);
