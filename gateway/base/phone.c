/*
 * phone.c - normalize, mask and classify phone numbers.  Town clerks paste
 * numbers from spreadsheets and chat windows, so the input arrives with
 * full-width digits, Chinese spaces and hyphens, "+86"/"0086"/"86" prefixes
 * and brackets; everything that is not clearly a number is refused with a
 * sentence the clerk can act on, because a wrong guess would text a stranger.
 * Input is scanned once into a digit string (separators dropped, every other
 * character an error), then classified by prefix and length.
 */
#include "base/phone.h"
#include "base/i18n.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/utf8.h"

/* Digits kept while scanning; longer inputs are counted, and reported too long. */
#define SCAN_DIGITS 32
#define E164_MIN 8
#define E164_MAX 15
#define CN_MOBILE_DIGITS 11

static const char R_EMPTY[] = N_("phone number is empty");
static const char R_LETTERS[] = N_("phone number contains letters");
static const char R_CONTROL[] = N_("phone number contains an invalid control character");
static const char R_NONASCII[] = N_("phone number contains an invalid non-ASCII character");
static const char R_UTF8[] = N_("phone number is not valid UTF-8");
static const char R_PLUS[] = N_("'+' may appear only once, at the start of the number");
static const char R_PARENS[] = N_("phone number has unbalanced parentheses");
static const char R_SHORT[] = N_("phone number is too short (a Chinese mobile number has 11 digits)");
static const char R_LONG[] = N_("phone number is too long (a Chinese mobile number has 11 digits)");
static const char R_NOT_CN[] = N_("not a Chinese mobile number (1[3-9]x...)");
static const char R_CN_LEN[] = N_("+86 must be followed by an 11-digit mobile number");
static const char R_CC0[] = N_("country code cannot start with 0");
static const char R_INTL_SHORT[] =
	N_("international number is too short (E.164 needs at least 8 digits)");
static const char R_INTL_LONG[] =
	N_("international number is too long (E.164 allows at most 15 digits)");
static const char R_OUTBUF[] = N_("output buffer is too small for a phone number");

#define BAD(c) { c[0], "phone number contains an invalid character '" c "'" }
static const struct {
	char c;
	const char *reason;
} bad_ascii[] = {
	BAD("!"), BAD("\""), BAD("#"), BAD("$"), BAD("%"), BAD("&"), BAD("'"),
	BAD("*"), BAD(","), BAD("."), BAD("/"), BAD(":"), BAD(";"), BAD("<"),
	BAD("="), BAD(">"), BAD("?"), BAD("@"), BAD("["), BAD("\\"), BAD("]"),
	BAD("^"), BAD("_"), BAD("`"), BAD("{"), BAD("|"), BAD("}"), BAD("~"),
};
#undef BAD

/* What scanning leaves behind: the digits, and whether a '+' led them. */
struct scan {
	char digits[SCAN_DIGITS];
	size_t ndigits; /* may exceed SCAN_DIGITS; only the first ones are kept */
	bool plus;
	int open_parens;
};

static bool is_space_cp(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' ||
	       cp == '\f' || cp == 0x00A0 || cp == 0x3000;
}

static bool is_dash_cp(uint32_t cp)
{
	return cp == '-' || cp == 0xFF0D || (cp >= 0x2010 && cp <= 0x2013);
}

static bool is_letter_cp(uint32_t cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
	       (cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A);
}

/* The reason for a character that is neither digit, sign nor separator. */
static const char *invalid_reason(uint32_t cp)
{
	size_t i;

	if (is_letter_cp(cp))
		return R_LETTERS;
	if (cp < 0x20 || cp == 0x7F)
		return R_CONTROL;
	if (cp >= 0x80)
		return R_NONASCII;
	for (i = 0; i < sizeof(bad_ascii) / sizeof(bad_ascii[0]); i++)
		if ((uint32_t)(unsigned char)bad_ascii[i].c == cp)
			return bad_ascii[i].reason;
	return R_NONASCII; /* unreachable: every printable ASCII is handled */
}

