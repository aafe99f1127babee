/* libFuzzer harness: one audit.log line through audit_parse. */
#include <stddef.h>
#include <stdint.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_rec rec;

	(void)audit_parse((const char *)data, size, &rec);
	return 0;
}
