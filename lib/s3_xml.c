/*
 * Reading S3's XML answers with expat: the few fields s3.c needs, each
 * bounded (S3_VAL_MAX), whatever else the document holds. Element names
 * are compared without their namespace.
 */
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "s3_int.h"

#define DEPTH_MAX 16

struct walk {
	struct s3_top *top;
	s3_record_fn on_record;
	void *arg;
	struct s3_record rec;
	char rec_type[32];
	int depth;            /* 1: the root element */
	int in_record;        /* depth of the open record element, or 0 */
	char text[S3_VAL_MAX];
	size_t tlen;
	int overflow;
	int stop;             /* on_record's nonzero return */
};

static const char *const records[] = {
	"Contents", "Version", "DeleteMarker", "Upload", "CommonPrefixes",
};

static const char *const fields[S3F_COUNT] = {
	"Key", "Size", "ETag", "VersionId", "UploadId", "Initiated", "Prefix",
};

static const char *
local(const char *name)
{
	const char *p = strrchr(name, ' ');   /* expat's "ns name" form */

	return p != NULL ? p + 1 : name;
}

static void
copy(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct walk *w = ud;
	const char *n = local(name);
	size_t i;

	(void)attrs;
	w->depth++;
	w->tlen = 0;
	if (w->depth == 2 && !w->in_record)
		for (i = 0; i < sizeof(records) / sizeof(records[0]); i++)
			if (strcmp(n, records[i]) == 0) {
				w->in_record = w->depth;
				memset(&w->rec, 0, sizeof(w->rec));
				copy(w->rec_type, sizeof(w->rec_type), n,
				    strlen(n));
				w->rec.type = w->rec_type;
			}
}

static void
top_value(struct walk *w, const char *n)
{
	struct s3_top *t = w->top;

	if (strcmp(n, "IsTruncated") == 0)
		copy(t->is_truncated, sizeof(t->is_truncated), w->text, w->tlen);
	else if (strcmp(n, "NextContinuationToken") == 0)
		copy(t->next_token, sizeof(t->next_token), w->text, w->tlen);
	else if (strcmp(n, "NextKeyMarker") == 0)
		copy(t->next_key, sizeof(t->next_key), w->text, w->tlen);
	else if (strcmp(n, "NextVersionIdMarker") == 0)
		copy(t->next_version, sizeof(t->next_version), w->text,
		    w->tlen);
	else if (strcmp(n, "NextUploadIdMarker") == 0)
		copy(t->next_upload, sizeof(t->next_upload), w->text, w->tlen);
	else if (strcmp(n, "UploadId") == 0)
		copy(t->upload_id, sizeof(t->upload_id), w->text, w->tlen);
	else if (strcmp(n, "Code") == 0)
		copy(t->code, sizeof(t->code), w->text, w->tlen);
	else if (strcmp(n, "Message") == 0)
		copy(t->message, sizeof(t->message), w->text, w->tlen);
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct walk *w = ud;
	const char *n = local(name);
	size_t i;

	if (w->in_record && w->depth == w->in_record + 1) {
		for (i = 0; i < S3F_COUNT; i++)
			if (strcmp(n, fields[i]) == 0)
				copy(w->rec.f[i], S3_VAL_MAX, w->text, w->tlen);
	} else if (w->in_record && w->depth == w->in_record) {
		w->in_record = 0;
		if (!w->stop && w->on_record != NULL)
			w->stop = w->on_record(w->arg, &w->rec);
	} else if (w->depth == 2)
		top_value(w, n);
	w->depth--;
	w->tlen = 0;
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct walk *w = ud;

	if (len < 0 || w->tlen + (size_t)len >= sizeof(w->text)) {
		w->overflow = 1;
		return;
	}
	memcpy(w->text + w->tlen, s, (size_t)len);
	w->tlen += (size_t)len;
}

int
s3_xml_parse(const char *doc, size_t len, struct s3_top *top,
    s3_record_fn on_record, void *arg)
{
	struct walk *w;
	XML_Parser p;
	int r = 0;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return CE_NOMEM;
	if ((p = XML_ParserCreateNS(NULL, ' ')) == NULL) {
		free(w);
		return CE_NOMEM;
	}
	memset(top, 0, sizeof(*top));
	w->top = top;
	w->on_record = on_record;
	w->arg = arg;
	XML_SetUserData(p, w);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	if (len > 0 && XML_Parse(p, doc, (int)len, 1) == XML_STATUS_ERROR) {
		err_set_detail("the S3 server's answer is not valid XML (%s)",
		    XML_ErrorString(XML_GetErrorCode(p)));
		r = CE_PROTOCOL;
	} else if (w->overflow) {
		err_set_detail("the S3 server's answer has a value over %u "
		    "bytes", S3_VAL_MAX);
		r = CE_PROTOCOL;
	} else if (w->stop)
		r = w->stop;
	XML_ParserFree(p);
	free(w);
	return r;
}

int
s3_encode(const char *s, int keep_slash, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~' || (keep_slash && c == '/')) {
			if (k + 1 >= size)
				return CE_TOO_LONG;
			out[k++] = (char)c;
		} else {
			if (k + 3 >= size)
				return CE_TOO_LONG;
			out[k++] = '%';
			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		}
	}
	if (k >= size)
		return CE_TOO_LONG;
	out[k] = '\0';
	return 0;
}

int
s3_parse_time(const char *s, int64_t *tp)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return CE_FORMAT;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*tp = (int64_t)timegm(&tm);
	return 0;
}
