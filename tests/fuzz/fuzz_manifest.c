/*
 * libFuzzer harness: arbitrary bytes as a backup manifest. The parser must
 * refuse or accept without crashing, and whatever it accepts must encode
 * and parse back to the same fields (no reading that a writer cannot make).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cbk_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same(const struct cbk_manifest *a, const struct cbk_manifest *b)
{
	return a->format_version == b->format_version &&
	    a->created == b->created &&
	    strcmp(a->tool_version, b->tool_version) == 0 &&
	    strcmp(a->label, b->label) == 0 &&
	    strcmp(a->serial, b->serial) == 0 &&
	    a->partition_version == b->partition_version &&
	    a->object_count == b->object_count &&
	    a->plain_bytes == b->plain_bytes &&
	    a->header_size == b->header_size &&
	    memcmp(a->header_sha384, b->header_sha384, CC_HASH_LEN) == 0 &&
	    a->records_size == b->records_size &&
	    memcmp(a->records_sha384, b->records_sha384, CC_HASH_LEN) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cbk_manifest m, m2;
	struct buf *b, *enc = NULL;

	if ((b = buf_from(data, size)) == NULL)
		return 0;
	memset(&m, 0, sizeof(m));
	if (cbk_manifest_parse(b, &m) == 0) {
		memset(&m2, 0, sizeof(m2));
		if (cbk_manifest_encode(&m, &enc) != 0 ||
		    cbk_manifest_parse(enc, &m2) != 0 ||
		    !same(&m, &m2))
			abort();
	}
	buf_free(enc);
	buf_free(b);
	return 0;
}
