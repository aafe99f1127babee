/*
 * libFuzzer harness for the transfer protocol's frame parsers: the first
 * byte picks a parser (every frame body and every sealed payload), the rest
 * is its input; selector 0xff runs a responder handshake reading the bytes
 * as its whole incoming stream.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "chan.h"
#include "secret.h"
#include "xfer.h"
#include "xfer_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
handshake(const uint8_t *data, size_t size)
{
	static struct secret *key;
	struct xfer_domain d;
	struct chan *c;
	struct xfer *x = NULL;

	if (key == NULL) {
		uint8_t k[XFER_DOMAIN_KEY_LEN] = { 1 };

		key = secret_from(k, sizeof(k));
	}
	if (chan_mem_reader(data, size, &c) != 0)
		return;
	d.label = "fuzz";
	d.key = key;
	if (xfer_accept(c, &d, 1, 1, &x) == 0)
		xfer_free(x);
	chan_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t proofs[XFER_MAX_DOMAINS][CC_HASH_LEN], mac[CC_HASH_LEN];
	char detail[XFER_DETAIL_MAX + 1];
	struct xf_hello h;
	const uint8_t *p;
	struct buf *b;
	uint64_t count;
	uint32_t len;
	uint8_t u8, kind;
	size_t n;
	int code;

	if (size < 1)
		return 0;
	if (data[0] == 0xff) {
		handshake(data + 1, size - 1);
		return 0;
	}
	if ((b = buf_from(data + 1, size - 1)) == NULL)
		return 0;
	switch (data[0] % 12) {
	case 0: (void)xf_header_get(b, &len, &u8); break;
	case 1: (void)xf_hello_get(b, &h, 0); break;
	case 2: (void)xf_hello_get(b, &h, 1); break;
	case 3: (void)xf_proof_get(b, proofs, &n); break;
	case 4: (void)xf_select_get(b, &u8); break;
	case 5: (void)xf_confirm_get(b, mac); break;
	case 6: (void)xf_code_get(b, &code); break;
	case 7: (void)xf_box_get(b, &p, &n); break;
	case 8: (void)xf_request_get(b, &kind, &p, &n); break;
	case 9: (void)xf_commit_get(b, &count, mac); break;
	case 10: (void)xf_status_get(b, &code, detail); break;
	case 11:
		while (buf_len(b) > 0 && xf_record_get(b, &kind, &p, &n) == 0)
			;
		break;
	}
	buf_free(b);
	return 0;
}
