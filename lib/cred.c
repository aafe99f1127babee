#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activation.h"
#include "buf.h"
#include "cli.h"
#include "cred.h"
#include "crypto.h"
#include "err.h"
#include "file.h"
#include "hsm.h"
#include "role.h"
#include "secret.h"

/* A share file is < 1 KiB; a share line about 700 characters at most. */
#define SHARE_INPUT_MAX 4096

int
cred_add_share(struct cred_src *c, const char *path)
{
	if (c->nshare == SHARE_MAX_INPUTS) {
		err_set_detail("more than %d --share files", SHARE_MAX_INPUTS);
		return CE_USAGE;
	}
	c->share[c->nshare++] = path;
	return 0;
}

int
cred_add_share_pin(struct cred_src *c, const char *path)
{
	if (c->nshare_pin == SHARE_MAX_INPUTS) {
		err_set_detail("more than %d --share-pin-file", SHARE_MAX_INPUTS);
		return CE_USAGE;
	}
	c->share_pin[c->nshare_pin++] = path;
	return 0;
}

/* Which credential option code is (enum cred_opt_which), or -1. */
static int
opt_which(int code)
{
	if (code < CRED_OPT_BASE || code >= CRED_OPT(CRED_OPT_SETS, 0) ||
	    CRED_OPT_WHICH(code) >= CRED_OPT_NWHICH)
		return -1;
	return CRED_OPT_WHICH(code);
}

int
cred_opt(struct cred_src *c, int code, const char *arg)
{
	switch (opt_which(code)) {
	case -1: return 0;
	case CRED_OPT_PIN_FILE: c->pin_file = arg; break;
	case CRED_OPT_PIN_ENV: c->pin_env = arg; break;
	case CRED_OPT_CHAL_FILE: c->challenge_file = arg; break;
	case CRED_OPT_CHAL_ENV: c->challenge_env = arg; break;
	case CRED_OPT_SHARE: return cred_add_share(c, arg) == 0 ? 1 : CE_USAGE;
	case CRED_OPT_SHARE_PIN:
		return cred_add_share_pin(c, arg) == 0 ? 1 : CE_USAGE;
	}
	return 1;
}

const char *
cred_opt_name(int code)
{
	/* In enum cred_opt_which order; CRED_OPTION_ROWS spells the same. */
	static const char *const names[CRED_OPT_NWHICH] = {
		"pin-file", "pin-env", "share", "share-pin-file",
		"challenge-file", "challenge-env",
	};

	int w = opt_which(code);

	return w < 0 ? "?" : names[w];
}

int
cred_add_new_pin(struct cred_pins *p, const char *path)
{
	if (p->n == CRED_MAX_NEW_PINS) {
		err_set_detail("more than %d PIN files for new shares",
		    CRED_MAX_NEW_PINS);
		return CE_USAGE;
	}
	p->file[p->n++] = path;
	return 0;
}

int
cred_src_is_ped(const struct cred_src *c)
{
	return c->nshare > 0 || c->challenge_file != NULL ||
	    c->challenge_env != NULL;
}

/* --- reading shares ------------------------------------------------------ */

/* Shares read so far, each with the file it came from. */
struct loaded {
	struct share *sh[SHARE_MAX_INPUTS];
	const char *from[SHARE_MAX_INPUTS];
	size_t n;
	size_t rejected;       /* failed their own checksum: left out */
	size_t pin_next;       /* next --share-pin-file */
};

static void
loaded_free(struct loaded *l)
{
	share_set_free(l->sh, l->n);
	l->n = 0;
}

/*
 * A share that fails its own checksum (a damaged file, a mistyped line) is
 * named and left out, so that with more than M shares the others can still
 * recombine, as `mofn combine` does.
 */
static void
leave_out(const char *prog, struct loaded *l, const char *path)
{
	fprintf(stderr, "%s: share %s: %s: %s; leaving it out\n", prog, path,
	    err_str(CE_SHARE_CORRUPT), err_detail());
	err_set_detail(NULL);
	l->rejected++;
}

int
cred_share_decode(const char *name, const uint8_t *p, size_t len,
    struct cred_pin_queue *pins, struct share **shp)
{
	struct cli_secret_src src = { NULL, NULL };
	struct share_info info;
	struct secret *pin = NULL;
	char id[SHARE_SET_ID_STR], prompt[PATH_MAX + 80];
	int r;