/* Feed one code point into the scan.  Returns 0, or -1 with *reason set. */
static int scan_cp(struct scan *sc, uint32_t cp, const char **reason)
{
	if (cp >= 0xFF10 && cp <= 0xFF19)
		cp = '0' + (cp - 0xFF10);
	else if (cp == 0xFF0B)
		cp = '+';
	else if (cp == 0xFF08)
		cp = '(';
	else if (cp == 0xFF09)
		cp = ')';

	if (cp >= '0' && cp <= '9') {
		if (sc->ndigits < SCAN_DIGITS)
			sc->digits[sc->ndigits] = (char)cp;
		sc->ndigits++;
	} else if (cp == '+') {
		if (sc->plus || sc->ndigits > 0) {
			*reason = R_PLUS;
			return -1;
		}
		sc->plus = true;
	} else if (cp == '(') {
		if (sc->open_parens > 0) {
			*reason = R_PARENS;
			return -1;
		}
		sc->open_parens++;
	} else if (cp == ')') {
		if (sc->open_parens == 0) {
			*reason = R_PARENS;
			return -1;
		}
		sc->open_parens--;
	} else if (!is_space_cp(cp) && !is_dash_cp(cp)) {
		*reason = invalid_reason(cp);
		return -1;
	}
	return 0;
}

/* Scan the whole input into sc.  Returns 0, or -1 with *reason set. */
static int scan_input(const char *in, struct scan *sc, const char **reason)
{
	size_t len = strlen(in), i = 0;
	uint32_t cp;

	while (i < len) {
		int n = utf8_decode(in + i, len - i, &cp);
		if (n < 0) {
			*reason = R_UTF8;
			return -1;
		}
		if (scan_cp(sc, cp, reason) < 0)
			return -1;
		i += (size_t)n;
	}
	if (sc->open_parens != 0) {
		*reason = R_PARENS;
		return -1;
	}
	return 0;
}

/* Write "+86" and the 11 national digits d after checking they form a mobile. */
static int emit_cn(const char *d, char *out, size_t outlen, const char **reason)
{
	int w;

	if (d[0] != '1' || d[1] < '3' || d[1] > '9') {
		*reason = R_NOT_CN;
		return -1;
	}
	w = snprintf(out, outlen, "+86%.*s", CN_MOBILE_DIGITS, d);
	if (w < 0 || (size_t)w >= outlen) {
		*reason = R_OUTBUF;
		return -1;
	}
	return 0;
}

/* Classify a number that came with '+' or "00"; d/n are the digits after it. */
static int classify_intl(const char *d, size_t n, char *out, size_t outlen,
			 const char **reason)
{
	int w;

	if (n >= 2 && d[0] == '8' && d[1] == '6') {
		if (n - 2 != CN_MOBILE_DIGITS) {
			*reason = R_CN_LEN;
			return -1;
		}
		return emit_cn(d + 2, out, outlen, reason);
	}
	if (n > 0 && d[0] == '0') {
		*reason = R_CC0;
		return -1;
	}
	if (n < E164_MIN) {
		*reason = R_INTL_SHORT;
		return -1;
	}
	if (n > E164_MAX) {
		*reason = R_INTL_LONG;
		return -1;
	}
	w = snprintf(out, outlen, "+%.*s", (int)n, d);
	if (w < 0 || (size_t)w >= outlen) {
		*reason = R_OUTBUF;
		return -1;
	}
	return 0;
}

