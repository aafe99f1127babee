/* libFuzzer harness: a backupd run configuration through bdconf_parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bdconf.h"
#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bdconf *c = malloc(sizeof(*c));
	struct buf *b = buf_from(data, size);

	if (c != NULL && b != NULL)
		(void)bdconf_parse(b, c);
	buf_free(b);
	free(c);
	return 0;
}
