/*
 * util.h - small pieces every module of duban uses: a list of diagnostics
 * ("FILE:LINE: message") collected while validating, a bounded growable
 * buffer, and the clock (real or replaced by DUBAN_NOW) with local-time
 * conversions in the configured time zone.
 */
#ifndef DUBAN_UTIL_H
#define DUBAN_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- diagnostics -------------------------------------------------------- */

/* Problems found while validating input, kept in order. */
struct diag {
	char **line;
	size_t n, cap;
};

/*
 * Add "FILE:LINE: message" (or "FILE: message" when line <= 0, or just the
 * message when file is NULL).  Allocation failure drops the message but
 * still counts it, so a validator never reports success by mistake.
 */
void diag_add(struct diag *d, const char *file, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Print every message, one per line, prefixed with "duban: " when prefix. */
void diag_print(const struct diag *d, FILE *fp);
/* Free the messages, not the struct; the list is empty afterwards. */
void diag_clear(struct diag *d);

/* ---- bounded buffer ----------------------------------------------------- */

/* A growable string that refuses to grow past max bytes. */
struct buf {
	char *data; /* always NUL-terminated once anything was added */
	size_t len, cap, max;
};

/* Start an empty buffer limited to max bytes (content, not counting NUL). */
void buf_init(struct buf *b, size_t max);
/* Append; returns 0, or -1 when the result would exceed the maximum or
 * memory runs out (the buffer is left as it was). */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the data, not the struct. */
void buf_free(struct buf *b);
/* Hand the data to the caller (who frees it); the buffer is emptied. */
char *buf_steal(struct buf *b);

/* ---- strings ------------------------------------------------------------ */

/* strdup that returns NULL for NULL. */
char *xstrdup(const char *s);
/* Parse a whole decimal integer in [min, max]; 0 or -1. */
int parse_long(const char *s, long min, long max, long *out);
/* Copy with truncation check: 0, or -1 if src does not fit. */
int strlcpy_checked(char *dst, const char *src, size_t size);
/* Display width of UTF-8 text on a terminal: CJK and full-width count 2. */
size_t utf8_width(const char *s);
/* True if s is valid UTF-8. */
bool utf8_valid(const char *s, size_t len);
/*
 * Split a list of items separated by ';' or the full-width '；' as a
 * spreadsheet holds them: returns the next item (trimmed, in place) or NULL
 * at the end; *cursor advances.  Empty items are skipped.
 */
char *str_next_item(char **cursor);
/* Trim ASCII whitespace in place at both ends; returns s. */
char *str_trim(char *s);

/*
 * The names of the regular entries of dir ending in suffix (".cfg"),
 * leaving out names that start with '.', sorted.  Returns 0 with *names
 * (an array of *n strings; free each and the array), or -1 with err
 * saying why (errno's text).
 */
int dir_list(const char *dir, const char *suffix, char ***names, size_t *n, char *err,
	     size_t errlen);

/* ---- time --------------------------------------------------------------- */

/*
 * Set the process time zone (an IANA name such as "Asia/Shanghai").  All
 * local-time functions below use it.  Returns 0, or -1 if no such zone is
 * installed.
 */
int time_set_zone(const char *zone);
/* True if the zone exists in the system's zoneinfo database. */
bool time_zone_exists(const char *zone);
/*
 * Now as UTC seconds: the real clock, or DUBAN_NOW (local time,
 * "YYYY-MM-DD HH:MM[:SS]") when set.  A bad DUBAN_NOW is reported by
 * time_check_env().
 */
int64_t time_now(void);
/* 0, or -1 with err when DUBAN_NOW is set but unreadable. */
int time_check_env(char *err, size_t errlen);
/* Monotonic milliseconds, for timers. */
int64_t time_mono_ms(void);
/*
 * Parse local "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS".
 * A date alone means end_of_day ? 23:59 : 00:00.  Returns 0 and UTC
 * seconds, or -1 (bad form, impossible date, or a local time that does not
 * exist).
 */
int time_parse_local(const char *s, bool end_of_day, int64_t *out);
/* Format UTC seconds as local "YYYY-MM-DD HH:MM" into out (>= 20 bytes). */
const char *time_fmt_local(int64_t t, char *out, size_t outlen);
/* Broken-down local time of t. */
void time_local(int64_t t, struct tm *tm);
/*
 * UTC seconds of the local wall-clock time y-m-d h:mi (normalising
 * out-of-range fields, DST-safe: a time in a spring-forward gap moves
 * forward, an ambiguous time takes the earlier instant).
 */
int64_t time_from_local(int y, int m, int d, int h, int mi, int s);
/* Parse "HH:MM" into minutes after midnight; 0 or -1 ("25:00", "9:60"). */
int time_parse_hhmm(const char *s, int *minutes);


/*
 * A span of time as written in rules: "7d", "36h", "90m", "30s", "1d12h".
 * Days are kept apart from the rest because a day in local time is a
 * calendar day (23 or 25 hours across a DST change), not 86400 seconds.
 */
struct duration {
	long days;
	long seconds;
};
/* Parse a duration; 0, or -1 (empty, no unit, unknown unit, overflow). */
int duration_parse(const char *s, struct duration *out);
/* Total seconds assuming 24-hour days (for retry policies and the like). */
int64_t duration_seconds(const struct duration *d);

#endif
