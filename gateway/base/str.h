/*
 * str.h - small string helpers: whole-number parsing with bounds, a copy
 * that refuses to truncate, the list splitting and trimming that
 * spreadsheet cells need, and the sorted listing of a directory's files
 * (rule and template files are loaded in name order).
 */
#ifndef DUBAN_STR_H
#define DUBAN_STR_H

#include <stdbool.h>
#include <stddef.h>

/* Parse a whole decimal integer in [min, max]; 0 or -1. */
int parse_long(const char *s, long min, long max, long *out);
/* Copy with truncation check: 0, or -1 if src does not fit. */
int strlcpy_checked(char *dst, const char *src, size_t size);
/*
 * Split a list of items separated by ';' or the full-width '；' as a
 * spreadsheet holds them: returns the next item (trimmed, in place) or NULL
 * at the end; *cursor advances.  Empty items are skipped.
 */
char *str_next_item(char **cursor);
/* Trim ASCII whitespace in place at both ends; returns s. */
char *str_trim(char *s);

/* The value of hexadecimal digit c (0-9, a-f, A-F), or -1. */
int str_hexval(char c);
/*
 * True when s is a name as the configuration gives them to providers and
 * API tokens: 1 to size - 1 bytes of a-z, 0-9, '-' and '_', so that it
 * goes into a URL path, a log line or the audit log as it is.
 */
bool str_is_name(const char *s, size_t size);

/*
 * The names of the regular entries of dir ending in suffix (".cfg"),
 * leaving out names that start with '.', sorted.  Returns 0 with *names
 * (an array of *n strings; free each and the array), or -1 with err
 * saying why (errno's text).
 */
int dir_list(const char *dir, const char *suffix, char ***names, size_t *n, char *err,
	     size_t errlen);

#endif
