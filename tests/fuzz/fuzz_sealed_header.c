/*
 * libFuzzer harness for the sealed stream's secret-free readers: the header
 * parser, then the chunk walk over whatever follows it (what `restore
 * verify` runs on an untrusted archive). When the first byte is odd the
 * header's checksum is fixed up first, so the fuzzer reaches the fields
 * behind it instead of stopping at the checksum every time.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "crypto.h"
#include "sealed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sum[CC_HASH_LEN], *p;
	struct sealed_header h;
	struct sealed_walk_info wi;
	struct buf *hdr = NULL;
	struct chan *c;
	size_t len;

	if (size < 1)
		return 0;
	if ((p = malloc(size)) == NULL)
		return 0;
	memcpy(p, data, size);
	if ((p[0] & 1) && size > SEALED_HEADER_MIN + 1) {
		len = (size_t)((p[11] << 8) | p[12]);
		if (len >= SEALED_CHECK_LEN && len <= size - 1 &&
		    cc_sha384(p + 1, len - SEALED_CHECK_LEN, sum) == 0)
			memcpy(p + 1 + len - SEALED_CHECK_LEN, sum,
			    SEALED_CHECK_LEN);
	}
	(void)sealed_header_parse(p + 1, size - 1, &h);
	if (chan_mem_reader(p + 1, size - 1, &c) == 0) {
		if (sealed_header_read(c, &hdr, &h) == 0)
			(void)sealed_walk(c, &h, &wi);
		buf_free(hdr);
		chan_free(c);
	}
	free(p);
	return 0;
}
