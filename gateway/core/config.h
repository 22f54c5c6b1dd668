/*
 * config.h - duban's configuration: where it is found, what it holds, and
 * its whole and strict validation.  A configuration is either entirely
 * valid or refused; a running daemon swaps one valid configuration for
 * another (SIGHUP), never a half-read one.
 */
#ifndef DUBAN_CONFIG_H
#define DUBAN_CONFIG_H

#include <stdbool.h>

#include "base/cfgval.h"
#include "base/log.h"
#include "base/diag.h"

struct provider_conf; /* provider.h */
struct calendar;      /* calendar.h */

/* The dispatcher's settings (the `dispatcher` group). */
struct dispatcher_conf {
	unsigned batch;  /* rows leased per transaction; results per commit */
	long lease_ms;   /* how long a lease holds; 0: twice the longest provider timeout + 10 s */
	long commit_ms;  /* longest a send result waits for its commit */
	long poll_ms;    /* how often the daemon looks for rows other processes queued */
	long grace_ms;   /* SIGTERM: how long requests in flight may take to finish */
};

/* Policy notices (the `notices` group). */
struct notices_conf {
	bool require_approval; /* a notice waits as pending until "duban notice approve" */
	unsigned long confirm_over; /* ask before queuing a notice to more people than this */
	char *optout_footer;   /* ends free texts to farmers and enterprises; "" for none */
};

/* Delivery reports that come before their send is recorded (the `dlr` group). */
struct dlr_conf {
	long keep_unmatched; /* seconds one keyed by a provider's id waits for its send */
	long max_unmatched;  /* such reports waiting at once; past it the oldest go */
};

/* Reminders to one person (the `reminders` group). */
struct reminders_conf {
	long digest_window;   /* seconds: a reminder due this soon joins a digest due now */
	unsigned per_person_day; /* reminder SMS to one person a day; more fold into the next digest */
};

/* The database's disk (the `storage` group). */
struct storage_conf {
	long long wal_max;  /* bytes of WAL past which a commit checkpoints and truncates it */
	long long min_free; /* bytes free on the database's filesystem below which /healthz fails; 0: none */
};

/* An API token of the HTTP server: a name, the SHA-256 of the token, the routes it may use. */
struct http_token {
	char *name;
	unsigned char sha256[32];
	unsigned routes; /* HTTP_ROUTE_* bits */
};
/*
 * What a token may do.  "messages" (HTTP_ROUTE_MESSAGES) is read and
 * write, as it always was; neither shows whole numbers and names, which
 * only messages:numbers adds.
 */
enum {
	HTTP_ROUTE_MESSAGES_READ = 1,     /* GET /v1/messages/ID */
	HTTP_ROUTE_NOTICES = 2,
	HTTP_ROUTE_TASKS = 4,
	HTTP_ROUTE_MESSAGES_WRITE = 8,    /* POST /v1/messages */
	HTTP_ROUTE_MESSAGES_NUMBERS = 16, /* whole numbers and names in what /v1/messages answers */
	HTTP_ROUTE_MESSAGES = HTTP_ROUTE_MESSAGES_READ | HTTP_ROUTE_MESSAGES_WRITE,
};

/* The HTTP server (the `http` group; parsed by httpd_conf.c). */
struct httpd_conf {
	bool enabled;       /* an http group is there and not enabled = false */
	char *listen;       /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8080" */
	size_t max_body;    /* bytes of a request body; more is refused (413) */
	struct http_token *tokens;
	size_t ntokens;
	char *forward_to;   /* E.164: replies that are no command go to this clerk; NULL: kept only */
	unsigned threads;      /* request handler threads (a restart applies a change) */
	unsigned connections;  /* connections at once (a restart applies a change) */
	unsigned per_address;  /* connections at once from one client address */
	long header_ms;        /* to receive a request's whole header, from its start */
	long signature_window; /* seconds a signed callback's timestamp may be off */
};

/* Local per-number limits (the `limits` group; a provider's own `limits` override them). */
struct limits_conf {
	int per_number_hour; /* sends to one number in any hour; 0: no limit */
	int per_number_day;  /* in any 24 hours; 0: no limit */
};

/* Who hears of a provider that halted (the `alerts` group). */
struct alerts_conf {
	char **to;  /* E.164 numbers (the county IT's); SMS through any other provider */
	size_t nto;
};

/* The staff console (the `console` group; parsed by config_console.c). */
struct console_conf {
	char *web_root;     /* the console's static files; NULL: found (console_web_root) */
	long idle_s;        /* a session unused this long ends */
	long max_s;         /* a session ends this long after its login, used or not */
	bool trust_proxy;   /* believe X-Forwarded-Proto / X-Forwarded-For of a proxy */
};

struct duban_config {
	char *path;           /* the file read, or NULL for built-in defaults */
	char *database;       /* absolute, or relative to the config file's folder */
	char *timezone;       /* IANA name */
	char *language;       /* "zh", "en", or NULL: follow the locale (base/i18n.h) */
	char *signature;      /* "小雄镇人民政府", shown as 【…】 by providers; may be "" */
	char *rules_dir;
	char *templates_dir;
	char *calendar_file;  /* the holiday calendar (calendar/cn.cfg); NULL: none */
	struct calendar *calendar; /* loaded from calendar_file; NULL: Monday to Friday */
	struct quiet_hours quiet;
	enum log_level log_level;
	char *log_file;       /* NULL: stderr */
	unsigned max_parts;   /* messages longer than this many SMS parts are refused */
	struct provider_conf *providers; /* tried in this order (failover) */
	size_t nproviders;
	struct dispatcher_conf dispatcher;
	struct notices_conf notices;
	struct httpd_conf http;
	struct dlr_conf dlr;
	struct storage_conf storage;
	struct limits_conf limits;
	struct alerts_conf alerts;
	int backup_keep;      /* automatic backups kept beside the database (backup.keep) */
	/* {{env.NAME}} secrets that were not set, as FILE:LINE: messages (config_need_secrets) */
	struct diag missing_env;
	struct console_conf console;
	struct reminders_conf reminders;
};

/* The configuration of an installed duban (the Debian package's). */
#define CONFIG_SYSTEM_FILE "/etc/duban/duban.cfg"

/*
 * Find and load the configuration: path (from -c) if not NULL, else
 * $DUBAN_CONFIG, else ./duban.cfg if it exists, else CONFIG_SYSTEM_FILE
 * if it exists, else built-in defaults.
 * Returns 0 and a new config (free with config_free), or -1 with every
 * problem in diag as "FILE:LINE: message".
 */
int config_load(const char *path, struct duban_config **out, struct diag *diag);
/* Load a specific file (no search). Same contract as config_load. */
int config_load_file(const char *path, struct duban_config **out, struct diag *diag);
/*
 * The providers' secrets ({{env.NAME}}) are needed only by what sends:
 * `duban run`, `duban dispatch`, `duban config check --providers`.  A
 * configuration whose secrets are not in the environment loads, so that
 * staff can use every other command without holding them; a command that
 * sends calls this first.  0 when every secret was set, else -1 with the
 * missing ones in diag ("FILE:LINE: header 'X': environment variable X is
 * not set").
 */
int config_need_secrets(const struct duban_config *c, struct diag *diag);
/* The built-in defaults (never fails but for memory: NULL). */
struct duban_config *config_defaults(void);
void config_free(struct duban_config *c);
/* True if local minute-of-day m is inside the quiet hours q. */
bool config_in_quiet(const struct quiet_hours *q, int minute_of_day);

#endif