	*shp = NULL;
	if (!share_file_is(p, len)) {
		/* a share line (paper, typed in, or a file holding one) */
		r = share_text_decode((const char *)p, len, shp);
		if (r == CE_FORMAT)
			err_set_detail("'%s' is neither a share file nor a share "
			    "line", name);
		return r;
	}
	if ((r = share_file_peek(p, len, &info)) != 0) {
		/* its PIN file, if any, is not for the next share */
		if (share_file_claims_pin(p, len) && pins->next < pins->n)
			pins->next++;
		return r;
	}
	if (info.pin_protected) {
		share_set_id_str(info.set_id, id);
		snprintf(prompt, sizeof(prompt), "PIN for share #%u of set %s "
		    "(%s): ", info.index, id, name);
		if (pins->next < pins->n)
			src.file = pins->files[pins->next++];
		if ((r = cli_read_secret(prompt, &src, 0, &pin)) != 0) {
			if (r == CE_USAGE)
				err_set_detail("share '%s' is PIN-protected and "
				    "there is no terminal to ask on: give %s",
				    name, pins->option);
			return r;
		}
	}
	r = share_file_decode(p, len, pin, shp);
	secret_free(pin);
	if (r == CE_BAD_CREDENTIAL) {
		share_set_id_str(info.set_id, id);
		err_set_detail("wrong PIN for share file '%s' (share #%u of set "
		    "%s)", name, info.index, id);
	}
	return r;
}

static int
load_one(const char *prog, const struct cred_src *c, struct loaded *l,
    const char *path)
{
	struct cred_pin_queue pins = { c->share_pin, c->nshare_pin,
	    l->pin_next, "--share-pin-file" };
	struct share *sh = NULL;
	struct buf *b = NULL;
	int r;

	if ((r = file_read_secret_input(path, SHARE_INPUT_MAX, &b)) != 0) {
		if (r == CE_TOO_LONG)
			err_set_detail("'%s' is too large to be a share file",
			    path);
		return r;   /* file_read's detail names the path and why */
	}
	r = cred_share_decode(path, buf_ptr(b), buf_len(b), &pins, &sh);
	l->pin_next = pins.next;
	buf_free(b);
	if (r == CE_SHARE_CORRUPT) {
		leave_out(prog, l, path);
		return 0;
	}
	if (r == CE_BAD_CREDENTIAL) {
		char keep[512];

		snprintf(keep, sizeof(keep), "%s", err_detail());
		err_set_detail("%s; no login was attempted", keep);
	}
	if (r != 0) {
		if (err_detail()[0] == '\0')
			err_set_detail("share '%s'", path);
		return r;
	}
	l->sh[l->n] = sh;
	l->from[l->n++] = path;
	return 0;
}

void
cred_shares_list(const char *prog, struct share *const shs[],
    const char *const names[], size_t n)
{
	struct share_info info;
	char id[SHARE_SET_ID_STR];
	size_t i;

	for (i = 0; i < n; i++) {
		share_get_info(shs[i], &info);
		share_set_id_str(info.set_id, id);
		fprintf(stderr, "%s:   input %zu: %s: share #%u of set %s (%u of "
		    "%u)\n", prog, i + 1, names[i], info.index, id, info.m,
		    info.n);
	}
}

void
cred_shares_report_bad(const char *prog, struct share *const shs[],
    const char *const names[], size_t n, uint32_t bad)
{
	struct share_info info;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(bad & (1u << i)))
			continue;
		share_get_info(shs[i], &info);
		fprintf(stderr, "%s: share #%u from %s is corrupt: destroy it and "
		    "replace it with a duplicate of a good copy ('mofn "
		    "duplicate'), or reissue the set\n", prog, info.index,
		    names[i]);
	}
}

static int read_shares(const char *prog, const struct cred_src *c,
    struct secret **sp, struct cred_tag *tag);

int
cred_read_shares(const char *prog, const struct cred_src *c,
    struct secret **sp)
{
	return read_shares(prog, c, sp, NULL);
}

/* cred_read_shares, and the tag of the set that recombined (may be NULL). */
static int
read_shares(const char *prog, const struct cred_src *c, struct secret **sp,
    struct cred_tag *tag)
{
	struct share_report rep;
	struct loaded l;
	size_t i;
	int r;

