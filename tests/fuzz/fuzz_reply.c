/*
 * fuzz_reply.c - what an SMS reply means (core/reply.c) over any text:
 * normalization stays within its buffer and is idempotent, and parsing
 * always yields one of the commands, with a task code only for 完成 and
 * then an upper-case code that fits.
 */
#include <ctype.h>

#include "fuzz.h"

#include "core/reply.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char a[256], b[256];
	struct reply_command c;

	if (reply_normalize(text, a, sizeof(a)) == 0) {
		if (strnlen(a, sizeof(a)) >= sizeof(a))
			abort();
		if (reply_normalize(a, b, sizeof(b)) != 0 || strcmp(a, b) != 0)
			abort();
	}
	memset(&c, 0x5a, sizeof(c));
	reply_parse(text, &c);
	switch (c.cmd) {
	case REPLY_DONE:
		if (c.code[0] == '\0' || strnlen(c.code, sizeof(c.code)) >= sizeof(c.code))
			abort();
		for (const char *p = c.code; *p; p++)
			if (islower((unsigned char)*p))
				abort();
		break;
	case REPLY_OTHER:
	case REPLY_OPTOUT:
	case REPLY_ACK:
		break;
	default:
		abort();
	}
	if (reply_cmd_name(c.cmd) == NULL)
		abort();
	free(text);
	return 0;
}
