/*
 * log.c - the process log.  Every line carries a UTC timestamp, the level
 * and the program name; lines are written whole with one fprintf so that
 * concurrent writers (the HTTP server thread) do not interleave mid-line.
 */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static struct {
	const char *name;
	FILE *fp; /* NULL: stderr */
	enum log_level level;
} log_state = { "duban", NULL, LOG_INFO };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

int
log_open(const char *name, const char *file, enum log_level level)
{
	log_state.name = name;
	log_state.level = level;
	log_close();
	if (file == NULL || *file == '\0')
		return 0;
	FILE *fp = fopen(file, "a");
	if (fp == NULL)
		return -1;
	setvbuf(fp, NULL, _IOLBF, 0);
	log_state.fp = fp;
	return 0;
}

void
log_close(void)
{
	if (log_state.fp != NULL)
		fclose(log_state.fp);
	log_state.fp = NULL;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_state.level;
}

static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[2048], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	FILE *fp = log_state.fp ? log_state.fp : stderr;

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (errnum != 0)
		fprintf(fp, "%s %s %s: %s: %s\n", stamp, log_state.name,
			level_names[level], msg, strerror(errnum));
	else
		fprintf(fp, "%s %s %s: %s\n", stamp, log_state.name, level_names[level], msg);
	fflush(fp);
}

#define LOGFN(fn, lvl, witherr)                    \
	void fn(const char *fmt, ...)              \
	{                                          \
		int e = (witherr) ? errno : 0;     \
		va_list ap;                        \
		va_start(ap, fmt);                 \
		vlog(lvl, e, fmt, ap);             \
		va_end(ap);                        \
	}

LOGFN(log_warn, LOG_WARN, 1)
LOGFN(log_warnx, LOG_WARN, 0)
LOGFN(log_info, LOG_INFO, 0)
LOGFN(log_debug, LOG_DEBUG, 0)
