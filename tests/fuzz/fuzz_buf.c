/* libFuzzer harness: walks arbitrary bytes as a TLV stream through buf. */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *b;
	const uint8_t *v;
	size_t len;
	uint16_t type;
	uint64_t u64;

	if ((b = buf_from(data, size)) == NULL)
		return 0;
	while (buf_len(b) > 0) {
		if (buf_get_tlv(b, &type, &v, &len) != 0)
			break;
		if (len == 8 && type == 1) {
			struct buf *inner = buf_from(v - 6, len + 6);
			if (inner != NULL) {
				(void)buf_get_tlv_u64(inner, 1, &u64);
				(void)buf_end(inner);
				buf_free(inner);
			}
		}
		(void)buf_get_string(b, &v, &len, 1 << 20);
	}
	(void)buf_end(b);
	buf_free(b);
	return 0;
}
