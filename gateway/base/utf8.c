/*
 * utf8.c - decoding UTF-8.  The decoder checks the lead byte, gathers the
 * continuation bytes and only then judges the value, so each malformed
 * form gets one well-defined reason (the SMS checks print it); everything
 * else here is a loop over utf8_decode().
 */
#include "base/utf8.h"

#include <string.h>

int
utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c, min;
	size_t n;

	if (len == 0)
		return UTF8_TRUNCATED;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] < 0xC0)
		return UTF8_CONTINUATION;
	if (p[0] < 0xC2)
		return UTF8_OVERLONG; /* C0 and C1 could only encode U+0000..U+007F */
	if (p[0] > 0xF4)
		return UTF8_BAD_BYTE;
	if (p[0] < 0xE0)
		n = 2, c = p[0] & 0x1F, min = 0x80;
	else if (p[0] < 0xF0)
		n = 3, c = p[0] & 0x0F, min = 0x800;
	else
		n = 4, c = p[0] & 0x07, min = 0x10000;
	for (size_t i = 1; i < n; i++) {
		if (i >= len || (p[i] & 0xC0) != 0x80)
			return UTF8_TRUNCATED;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min)
		return UTF8_OVERLONG;
	if (c >= 0xD800 && c <= 0xDFFF)
		return UTF8_SURROGATE;
	if (c > 0x10FFFF)
		return UTF8_TOO_BIG;
	*cp = c;
	return (int)n;
}

const char *
utf8_strerror(int err)
{
	switch (err) {
	case UTF8_TRUNCATED: return "truncated sequence";
	case UTF8_CONTINUATION: return "unexpected continuation byte";
	case UTF8_OVERLONG: return "overlong encoding";
	case UTF8_SURROGATE: return "UTF-16 surrogate encoded in UTF-8";
	case UTF8_TOO_BIG: return "code point beyond U+10FFFF";
	case UTF8_BAD_BYTE: return "byte never valid in UTF-8";
	}
	return "not UTF-8";
}

size_t
utf8_valid_len(const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		int n = utf8_decode(s + i, len - i, &cp);
		if (n < 0)
			break;
		i += (size_t)n;
	}
	return i;
}

bool
utf8_valid(const char *s, size_t len)
{
	return utf8_valid_len(s, len) == len;
}

static bool
is_wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
	       (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
	       (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
	       (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	       (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) ||
	       (c >= 0x20000 && c <= 0x3fffd);
}

size_t
utf8_width(const char *s)
{
	size_t len = strlen(s), i = 0, w = 0;
	uint32_t cp;

	while (i < len) {
		int n = utf8_decode(s + i, len - i, &cp);
		if (n < 0) {
			n = 1;
			cp = '?';
		}
		w += is_wide(cp) ? 2 : 1;
		i += (size_t)n;
	}
	return w;
}

size_t
utf8_sanitize(const char *s, size_t len, char *out, size_t outlen)
{
	static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
	size_t i = 0, o = 0;
	uint32_t cp;

	if (outlen == 0)
		return 0;
	while (i < len) {
		int n = utf8_decode(s + i, len - i, &cp);
		const char *from = s + i;
		size_t k = (size_t)n;

		if (n < 0 || cp == 0) {
			from = repl;
			k = sizeof(repl) - 1;
			n = 1;
		}
		if (o + k + 1 > outlen)
			break;
		memcpy(out + o, from, k);
		o += k;
		i += (size_t)n;
	}
	out[o] = '\0';
	return o;
}
