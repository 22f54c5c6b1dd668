/*
 * diag.c - the diagnostics list.  A message is formatted into a bounded
 * line and copied; a message that cannot be stored is still counted, since
 * the count is what tells a validator it failed.
 */
#include "base/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
diag_add(struct diag *d, const char *file, long line, const char *fmt, ...)
{
	char msg[1024], full[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file != NULL && line > 0)
		snprintf(full, sizeof(full), "%s:%ld: %s", file, line, msg);
	else if (file != NULL)
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	else
		snprintf(full, sizeof(full), "%s", msg);

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		char **nl = realloc(d->line, ncap * sizeof(*nl));
		if (nl == NULL) {
			d->n++; /* counted, text lost */
			return;
		}
		d->line = nl;
		d->cap = ncap;
	}
	d->line[d->n++] = strdup(full);
}

void
diag_print(const struct diag *d, FILE *fp)
{
	for (size_t i = 0; i < d->n && i < d->cap; i++)
		fprintf(fp, "%s\n", d->line[i] ? d->line[i] : "(out of memory)");
}

void
diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->n && i < d->cap; i++)
		free(d->line[i]);
	free(d->line);
	d->line = NULL;
	d->n = d->cap = 0;
}
