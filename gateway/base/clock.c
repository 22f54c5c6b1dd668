/*
 * clock.c - the clock.  DUBAN_NOW becomes an offset added to the real
 * clock; it is computed once under pthread_once, so the daemon's thread,
 * the HTTP server's and the dispatcher's may all ask for the time first
 * and none sees it half set.
 */
#include "base/clock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/zone.h"

static struct {
	pthread_once_t once;
	bool bad;       /* DUBAN_NOW set but not a local time */
	int64_t offset; /* DUBAN_NOW minus the real time when it was read */
} clock_state = { PTHREAD_ONCE_INIT, false, 0 };

static void
clock_read_env(void)
{
	const char *env = getenv("DUBAN_NOW");
	int64_t t;

	if (env == NULL || *env == '\0')
		return;
	if (time_parse_local(env, false, &t) != 0) {
		clock_state.bad = true;
		return;
	}
	clock_state.offset = t - (int64_t)time(NULL);
}

int
time_check_env(char *err, size_t errlen)
{
	pthread_once(&clock_state.once, clock_read_env);
	if (clock_state.bad) {
		snprintf(err, errlen,
			 "DUBAN_NOW=\"%s\": expected local time \"YYYY-MM-DD HH:MM[:SS]\"",
			 getenv("DUBAN_NOW"));
		return -1;
	}
	return 0;
}

int64_t
time_now(void)
{
	pthread_once(&clock_state.once, clock_read_env);
	return (int64_t)time(NULL) + clock_state.offset;
}

int64_t
time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
