/* libFuzzer harness: SKS blobs and SMK records (docs/formats.md 9.2, 9.4)
 * through their parsers, and a blob opened under a fixed SMK: whatever the
 * header says, opening must fail cleanly or give a record that decodes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object.h"
#include "secret.h"
#include "sks.h"
#include "sks_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rec[SKS_BLOB_MAX];
	struct sks_blob_info bi;
	struct secret *smk = NULL;
	struct object *o = NULL;
	uint8_t key[SKS_SMK_LEN] = { 0 }, id[SKS_ID_LEN];
	size_t rl = 0;

	if (sks_blob_parse(data, size, &bi) == 0) {
		if (bi.hdr_len > size || strlen(bi.label) == 0)
			abort();
		if (sks_blob_open(key, data, size, &bi, rec, &rl) == 0 &&
		    object_decode(rec, rl, &o) == 0)
			object_free(o);
	}
	if (sks_smk_record_parse(data, size, &smk, id) == 0)
		secret_free(smk);
	return 0;
}
