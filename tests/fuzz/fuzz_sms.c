/*
 * fuzz_sms.c - SMS length measurement (base/sms.c) over any text, with and
 * without a signature: accepted text has at least one part, never more
 * units than its parts can carry, and a signature forces UCS-2.
 */
#include "fuzz.h"

#include "base/sms.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct sms_info a, b;
	char err[256];

	if (sms_measure(text, NULL, &a, err, sizeof(err)) == 0) {
		size_t per = a.encoding == SMS_GSM7 ? 153 : 67;

		if (a.parts < 1 || (a.parts == 1 && a.units > (a.encoding == SMS_GSM7 ? 160u : 70u)) ||
		    (a.parts > 1 && a.units > per * a.parts))
			abort();
		if (sms_measure(text, "小雄镇人民政府", &b, err, sizeof(err)) != 0 ||
		    b.encoding != SMS_UCS2 || b.parts < a.parts / 3)
			abort();
	}
	free(text);
	return 0;
}