/* Turn scanned digits into E.164.  Returns 0, or -1 with *reason set. */
static int classify(const struct scan *sc, char *out, size_t outlen, const char **reason)
{
	const char *d = sc->digits;
	size_t n = sc->ndigits;

	if (sc->plus)
		return classify_intl(d, n, out, outlen, reason);
	if (n >= 2 && d[0] == '0' && d[1] == '0')
		return classify_intl(d + 2, n - 2, out, outlen, reason);
	if (n == 0) {
		*reason = R_EMPTY;
		return -1;
	}
	if (n > CN_MOBILE_DIGITS && d[0] == '8' && d[1] == '6') {
		if (n - 2 != CN_MOBILE_DIGITS) {
			*reason = R_CN_LEN;
			return -1;
		}
		return emit_cn(d + 2, out, outlen, reason);
	}
	if (n < CN_MOBILE_DIGITS) {
		*reason = R_SHORT;
		return -1;
	}
	if (n > CN_MOBILE_DIGITS) {
		*reason = R_LONG;
		return -1;
	}
	return emit_cn(d, out, outlen, reason);
}

int phone_normalize(const char *in, char *out, size_t outlen, const char **reason)
{
	struct scan sc = { .ndigits = 0 };
	const char *why = NULL;
	int rc = -1;

	if (out == NULL || outlen == 0) {
		why = R_OUTBUF;
		goto out;
	}
	out[0] = '\0';
	if (in == NULL) {
		why = R_EMPTY;
		goto out;
	}
	if (scan_input(in, &sc, &why) < 0)
		goto out;
	if (classify(&sc, out, outlen, &why) < 0) {
		out[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	if (reason != NULL) /* in the language a person reads */
		*reason = rc == 0 ? NULL : why ? gettext(why) : NULL;
	return rc;
}

bool phone_is_cn_mobile(const char *e164)
{
	size_t i;

	if (e164 == NULL || strncmp(e164, "+861", 4) != 0)
		return false;
	if (e164[4] < '3' || e164[4] > '9')
		return false;
	for (i = 5; i < 3 + CN_MOBILE_DIGITS; i++) /* "+86" + 11 */
		if (e164[i] < '0' || e164[i] > '9')
			return false;
	return e164[i] == '\0';
}

/* True if s is '+' and 8..15 digits, the first not 0; *ndigits gets the count. */
static bool is_e164(const char *s, size_t *ndigits)
{
	size_t n = 0;

	if (s == NULL || s[0] != '+' || s[1] == '0')
		return false;
	for (s++; *s != '\0'; s++, n++)
		if (*s < '0' || *s > '9' || n >= E164_MAX)
			return false;
	*ndigits = n;
	return n >= E164_MIN;
}

const char *phone_mask(const char *e164, char *out, size_t outlen)
{
	static const char stars[] = "*************";
	size_t n, lead, hidden;
	int w = -1;

	if (out == NULL || outlen == 0)
		return out;
	if (phone_is_cn_mobile(e164)) {
		w = snprintf(out, outlen, "%.3s****%s", e164 + 3, e164 + 10);
	} else if (is_e164(e164, &n)) {
		/* Keep up to 4 leading digits, but always hide at least 3. */
		lead = n - 4 - 3 < 4 ? n - 4 - 3 : 4;
		hidden = n - 4 - lead;
		w = snprintf(out, outlen, "+%.*s%.*s%s", (int)lead, e164 + 1, (int)hidden,
			     stars, e164 + 1 + lead + hidden);
	}
	if (w < 0 || (size_t)w >= outlen)
		snprintf(out, outlen, "%s", outlen >= 4 ? "***" : "");
	return out;
}

const char *phone_mask_ref(const char *ref, char *out, size_t outlen)
{
	const char *colon = strrchr(ref, ':');
	char e164[PHONE_MAX + 4], masked[PHONE_MAX];
	size_t digits;

	if (outlen == 0)
		return out;
	digits = colon ? strspn(colon + 1, "0123456789") : 0;
	if (colon == NULL || digits < 5 || colon[1 + digits] != '\0' || digits > PHONE_MAX) {
		snprintf(out, outlen, "%s", ref);
		return out;
	}
	/* National Chinese numbers as Aliyun reports them; anything longer is international. */
	snprintf(e164, sizeof(e164), "%s%s", digits == 11 ? "+86" : "+", colon + 1);
	snprintf(out, outlen, "%.*s:%s", (int)(colon - ref), ref,
		 phone_mask(e164, masked, sizeof(masked)));
	return out;
}
