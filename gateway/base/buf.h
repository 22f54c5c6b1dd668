/*
 * buf.h - a growable string with a maximum size, for everything duban
 * builds whose length depends on input: request bodies, URLs, template
 * output, CSV lines.  Input past the maximum is refused whole, never
 * truncated, so a caller can report it.
 */
#ifndef DUBAN_BUF_H
#define DUBAN_BUF_H

#include <stddef.h>

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
/* Cut b back to its first len bytes (no-op when len >= b->len): takes back
 * what was appended in several steps when a later step is refused. */
void buf_truncate(struct buf *b, size_t len);
/* Frees the data, not the struct. */
void buf_free(struct buf *b);
/* Hand the data to the caller (who frees it); the buffer is emptied. */
char *buf_steal(struct buf *b);

#endif
