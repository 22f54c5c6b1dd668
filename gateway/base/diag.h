/*
 * diag.h - a list of diagnostics ("FILE:LINE: message") collected while
 * validating a configuration, a rule file or an import, so that every
 * problem of a file is shown at once instead of stopping at the first.
 */
#ifndef DUBAN_DIAG_H
#define DUBAN_DIAG_H

#include <stddef.h>
#include <stdio.h>

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
/* Print every message, one per line. */
void diag_print(const struct diag *d, FILE *fp);
/* Free the messages, not the struct; the list is empty afterwards. */
void diag_clear(struct diag *d);

#endif
