#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "uri.h"

void
uri_clear(struct hsm_uri *u)
{
	free(u->dir);
	free(u->label);
	u->dir = u->label = NULL;
}

int
uri_parse_hsm(const char *s, int need_label, struct hsm_uri *u)
{
	const char *body, *hash;
	size_t dl;

	memset(u, 0, sizeof(*u));
	if (strncmp(s, "hsm:", 4) == 0)
		body = s + 4;
	else if (!need_label)
		body = s; /* a bare directory */
	else
		goto bad;
	hash = body == s ? NULL : strrchr(body, '#');
	dl = hash ? (size_t)(hash - body) : strlen(body);
	if (dl == 0)
		goto bad;
	if (hash != NULL && hash[1] == '\0')
		goto bad;
	if (need_label && hash == NULL)
		goto bad;
	if ((u->dir = strndup(body, dl)) == NULL ||
	    (hash != NULL && (u->label = strdup(hash + 1)) == NULL)) {
		uri_clear(u);
		return CE_NOMEM;
	}
	return 0;
 bad:
	err_set_detail("'%s': expected %s", s, need_label ? "hsm:DIR#LABEL" :
	    "hsm:DIR or DIR");
	return CE_USAGE;
}
