/*
 * log.h - one line per event to stderr or the configured file, with the
 * OpenSMTPD family of calls: log_warn adds strerror(errno), log_warnx does
 * not.  There is no fatal(): modules return errors and only main exits.
 * Phone numbers must be masked by the caller with phone_mask(): nothing
 * here can tell a number from other text.
 */
#ifndef DUBAN_LOG_H
#define DUBAN_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/*
 * Direct the log: file NULL means stderr.  Returns 0, or -1 if the file
 * cannot be opened (the log stays on stderr).  name prefixes every line.
 */
int log_open(const char *name, const char *file, enum log_level level);
void log_close(void);
/* Parse "error" | "warn" | "info" | "debug"; 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);
bool log_enabled(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
