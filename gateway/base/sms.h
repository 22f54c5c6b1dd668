/*
 * sms.h - measure a message the way the recipient's phone and the provider
 * count it: which encoding it needs (GSM-7 or UCS-2), how many septets or
 * UTF-16 units it takes, and into how many concatenated parts it splits.
 * The module keeps no state; every function is safe to call from any thread.
 */
#ifndef DUBAN_SMS_H
#define DUBAN_SMS_H

#include <stddef.h>

enum sms_encoding { SMS_GSM7 = 0, SMS_UCS2 = 1 };

struct sms_info {
	enum sms_encoding encoding;
	size_t units;   /* GSM-7 septets (extension chars count 2) or UTF-16 code units */
	size_t chars;   /* Unicode code points */
	unsigned parts; /* 1 if units fit one SMS, else concatenated parts */
};

/*
 * Measure text as the recipient's phone and the provider count it.
 * signature (may be NULL or "") is the sender signature providers prepend as
 * "【signature】" and is counted as part of the text; since 【 and 】 are not
 * GSM-7, any signature forces UCS-2.
 * GSM-7 (every code point in the GSM 03.38 default alphabet or its extension
 * table, the latter costing 2 septets): one SMS up to 160 septets, else parts
 * of 153.  UCS-2: one SMS up to 70 UTF-16 units, else parts of 67.  Parts are
 * packed greedily: an escape pair or a surrogate pair never straddles two.
 * Returns 0 and fills *out, or -1 if an argument is NULL, text or signature is
 * not valid UTF-8 (overlong, encoded surrogate, beyond U+10FFFF, truncated or
 * stray byte) or the parts overflow; err (errlen bytes, may be NULL) then names
 * the string and the byte offset at fault.  Nothing is allocated.
 */
int sms_measure(const char *text, const char *signature, struct sms_info *out, char *err,
		size_t errlen);

/* The name of an encoding: "GSM-7" / "UCS-2" ("unknown" for other values).
 * The string is static. */
const char *sms_encoding_name(enum sms_encoding e);

#endif