	memset(&l, 0, sizeof(l));
	memset(&rep, 0, sizeof(rep));
	if (c->nshare == 0) {
		err_set_detail("no --share files given");
		return CE_SHARE_TOO_FEW;
	}
	for (i = 0; i < c->nshare; i++)
		if ((r = load_one(prog, c, &l, c->share[i])) != 0)
			goto out;
	if (l.n == 0) {
		err_set_detail("every share given is corrupt");
		r = CE_SHARE_CORRUPT;
		goto out;
	}
	r = share_combine(l.sh, l.n, sp, &rep);
	if (r == CE_SHARE_TOO_FEW && l.rejected > 0) {
		/* too few only because some were left out as corrupt */
		err_set_detail("%zu share%s left out as corrupt; %zu good, the "
		    "set needs %u", l.rejected, l.rejected == 1 ? "" : "s", l.n,
		    rep.m);
		r = CE_SHARE_CORRUPT;
	}
	if (rep.bad != 0)
		cred_shares_report_bad(prog, l.sh, l.from, l.n, rep.bad);
	else if (r != 0 && l.n > 1 && r != CE_SHARE_TOO_FEW)
		cred_shares_list(prog, l.sh, l.from, l.n);
	if (r == 0 && tag != NULL)
		for (i = 0; i < l.n; i++)
			if (rep.used & (1u << i)) {
				share_set_tag(l.sh[i], tag->v);
				tag->have = 1;
				break;
			}
 out:
	loaded_free(&l);
	return r;
}

/* --- logging in ------------------------------------------------------------ */

static int
wrong_kind(int ped, const struct cred_src *c)
{
	if (ped)
		err_set_detail("this is a PED HSM: log in with the role's share "
		    "files (--share FILE, M of them)%s", c->pin_file ||
		    c->pin_env ? ", not a password" : "");
	else
		err_set_detail("this HSM takes passwords (--pin-file, "
		    "--pin-env), not shares or a challenge");
	return CE_USAGE;
}

/* cred_read, with the tag of a share set that recombined (may be NULL). */
static int
read_cred(const char *prog, const struct cred_src *c, int ped,
    const char *prompt, struct secret **sp, struct cred_tag *tag)
{
	struct cli_secret_src src = { c->pin_file, c->pin_env };

	if (tag != NULL)
		tag->have = 0;
	if (ped) {
		if (c->nshare == 0 || c->pin_file != NULL || c->pin_env != NULL)
			return wrong_kind(ped, c);
		return read_shares(prog, c, sp, tag);
	}
	if (cred_src_is_ped(c))
		return wrong_kind(ped, c);
	return cli_read_secret(prompt, &src, 0, sp);
}

int
cred_read(const char *prog, const struct cred_src *c, int ped,
    const char *prompt, struct secret **sp)
{
	return read_cred(prog, c, ped, prompt, sp, NULL);
}

/*
 * Shares of a set other than the one recorded for the role are refused
 * before the login: a forged set never reaches the HSM nor its counter.
 */
static int
tag_check(struct hsm *h, const char *label, int role,
    const struct cred_tag *tag)
{
	return tag->have ? hsm_share_tag(h, label, role, tag->v, 0) : 0;
}

void
cred_tag_record(struct hsm *h, const char *label, int role,
    const struct cred_tag *tag)
{
	/* The login stands whether or not the tag could be written. */
	if (tag != NULL && tag->have)
		(void)hsm_share_tag(h, label, role, tag->v, 1);
}

int
cred_so_login(const char *prog, struct hsm *h, const struct cred_src *c)
{
	struct cred_tag tag;
	struct secret *so = NULL;
	int r, ped;

	if (c->challenge_file != NULL || c->challenge_env != NULL) {
		err_set_detail("the HSM SO cannot be activated: log in with its "
		    "shares");
		return CE_USAGE;
	}
	if ((ped = hsm_is_ped(h)) < 0)
		return ped;
	if ((r = read_cred(prog, c, ped, "HSM SO credential: ", &so,
	    &tag)) == 0 && (r = tag_check(h, NULL, 0, &tag)) == 0 &&
	    (r = hsm_so_login(h, so)) == 0)
		cred_tag_record(h, NULL, 0, &tag);
	secret_free(so);
	return r;
}

/*
 * Reads the activation challenge of c, when it names one, into *chp (NULL
 * when it names none). Refuses a challenge beside shares or a password,
 * and on a password HSM.
 */
