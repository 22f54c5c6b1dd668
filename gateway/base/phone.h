/*
 * phone.h - phone numbers as clerks type them and spreadsheets hold them,
 * turned into E.164 ("+8613800138000"), masked for logs, and classified.
 * The module keeps no state; every function is safe to call from any thread.
 */
#ifndef DUBAN_PHONE_H
#define DUBAN_PHONE_H

#include <stdbool.h>
#include <stddef.h>

/* Size of a buffer that holds any normalized number or its mask, NUL included. */
#define PHONE_MAX 24

/*
 * Normalize a phone number as a clerk types it or a spreadsheet holds it into
 * E.164.  Accepts ASCII and full-width digits, '+' / '＋', the prefixes "+86",
 * "0086", "86" (13 digits) and "+" / "00" for other countries, and separators
 * (spaces incl. U+3000 and U+00A0, '-', '－', dashes U+2010..U+2013, balanced
 * '(' ')' or '（' '）').  Chinese numbers must be mobiles (1[3-9] + 9 digits);
 * other countries need 8..15 digits in total.
 * Returns 0 and writes e.g. "+8613800138000" into out (outlen >= PHONE_MAX),
 * or -1 and points *reason at a static English sentence saying why (never NULL
 * on failure; the caller must not free it).  out is left "" on failure.
 */
int phone_normalize(const char *in, char *out, size_t outlen, const char **reason);

/*
 * Mask a normalized number for logs: "+8613800138000" -> "138****8000"; other
 * countries keep '+' and the first 4 digits, the last 4 digits, and stars in
 * between: "+4915112345678" -> "+4915*****5678".  Short foreign numbers keep
 * fewer leading digits so that at least 3 digits are always starred.
 * Writes into out (PHONE_MAX bytes always suffice) and returns out.  Never
 * fails: on input that is not E.164 it writes "***" (or "" if outlen < 4).
 */
const char *phone_mask(const char *e164, char *out, size_t outlen);

/*
 * A provider's message reference made fit for a log: a reference that ends
 * in ":NUMBER" (Alibaba Cloud's "BizId:13800138000", one per number of a
 * batch) keeps what comes before and masks the number ("BizId:138****8000");
 * any other reference is copied as it is.  Writes into out (truncating) and
 * returns out.
 */
const char *phone_mask_ref(const char *ref, char *out, size_t outlen);

/*
 * True if e164 is a normalized Chinese mobile number: "+861" followed by a
 * digit 3..9 and 9 more digits.  NULL gives false.
 */
bool phone_is_cn_mobile(const char *e164);

#endif
