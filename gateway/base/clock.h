/*
 * clock.h - the clock: now (real, or replaced by DUBAN_NOW for tests and
 * demos) as UTC seconds, and monotonic milliseconds for timers.
 */
#ifndef DUBAN_CLOCK_H
#define DUBAN_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Now as UTC seconds: the real clock, or DUBAN_NOW (local time,
 * "YYYY-MM-DD HH:MM[:SS]") when set.  DUBAN_NOW is read once, by the
 * first call of this or time_check_env(), in the zone in force then
 * (main sets the configured zone before); after that the replaced clock
 * runs on at real speed, so a daemon started with DUBAN_NOW behaves like
 * one started at that moment, across reloads too.  A bad DUBAN_NOW is
 * reported by time_check_env() (the clock is then the real one).
 * Safe from any thread.
 */
int64_t time_now(void);
/* 0, or -1 with err when DUBAN_NOW is set but unreadable. */
int time_check_env(char *err, size_t errlen);
/* Monotonic milliseconds, for timers. */
int64_t time_mono_ms(void);

#endif
