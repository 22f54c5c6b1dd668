/*
 * utf8.h - UTF-8 text: validity and display width.
 */
#ifndef DUBAN_UTF8_H
#define DUBAN_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Display width of UTF-8 text on a terminal: CJK and full-width count 2. */
size_t utf8_width(const char *s);
/* True if s is valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

#endif
