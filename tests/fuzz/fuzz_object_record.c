/* libFuzzer harness: object records (docs/formats.md section 4) through
 * object_decode, and a decoded record re-encoded must decode the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "object.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct object *o = NULL, *o2 = NULL;
	struct buf *b;

	if (object_decode(data, size, &o) != 0)
		return 0;
	if ((b = buf_new(OBJECT_RECORD_MAX)) == NULL)
		abort();
	if (object_encode(o, b) != 0 ||
	    object_decode(buf_ptr(b), buf_len(b), &o2) != 0 ||
	    strcmp(o->label, o2->label) != 0 || o->cls != o2->cls ||
	    o->nattrs != o2->nattrs)
		abort();
	object_free(o);
	object_free(o2);
	buf_free(b);
	return 0;
}
