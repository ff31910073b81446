/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TURN message parser on arbitrary bytes: without a key, with the lab's long-term
 * key (so MESSAGE-INTEGRITY is computed and compared), with the transaction id taken
 * from the input (so the attribute walk is reached), and as ChannelData. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/turn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* MD5("labuser:lab.test:lab-turn-password"), the key the seed corpus is signed with */
	static const uint8_t key[TURN_KEY_LEN] = { 0xad, 0x35, 0x31, 0xb2, 0x32, 0x9e, 0x26, 0xde,
						   0x69, 0x06, 0x52, 0x86, 0x1c, 0x72, 0xc8, 0x90 };
	struct turn_message m;
	struct errbuf e;
	const uint8_t *d;
	uint16_t ch;
	size_t dl;

	turn_parse(data, size, NULL, NULL, 0, &m, &e);
	if (size >= STUN_HEADER_LEN)
		turn_parse(data, size, data + 8, key, sizeof(key), &m, &e);
	if (turn_is_channel_data(data, size))
		turn_channel_parse(data, size, &ch, &d, &dl);
	return 0;
}
