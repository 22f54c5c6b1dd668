/*
 * log.c - the process log.  Every line carries a timestamp in the
 * configured time zone with its offset (2008-12-24T09:00:01+08:00: what a
 * person reads is local time, and the offset keeps it unambiguous), the
 * level and the program name, and is written whole with one write(2) on a
 * descriptor opened O_APPEND, so that concurrent writers (the HTTP thread,
 * the dispatcher's) never interleave mid-line and need no lock.
 *
 * Under systemd (JOURNAL_STREAM names the descriptor standard error is),
 * lines to standard error carry no timestamp - the journal stamps them -
 * and start with the sd-daemon priority prefix, <3> error to <7> debug,
 * so that `journalctl -p warning` finds the warnings.  A log.file gets
 * the usual lines.
 *
 * Reopening (SIGHUP, after logrotate moved the file) must not close a file
 * under a thread that is writing to it.  So the log writes to one
 * descriptor number for the life of the process: the first file opened
 * keeps the number it got, and every later file - or standard error again -
 * is put onto that same number with dup3(), which the kernel does
 * atomically; a write in progress finishes on the old file, the next one
 * goes to the new, and the old file is closed by the kernel when the last
 * write lets go of it.  The number itself is never closed, so no other
 * open() can take it while a thread still writes there.  The level and the
 * name are atomics for the same reason: log_open changes them while other
 * threads read them.
 */
#include "base/log.h"
#include "base/zone.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 2048               /* the formatted message; longer ones are cut */
#define LOG_LINE_MAX (MSG_MAX + 256) /* with the stamp, name, level and strerror */

static struct {
	_Atomic(const char *) name;
	atomic_int level; /* enum log_level */
	atomic_int fd;    /* where lines go: STDERR_FILENO or own */
	int own;          /* the log's own descriptor once a file was opened (-1: none);
			   * only log_open and log_close, on one thread, touch it */
} log_state = { "duban", LOG_INFO, STDERR_FILENO, -1 };

static const char *const level_names[] = { "error", "warn", "info", "debug" };
/* sd-daemon(3) priorities of the levels: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const char *const level_prio[] = { "<3>", "<4>", "<6>", "<7>" };

/* -1 not looked yet, 0 no, 1 standard error is the journal's stream. */
static atomic_int journal = -1;

/*
 * Is standard error connected to the journal?  systemd sets JOURNAL_STREAM
 * to "DEVICE:INODE" of the stream it gave the service; a process that
 * redirected its stderr elsewhere (a pipe to a file) keeps the variable
 * but no longer matches, so both are compared, as systemd.exec(5) says.
 */
static bool
stderr_is_journal(void)
{
	int j = atomic_load(&journal);
	const char *v;
	unsigned long long dev, ino;
	struct stat sb;
	char *end;

	if (j >= 0)
		return j == 1;
	j = 0;
	v = getenv("JOURNAL_STREAM");
	if (v != NULL && fstat(STDERR_FILENO, &sb) == 0) {
		dev = strtoull(v, &end, 10);
		if (*end == ':') {
			ino = strtoull(end + 1, &end, 10);
			j = *end == '\0' && dev == (unsigned long long)sb.st_dev &&
			    ino == (unsigned long long)sb.st_ino;
		}
	}
	atomic_store(&journal, j);
	return j == 1;
}

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

/* Put fd onto the log's own number (close-on-exec).  0, or -1 with errno. */
static int
move_onto_own(int fd)
{
	int rc;

	do
		rc = dup3(fd, log_state.own, O_CLOEXEC);
	while (rc < 0 && (errno == EINTR || errno == EBUSY));
	return rc < 0 ? -1 : 0;
}

/*
 * A regular file that others may read or write, or its group write, is
 * narrowed to at most 0640: the log names people and what they were sent.
 * Group read stays when it was given (Debian's /var/log habit, group adm).
 * *was and *now get the modes (equal: nothing to do); -1 if fchmod failed.
 */
static int
narrow_mode(int fd, mode_t *was, mode_t *now)
{
	struct stat sb;

	*was = *now = 0;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0; /* a terminal, a pipe, /dev/null: not ours to change */
	*was = sb.st_mode & 07777;
	*now = *was & LOG_FILE_MODE_MAX;
	if (*now != *was && fchmod(fd, *now) != 0)
		return -1;
	return 0;
}

int
log_open(const char *name, const char *file, enum log_level level)
{
	mode_t was, now;
	int fd, narrowed, e;

	atomic_store(&log_state.name, name);
	atomic_store(&log_state.level, (int)level);
	if (file == NULL || *file == '\0') {
		log_close();
		return 0;
	}
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, LOG_FILE_MODE);
	if (fd < 0)
		return -1;
	narrowed = narrow_mode(fd, &was, &now);
	e = errno;
	if (log_state.own < 0) {
		log_state.own = fd;
		atomic_store(&log_state.fd, fd);
	} else {
		if (move_onto_own(fd) != 0) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		close(fd);
	}
	/* Said in the file itself, where whoever reads it will see it. */
	if (narrowed != 0)
		log_warnx("%s has mode %04o, wider than %04o, and could not be narrowed: %s",
			  file, (unsigned)was, (unsigned)LOG_FILE_MODE_MAX, strerror(e));
	else if (now != was)
		log_warnx("%s had mode %04o; narrowed to %04o (the log is not for others to read)",
			  file, (unsigned)was, (unsigned)now);
	return 0;
}

void
log_close(void)
{
	/* Standard error onto the log's number; if stderr is closed, keep the file. */
	if (log_state.own >= 0)
		(void)move_onto_own(STDERR_FILENO);
}

bool
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&log_state.level, memory_order_relaxed);
}

/* The whole line, or as much as the descriptor takes (a full disk loses the rest). */
static void
write_line(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* "2008-12-24T09:00:01+08:00 " (a space after) for now, in the zone in force. */
static void
stamp_now(char *out, size_t outlen)
{
	time_t now = time(NULL);
	long off = zone_offset(zone_current(), (int64_t)now);
	time_t local = now + (time_t)off;
	long a = off < 0 ? -off : off;
	struct tm tm;
	size_t n;

	gmtime_r(&local, &tm);
	n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, outlen - n, "%c%02ld:%02ld ", off < 0 ? '-' : '+', a / 3600,
		 a / 60 % 60);
}

static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[MSG_MAX], line[LOG_LINE_MAX], stamp[40];
	const char *head;
	int saved = errno, n, fd;

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fd = atomic_load(&log_state.fd);
	if (fd == STDERR_FILENO && stderr_is_journal()) {
		head = level_prio[level];
	} else {
		stamp_now(stamp, sizeof(stamp));
		head = stamp;
	}
	if (errnum != 0)
		n = snprintf(line, sizeof(line), "%s%s %s: %s: %s\n", head,
			     atomic_load(&log_state.name), level_names[level], msg, strerror(errnum));
	else
		n = snprintf(line, sizeof(line), "%s%s %s: %s\n", head,
			     atomic_load(&log_state.name), level_names[level], msg);
	if (n < 0)
		goto out;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1; /* cut, but still one line */
		line[n - 1] = '\n';
	}
	write_line(fd, line, (size_t)n);
out:
	errno = saved;
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
