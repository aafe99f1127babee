/*
 * libFuzzer harness for the share parsers: the same bytes as a share file
 * (peek, then decode without and with a PIN) and as share lines. Whatever
 * decodes must survive a round trip through the other encoding.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kdf.h"
#include "secret.h"
#include "share.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const struct share *sh)
{
	struct share_info a, b;
	struct secret *line = NULL;
	struct share *back = NULL;
	struct buf *f = NULL;

	share_get_info(sh, &a);
	if (share_text_encode(sh, &line) != 0)
		abort();
	if (share_text_decode((const char *)secret_ptr(line),
	    secret_len(line) - 1, &back) != 0)
		abort();
	share_get_info(back, &b);
	if (a.m != b.m || a.n != b.n || a.index != b.index || a.x != b.x ||
	    a.secret_len != b.secret_len ||
	    memcmp(a.set_id, b.set_id, SHARE_SET_ID_LEN) != 0)
		abort();
	share_free(back);
	back = NULL;
	if (share_file_encode(sh, NULL, 0, &f) != 0 ||
	    share_file_decode(buf_ptr(f), buf_len(f), NULL, &back) != 0)
		abort();
	share_free(back);
	buf_free(f);
	secret_free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secret *pin;
	struct share_info info;
	struct share *sh = NULL;
	size_t i, start;

	if (pin == NULL && (pin = secret_from("1234", 4)) == NULL)
		return 0;
	/* as a share file */
	if (share_file_peek(data, size, &info) == 0) {
		if (share_file_decode(data, size, info.pin_protected ? pin :
		    NULL, &sh) == 0) {
			roundtrip(sh);
			share_free(sh);
			sh = NULL;
		}
	}
	(void)share_file_claims_pin(data, size);
	/* as share lines, one per newline */
	for (i = 0, start = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (share_text_decode((const char *)data + start, i - start,
		    &sh) == 0) {
			roundtrip(sh);
			share_free(sh);
			sh = NULL;
		}
		start = i + 1;
	}
	return 0;
}
