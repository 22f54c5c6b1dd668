/*
 * store_lock.c - the instance lock: one `duban run` per database, until a
 * cluster mode exists.  Two daemons on one file stay correct (leases), but
 * each has its own rate limits and circuit breakers, so a provider would
 * see twice the configured rate.
 *
 * Why flock(2) on a file beside the database, and not a row in it: a row
 * naming its holder needs a heartbeat and a timeout before anyone may
 * take it over, and after kill -9 nobody can tell a dead holder from a
 * slow one (nor a PID on another host from one here).  The kernel knows:
 * it drops an flock the moment its process dies, however it dies, and a
 * reboot after a power cut starts with none held.  So a lock that can be
 * taken is never stale, and the takeover is safe by construction.  The
 * file's text - host, PID, since when, what - is what a refused second
 * daemon prints; it is emptied on a clean exit, so text found by a new
 * holder tells of a holder that did not stop cleanly, and is logged.
 * (flock is per host: the database belongs on a local filesystem, as
 * SQLite's own locking wants.)
 */
#include "store/store_int.h"
#include "base/i18n.h"
#include "base/zone.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOLDER_MAX 512

struct store_lock {
	int fd;
};

/* The file's text, without its newline, in out ("" when empty). */
static void
read_holder(int fd, char *out, size_t outlen)
{
	ssize_t n = pread(fd, out, outlen - 1, 0);

	if (n < 0)
		n = 0;
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
}

int
store_lock_take(const char *db, const char *what, struct store_lock **out, char *previous,
		size_t prevlen, char *err, size_t errlen)
{
	char path[4200], holder[HOLDER_MAX], host[256], since[40];
	struct store_lock *l;
	mode_t mode;
	int fd, len;

	*out = NULL;
	if (prevlen > 0)
		previous[0] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s.lock", db) >= sizeof(path)) {
		snprintf(err, errlen, _("%s: the name is too long"), db);
		return STORE_ERROR;
	}
	mode = store_file_mode(db);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		snprintf(err, errlen, _("%s: cannot open the instance lock: %s"), path, strerror(errno));
		return STORE_ERROR;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		read_holder(fd, holder, sizeof(holder));
		close(fd);
		if (e == EWOULDBLOCK) {
			snprintf(err, errlen, _("%s is in use by another daemon (%s; lock %s)"), db,
				 holder[0] ? holder : _("its holder has not written its name yet"),
				 path);
			return STORE_EXISTS;
		}
		snprintf(err, errlen, _("%s: cannot lock: %s"), path, strerror(e));
		return STORE_ERROR;
	}
	read_holder(fd, holder, sizeof(holder));
	if (prevlen > 0)
		snprintf(previous, prevlen, "%s", holder);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	time_fmt_local((int64_t)time(NULL), since, sizeof(since));
	len = snprintf(holder, sizeof(holder), "%s on host %s, pid %ld, since %s\n", what, host,
		       (long)getpid(), since);
	/* The group may read who holds it, whoever created the file (umask). */
	(void)fchmod(fd, mode);
	if (ftruncate(fd, 0) != 0 || len < 0 || pwrite(fd, holder, (size_t)len, 0) != len) {
		snprintf(err, errlen, _("%s: cannot write the holder: %s"), path, strerror(errno));
		close(fd);
		return STORE_ERROR;
	}
	if ((l = malloc(sizeof(*l))) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		close(fd);
		return STORE_ERROR;
	}
	l->fd = fd;
	*out = l;
	return STORE_OK;
}

void
store_lock_release(struct store_lock *l)
{
	if (l == NULL)
		return;
	/* Emptied first: the next holder then knows this one stopped cleanly
	 * (if it cannot be, the next one only reports a takeover). */
	int rc = ftruncate(l->fd, 0);
	(void)rc;
	close(l->fd);
	free(l);
}
