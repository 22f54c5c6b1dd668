/*
 * sms.c - count a message like the handset and the provider do, so duban can
 * quote the number of billed parts before sending.  A message whose every code
 * point is in the GSM 03.38 default alphabet (or its extension table, two
 * septets each) travels as GSM-7; anything else forces UCS-2 for the whole
 * message.  Concatenated parts lose room to the user data header (153 septets
 * or 67 UTF-16 units instead of 160 / 70), and an escape pair or a surrogate
 * pair is never split between parts, so parts are packed greedily rather than
 * by dividing.  Input is validated as strict UTF-8 first.
 */
#include "base/sms.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/utf8.h"

#define GSM7_SINGLE 160
#define GSM7_PART 153
#define UCS2_SINGLE 70
#define UCS2_PART 67

/* The signature brackets providers add: U+3010 and U+3011. */
static const char SIG_OPEN[] = "\xE3\x80\x90";
static const char SIG_CLOSE[] = "\xE3\x80\x91";

/* Non-ASCII code points of the GSM 03.38 default alphabet (ASCII is handled
 * in gsm_septets). */
static const uint16_t gsm_basic_non_ascii[] = {
	0x00A1, 0x00A3, 0x00A4, 0x00A5, 0x00A7, 0x00BF, 0x00C4, 0x00C5, 0x00C6, 0x00C7,
	0x00C9, 0x00D1, 0x00D6, 0x00D8, 0x00DC, 0x00DF, 0x00E0, 0x00E4, 0x00E5, 0x00E6,
	0x00E8, 0x00E9, 0x00EC, 0x00F1, 0x00F2, 0x00F6, 0x00F8, 0x00F9, 0x00FC, 0x0393,
	0x0394, 0x0398, 0x039B, 0x039E, 0x03A0, 0x03A3, 0x03A6, 0x03A8, 0x03A9,
};

/* A running count over the signature and text, in one encoding. */
struct meter {
	enum sms_encoding enc;
	size_t units;
	size_t chars;
	size_t parts;    /* parts when packed at per_part units each */
	size_t cur;      /* units in the last of those parts */
	size_t per_part;
};

/* Septets cp takes in GSM-7: 1 (default alphabet), 2 (extension table, sent
 * as ESC + char), or 0 if GSM-7 cannot carry it. */
static size_t gsm_septets(uint32_t cp)
{
	size_t i;

	if (cp == '\n' || cp == '\r')
		return 1;
	if (cp == '\f' || cp == 0x20AC) /* form feed, euro sign */
		return 2;
	if (cp < 0x80) {
		if (cp < 0x20 || cp == 0x7F || cp == '`')
			return 0;
		return strchr("^{}\\[~]|", (int)cp) != NULL ? 2 : 1;
	}
	if (cp > 0x03A9) /* past the table's last entry: all of CJK lands here */
		return 0;
	for (i = 0; i < sizeof(gsm_basic_non_ascii) / sizeof(gsm_basic_non_ascii[0]); i++)
		if (gsm_basic_non_ascii[i] == cp)
			return 1;
	return 0;
}

/* Units cp takes in encoding enc (0 only for a non-GSM code point in GSM-7). */
static size_t cp_units(enum sms_encoding enc, uint32_t cp)
{
	if (enc == SMS_GSM7)
		return gsm_septets(cp);
	return cp > 0xFFFF ? 2 : 1;
}

/* Check that s is valid UTF-8 and note in *all_gsm whether GSM-7 carries it.
 * Returns 0, or -1 with err naming what (the string) and the byte offset. */
static int check_string(const char *s, const char *what, bool *all_gsm, char *err,
			size_t errlen)
{
	size_t len = strlen(s), i = 0;
	uint32_t cp;

	while (i < len) {
		int n = utf8_decode(s + i, len - i, &cp);
		if (n < 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s: invalid UTF-8 at byte offset %zu (%s)",
					 what, i, utf8_strerror(n));
			return -1;
		}
		if (*all_gsm && gsm_septets(cp) == 0)
			*all_gsm = false;
		i += (size_t)n;
	}
	return 0;
}

/* Add the code points of s (already validated) to the meter. */
static void meter_feed(struct meter *m, const char *s)
{
	size_t len = strlen(s), i = 0, cost;
	uint32_t cp;
	int n;

	while (i < len && (n = utf8_decode(s + i, len - i, &cp)) > 0) {
		cost = cp_units(m->enc, cp);
		m->units += cost;
		m->chars++;
		if (m->cur + cost > m->per_part) {
			m->parts++;
			m->cur = cost;
		} else {
			m->cur += cost;
		}
		i += (size_t)n;
	}
}

int sms_measure(const char *text, const char *signature, struct sms_info *out, char *err,
		size_t errlen)
{
	struct meter m = { .parts = 1 };
	bool all_gsm = true, has_sig = signature != NULL && signature[0] != '\0';
	size_t single;
	int rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL || out == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s is NULL", text == NULL ? "text" : "out");
		goto out;
	}
	if (check_string(text, "text", &all_gsm, err, errlen) < 0)
		goto out;
	if (has_sig && check_string(signature, "signature", &all_gsm, err, errlen) < 0)
		goto out;
	if (has_sig)
		all_gsm = false; /* 【 and 】 are not in GSM 03.38 */

	m.enc = all_gsm ? SMS_GSM7 : SMS_UCS2;
	m.per_part = all_gsm ? GSM7_PART : UCS2_PART;
	single = all_gsm ? GSM7_SINGLE : UCS2_SINGLE;
	if (has_sig) {
		meter_feed(&m, SIG_OPEN);
		meter_feed(&m, signature);
		meter_feed(&m, SIG_CLOSE);
	}
	meter_feed(&m, text);
	if (m.units > single && m.parts > UINT_MAX) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "text: too long (%zu parts)", m.parts);
		goto out;
	}
	out->encoding = m.enc;
	out->units = m.units;
	out->chars = m.chars;
	out->parts = m.units <= single ? 1 : (unsigned)m.parts;
	rc = 0;
out:
	return rc;
}

const char *sms_encoding_name(enum sms_encoding e)
{
	switch (e) {
	case SMS_GSM7:
		return "GSM-7";
	case SMS_UCS2:
		return "UCS-2";
	}
	return "unknown";
}