static int
read_challenge(const struct cred_src *c, int ped, int role, const char *label,
    struct secret **chp)
{
	struct cli_secret_src src = { c->challenge_file, c->challenge_env };
	char prompt[96];

	*chp = NULL;
	if (c->challenge_file == NULL && c->challenge_env == NULL)
		return 0;
	if (!ped)
		return wrong_kind(ped, c);
	if (c->nshare > 0 || c->pin_file || c->pin_env) {
		err_set_detail("give the shares or the challenge secret, not "
		    "both");
		return CE_USAGE;
	}
	snprintf(prompt, sizeof(prompt), "Challenge secret of the %s of '%s': ",
	    role_name(role), label);
	return cli_read_secret(prompt, &src, 0, chp);
}

/*
 * What c gives to log role in: an activation challenge in *chp, or else the
 * credential itself (shares or a password, as the HSM takes) in *credp.
 */
static int
login_input(const char *prog, struct hsm *h, const char *label, int role,
    const struct cred_src *c, struct secret **chp, struct secret **credp,
    struct cred_tag *tag)
{
	char prompt[96];
	int r, ped;

	*chp = *credp = NULL;
	tag->have = 0;
	if ((ped = hsm_is_ped(h)) < 0)
		return ped;
	if ((r = read_challenge(c, ped, role, label, chp)) != 0 || *chp != NULL)
		return r;
	snprintf(prompt, sizeof(prompt), "%s credential for '%s': ",
	    role_name(role), label);
	if ((r = read_cred(prog, c, ped, prompt, credp, tag)) == 0 &&
	    (r = tag_check(h, label, role, tag)) != 0) {
		secret_free(*credp);
		*credp = NULL;
	}
	return r;
}

int
cred_login_read(const char *prog, struct hsm *h, const char *label,
    int role, const struct cred_src *c, struct cred_login *l)
{
	memset(l, 0, sizeof(*l));
	return login_input(prog, h, label, role, c, &l->challenge, &l->cred,
	    &l->tag);
}

void
cred_login_clear(struct cred_login *l)
{
	secret_free(l->cred);
	secret_free(l->challenge);
	memset(l, 0, sizeof(*l));
}

int
cred_session_login(const char *prog, struct hsm *h, const char *label,
    int role, const struct cred_src *c, struct session **sp)
{
	struct secret *ch = NULL, *cred = NULL;
	struct cred_tag tag;
	int r;

	if ((r = login_input(prog, h, label, role, c, &ch, &cred, &tag)) == 0 &&
	    (r = ch != NULL ? session_login_challenge(h, label, role, ch, sp) :
	    session_login(h, label, role, cred, sp)) == 0)
		cred_tag_record(h, label, role, &tag);
	secret_free(ch);
	secret_free(cred);
	return r;
}

/* --- new credentials -------------------------------------------------------- */

int
cred_new_check(const struct cred_new *c, const char *what)
{
	if (c->m == 0 || c->n == 0 || c->dir == NULL) {
		err_set_detail("a PED HSM makes the new %s credential as an "
		    "M-of-N share set: give M, N and the directory for its "
		    "share files (--m, --n, --shares-out)", what);
		return CE_USAGE;
	}
	if (c->n > SHARE_MAX_N || c->m > c->n) {
		err_set_detail("the %s set: M %u of N %u; need 1 <= M <= N <= %d",
		    what, c->m, c->n, SHARE_MAX_N);
		return CE_USAGE;
	}
	return 0;
}

int
cred_pins_check(const struct cred_pins *p, unsigned total)
{
	if (p->prompt && p->n > 0) {
		err_set_detail("give the new shares' PINs by prompt or by file, "
		    "not both");
		return CE_USAGE;
	}
	if (p->n > 1 && p->n != total) {
		err_set_detail("give one PIN file for every new share or one per "
		    "share (%u), not %zu", total, p->n);
		return CE_USAGE;
	}
	return 0;
}

static int
new_pin(struct cred_pins *p, unsigned index, const char *what,
    struct secret **pinp)
{
	struct cli_secret_src src = { NULL, NULL };
	char prompt[80];

