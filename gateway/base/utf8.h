/*
 * utf8.h - the one UTF-8 decoder of duban, and what is built on it:
 * validity checks and display width.  Every module that reads UTF-8 text
 * (phone numbers, SMS parts, CSV files, replies, configuration strings)
 * decodes it here, so they all agree on what is valid: the well-formed
 * sequences of the Unicode Standard's table 3-7, nothing else.
 */
#ifndef DUBAN_UTF8_H
#define DUBAN_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Why utf8_decode() refused the bytes at s (all negative, so that a
 * caller that only needs "valid or not" tests for < 0).
 */
enum utf8_error {
	UTF8_TRUNCATED = -1,    /* a lead byte not followed by all of its continuation
				   bytes (the text ends, or another byte comes first) */
	UTF8_CONTINUATION = -2, /* 80..BF where a character should start */
	UTF8_OVERLONG = -3,     /* C0 or C1, or a longer form than the code point needs */
	UTF8_SURROGATE = -4,    /* an encoded UTF-16 surrogate, U+D800..U+DFFF */
	UTF8_TOO_BIG = -5,      /* a code point past U+10FFFF (F4 90.. to F4 BF..) */
	UTF8_BAD_BYTE = -6,     /* F5..FF, which no UTF-8 text contains */
};

/*
 * Decode the character at the start of s (len bytes available; s need not
 * be NUL-terminated and a NUL byte is the character U+0000).  Returns the
 * bytes it takes (1..4) with the code point in *cp, or a negative enum
 * utf8_error with *cp untouched; len 0 is UTF8_TRUNCATED.  The checks run
 * in this order, which decides the error when several apply: the lead
 * byte (CONTINUATION, OVERLONG for C0/C1, BAD_BYTE), then that every
 * continuation byte is there (TRUNCATED), then the value (OVERLONG,
 * SURROGATE, TOO_BIG).  On valid input the result is the one every correct
 * decoder gives, so a caller that checked a whole string with utf8_valid()
 * may step through it with "n = utf8_decode(s + i, len - i, &cp); i += n"
 * and never see an error (the replacement for a private decoder that
 * trusted validated text).
 */
int utf8_decode(const char *s, size_t len, uint32_t *cp);
/*
 * A short English phrase for an enum utf8_error ("truncated sequence",
 * "overlong encoding", ...), as the SMS checks print it; a static string.
 */
const char *utf8_strerror(int err);
/*
 * The offset of the first byte of s that does not start a well-formed
 * sequence, or len when all len bytes are valid UTF-8.
 */
size_t utf8_valid_len(const char *s, size_t len);
/* True if the len bytes at s are valid UTF-8. */
bool utf8_valid(const char *s, size_t len);
/*
 * Display width of the NUL-terminated UTF-8 text s on a terminal: CJK and
 * full-width characters count 2, others 1; each byte of an invalid
 * sequence counts 1 (it is shown as a replacement character).
 */
size_t utf8_width(const char *s);
/*
 * Copy the len bytes at s into out (outlen bytes, NUL-terminated) as valid
 * UTF-8 for a place that refuses anything else, such as a JSON string:
 * every byte that does not start a well-formed sequence, and every NUL,
 * becomes U+FFFD; when out is too small the copy stops before a whole
 * character, never inside one.  Returns the bytes written, NUL excluded.
 */
size_t utf8_sanitize(const char *s, size_t len, char *out, size_t outlen);

#endif
