/*
 * log.h - one line per event to stderr or the configured file, with the
 * OpenSMTPD family of calls: log_warn adds strerror(errno), log_warnx does
 * not.  There is no fatal(): modules return errors and only main exits.
 * Phone numbers must be masked by the caller with phone_mask(): nothing
 * here can tell a number from other text.  Every function here may be
 * called from any thread; log_open and log_close from one at a time.
 */
#ifndef DUBAN_LOG_H
#define DUBAN_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* A log file is created with this mode, whatever the umask allows more. */
#define LOG_FILE_MODE 0600
/*
 * An existing log file is narrowed to at most this (owner read-write,
 * group read if it had it) when it is opened, with a warning in it.
 */
#define LOG_FILE_MODE_MAX 0640

/*
 * Set the name that prefixes every line (a string that outlives the log,
 * e.g. a literal) and the level, and direct the log: file NULL or "" means
 * standard error, otherwise the file is opened for appending (created
 * LOG_FILE_MODE, narrowed to LOG_FILE_MODE_MAX) in place of the previous
 * destination.  Call it again to reopen after the file was moved (SIGHUP).
 * Safe while other threads log: a line goes whole to the old destination
 * or the new.  Call it (and log_close) from one thread at a time.
 * Returns 0, or -1 with errno if the file cannot be opened: the name and
 * level are set, and lines still go where they went before.
 */
int log_open(const char *name, const char *file, enum log_level level);
/* Back to standard error (the file is closed once no thread writes to it). */
void log_close(void);
/* Parse "error" | "warn" | "info" | "debug"; 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);
/* Would a line of this level be written?  Any thread. */
bool log_enabled(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
