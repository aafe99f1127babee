/* libFuzzer harness: a signed audit head through audit_head_parse. */
#include <stddef.h>
#include <stdint.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_headinfo hi;

	(void)audit_head_parse(data, size, &hi);
	return 0;
}
