/*
 * daemon.h - `duban run`, the one long-running process: the scheduler's
 * pass when its next fire time comes, the dispatcher whenever work is due,
 * rows queued by other processes noticed within a second (SQLite's
 * data_version), SIGTERM/SIGINT drained, SIGHUP reloaded.  Also the signal
 * plumbing it shares with `duban dispatch`: handlers only write a byte to a
 * pipe that the event loop waits on.
 */
#ifndef DUBAN_DAEMON_H
#define DUBAN_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

/* A self-pipe fed by SIGTERM, SIGINT and (when asked) SIGHUP. */
struct daemon_sig {
	int rd, wr;
};

/*
 * Install the handlers and make the pipe (non-blocking, close-on-exec).
 * Only one may be open per process.  Returns 0, or -1 with err.
 */
int daemon_sig_open(struct daemon_sig *s, bool hup, char *err, size_t errlen);
/* Read what arrived: *terms counts SIGTERM/SIGINT, *hups SIGHUP. */
void daemon_sig_read(struct daemon_sig *s, int *terms, int *hups);
/* Restore the default handlers and close the pipe. */
void daemon_sig_close(struct daemon_sig *s);

#endif
