/*
 * config.h - duban's configuration: where it is found, what it holds, and
 * its whole and strict validation.  A configuration is either entirely
 * valid or refused; a running daemon swaps one valid configuration for
 * another (SIGHUP), never a half-read one.
 */
#ifndef DUBAN_CONFIG_H
#define DUBAN_CONFIG_H

#include <stdbool.h>

#include "log.h"
#include "util.h"

struct provider_conf; /* provider.h */

struct quiet_hours {
	bool enabled;
	int from, to; /* minutes after local midnight; from > to wraps midnight */
};

struct duban_config {
	char *path;           /* the file read, or NULL for built-in defaults */
	char *database;       /* absolute, or relative to the config file's folder */
	char *timezone;       /* IANA name */
	char *signature;      /* "小雄镇人民政府", shown as 【…】 by providers; may be "" */
	char *rules_dir;
	char *templates_dir;
	struct quiet_hours quiet;
	enum log_level log_level;
	char *log_file;       /* NULL: stderr */
	unsigned max_parts;   /* messages longer than this many SMS parts are refused */
};

/*
 * Find and load the configuration: path (from -c) if not NULL, else
 * $DUBAN_CONFIG, else ./duban.cfg if it exists, else built-in defaults.
 * Returns 0 and a new config (free with config_free), or -1 with every
 * problem in diag as "FILE:LINE: message".
 */
int config_load(const char *path, struct duban_config **out, struct diag *diag);
/* Load a specific file (no search). Same contract as config_load. */
int config_load_file(const char *path, struct duban_config **out, struct diag *diag);
/* The built-in defaults (never fails but for memory: NULL). */
struct duban_config *config_defaults(void);
void config_free(struct duban_config *c);
/* True if local minute-of-day m is inside the quiet hours q. */
bool config_in_quiet(const struct quiet_hours *q, int minute_of_day);

#endif
