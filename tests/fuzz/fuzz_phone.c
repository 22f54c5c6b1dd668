/*
 * fuzz_phone.c - phone number normalization (base/phone.c) over any text:
 * a number it accepts is E.164 ('+' and 8..15 digits) and normalizes to
 * itself again, and masking it fits its buffer.
 */
#include <ctype.h>

#include "fuzz.h"

#include "base/phone.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size);
	char out[PHONE_MAX], again[PHONE_MAX], masked[PHONE_MAX];
	const char *why = NULL;

	if (phone_normalize(in, out, sizeof(out), &why) == 0) {
		size_t n = strlen(out);

		if (out[0] != '+' || n < 9 || n > 16)
			abort();
		for (size_t i = 1; i < n; i++)
			if (!isdigit((unsigned char)out[i]))
				abort();
		if (phone_normalize(out, again, sizeof(again), &why) != 0 || strcmp(out, again) != 0)
			abort();
		phone_mask(out, masked, sizeof(masked));
	} else if (why == NULL || out[0] != '\0') {
		abort();
	}
	free(in);
	return 0;
}
