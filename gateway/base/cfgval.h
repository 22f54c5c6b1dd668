/*
 * cfgval.h - whole-file validation helpers over libconfig settings, shared
 * by the configuration and the rule files.  Every helper reports what is
 * wrong as "FILE:LINE: message" into a diag list and carries on, so that a
 * file's problems are all shown at once.
 */
#ifndef DUBAN_CFGVAL_H
#define DUBAN_CFGVAL_H

#include <libconfig.h>
#include <stdbool.h>

#include "base/diag.h"
#include "base/duration.h"

struct cfgval {
	const char *file;   /* the file being checked, for messages */
	struct diag *diag;  /* where problems go (not owned) */
};

/* The line of a setting in its file (0 if unknown). */
long cfgval_line(const config_setting_t *s);
/* Report a problem at setting s. */
void cfgval_error(struct cfgval *cv, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Report every member of group grp whose name is not in allowed (a
 * NULL-terminated list).  Returns true when all are known.
 */
bool cfgval_keys(struct cfgval *cv, const config_setting_t *grp, const char *const *allowed);

/*
 * Typed getters.  Each returns 0 when key is absent (out untouched), 1 when
 * present and valid (out set), -1 when present but invalid (reported, out
 * untouched).  String results point into the libconfig tree.
 */
int cfgval_string(struct cfgval *cv, const config_setting_t *grp, const char *key, const char **out);
int cfgval_int(struct cfgval *cv, const config_setting_t *grp, const char *key, long min, long max,
	       long *out);
int cfgval_float(struct cfgval *cv, const config_setting_t *grp, const char *key, double min,
		 double max, double *out);
int cfgval_bool(struct cfgval *cv, const config_setting_t *grp, const char *key, bool *out);
/*
 * A string key that takes one of a few words (words: NULL-terminated),
 * matched exactly: *index is its place in words.  Another word is
 * reported as "'method' must be "GET" or "POST", not "get"".
 */
int cfgval_word(struct cfgval *cv, const config_setting_t *grp, const char *key,
		const char *const *words, int *index);
/*
 * The n words as a sentence offers them: "\"a\", \"b\" or \"c\"" (quoted);
 * cut short when out (outlen bytes) is too small, which only a message
 * can be.
 */
void cfgval_words_text(const char *const *words, size_t n, char *out, size_t outlen);
/* "HH:MM" as minutes after midnight. */
int cfgval_hhmm(struct cfgval *cv, const config_setting_t *grp, const char *key, int *out);
/* "7d", "36h" ... */
int cfgval_duration(struct cfgval *cv, const config_setting_t *grp, const char *key,
		    struct duration *out);
/* A group member that must be a group; NULL when absent or (reported) not a group. */
const config_setting_t *cfgval_group(struct cfgval *cv, const config_setting_t *grp, const char *key);
/* A daily window of local time, such as the quiet hours of the night. */
struct quiet_hours {
	bool enabled;
	int from, to; /* minutes after local midnight; from > to wraps midnight */
};

/*
 * A quiet_hours = { from = "21:00"; to = "08:00"; enabled = true; } group
 * member of grp.  from and to go together; enabled = false turns the quiet
 * hours off.  Returns 0 when absent (q untouched), 1 when present (q set
 * from what is valid), -1 when it is not a group.
 */
int cfgval_quiet(struct cfgval *cv, const config_setting_t *grp, struct quiet_hours *q);
/*
 * Read a file with libconfig; on a syntax error report it as FILE:LINE and
 * return -1.  The caller destroys cfg either way.
 */
int cfgval_read_file(struct cfgval *cv, config_t *cfg, const char *path);

#endif