	*pinp = NULL;
	if (p == NULL || (!p->prompt && p->n == 0))
		return 0;
	if (p->n == 1)
		src.file = p->file[0];
	else if (p->n > 1) {
		if (p->next == p->n) {
			err_set_detail("more new shares than PIN files");
			return CE_USAGE;
		}
		src.file = p->file[p->next++];
	}
	snprintf(prompt, sizeof(prompt), "New PIN for %s share #%u: ", what,
	    index);
	return cli_read_secret(prompt, &src, 1, pinp);
}

void
cred_written_undo(struct cred_written *w)
{
	unsigned i;

	for (i = 0; i < w->n; i++)
		(void)unlink(w->path[i]);
	if (w->made_dir)
		(void)rmdir(w->dir);
	w->n = 0;
	w->made_dir = 0;
}

void
cred_written_report(const char *prog, const struct cred_written *w)
{
	unsigned i;

	for (i = 0; i < w->n; i++)
		cli_note(prog, "wrote share #%u of %u to %s", i + 1,
		    w->n, w->path[i]);
}

struct pin_ctx {
	struct cred_pins *pins;
	const char *what;
};

/* share_pin_fn over new_pin. */
static int
pin_cb(void *ctx, unsigned i, struct secret **pinp)
{
	struct pin_ctx *pc = ctx;

	return new_pin(pc->pins, i + 1, pc->what, pinp);
}

/* Writes a new set for s into c->dir: all files or none. */
static int
write_set(const struct cred_new *c, struct cred_pins *pins, const char *what,
    const struct secret *s, struct cred_written *w)
{
	struct share *set[SHARE_MAX_N] = { NULL };
	struct pin_ctx pc = { pins, what };
	int r;

	memset(w, 0, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "%s", c->dir);
	if ((r = share_set_new(s, c->m, c->n, set)) == 0 &&
	    (r = share_dir_write(c->dir, what, set, c->n, pin_cb, &pc,
	    pins != NULL ? pins->kdf : 0, c->force, w->path,
	    &w->made_dir)) == 0) {
		w->n = c->n;
		share_set_tag(set[0], w->tag.v);
		w->tag.have = 1;
	}
	share_set_free(set, c->n);
	return r;
}

int
cred_new_make(const char *prog, const struct cred_new *c,
    struct cred_pins *pins, int ped, const char *what, const char *prompt,
    struct cred_written *w, struct secret **sp)
{
	struct cli_secret_src src = { c->pin_file, c->pin_env };
	struct secret *s = NULL;
	int r;

	(void)prog;
	memset(w, 0, sizeof(*w));
	if (!ped) {
		if (c->dir != NULL || c->m != 0 || c->n != 0) {
			err_set_detail("this HSM takes passwords: give the new %s "
			    "credential with --new-pin-file or at the prompt, not "
			    "as a share set", what);
			return CE_USAGE;
		}
		return cli_read_secret(prompt, &src, 1, sp);
	}
	if (c->pin_file != NULL || c->pin_env != NULL) {
		err_set_detail("this is a PED HSM: the new %s credential is a "
		    "random secret split into shares (--m, --n and a directory),"
		    " not a password", what);
		return CE_USAGE;
	}
	if ((r = cred_new_check(c, what)) != 0)
		return r;
	if ((s = secret_new(CRED_PED_SECRET_LEN)) == NULL)
		return CE_NOMEM;
	cc_random(secret_ptr(s), CRED_PED_SECRET_LEN);
	if ((r = write_set(c, pins, what, s, w)) != 0) {
		secret_free(s);
		return r;
	}
	*sp = s;
	return 0;
}

int
cred_domain_secret(const char *prog, const struct cred_src *existing,
    const struct cred_new *c, struct cred_pins *pins, struct cred_written *w,
    struct secret **sp)
{
	struct secret *s = NULL;
	int r;

	memset(w, 0, sizeof(*w));
	if (existing != NULL && existing->nshare > 0) {
		if (c->dir != NULL) {
			err_set_detail("give the existing domain's shares or a "
			    "directory for a new domain's shares, not both");
			return CE_USAGE;
		}
		if ((r = cred_read_shares(prog, existing, &s)) != 0)
			return r;
		if (secret_len(s) != CRED_PED_SECRET_LEN) {
			secret_free(s);
			err_set_detail("those shares hold a %s, not a %d-byte PED "
			    "domain", "secret of another length",
			    CRED_PED_SECRET_LEN);
			return CE_INVALID;
		}
		*sp = s;
		return 0;
	}
	return cred_new_make(prog, c, pins, 1, "domain", NULL, w, sp);
}
