/*
 * provider.h - SMS provider backends behind one table of function pointers
 * (struct provider_ops), chosen by `type` in the configuration: "http" (a
 * generic HTTP API whose URL, method, body, parameters, headers and reply
 * rules are all configuration) and "kannel" (Kannel's /cgi-bin/sendsms).
 * A backend turns a message into an HTTP request and classifies the reply
 * as accepted, transient or permanent; the dispatcher does the sending.
 * Everything a backend needs is parsed and checked when the configuration
 * is loaded (templates, regular expressions, {{env.NAME}} secrets), so
 * building a request never meets a configuration error.  Secrets resolved
 * from the environment live in the configuration only and are never logged.
 */
#ifndef DUBAN_PROVIDER_H
#define DUBAN_PROVIDER_H

#include <libconfig.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cfgval.h"
#include "base/buf.h"

#define PROVIDER_NAME_MAX   32          /* bytes of a provider name, NUL included */
#define PROVIDER_REF_MAX    128         /* provider message id, NUL included */
#define PROVIDER_REASON_MAX 256         /* failure reason, NUL included */
#define PROVIDER_URL_MAX    (16 * 1024) /* a request URL, query included */
#define PROVIDER_BODY_MAX   (64 * 1024) /* a request body */
#define PROVIDER_REPLY_MAX  (64 * 1024) /* a reply body kept for classifying */

enum provider_result { PROVIDER_ACCEPTED = 0, PROVIDER_TRANSIENT, PROVIDER_PERMANENT };

/* "accepted" | "transient" | "permanent" (the attempt table's words). */
const char *provider_result_name(enum provider_result r);

/* ---- templates over a message ------------------------------------------- */

enum ptmpl_var { PV_LITERAL, PV_PHONE, PV_PHONE_NATIONAL, PV_TEXT, PV_ID, PV_SIGNATURE };

struct ptmpl_piece {
	enum ptmpl_var var;
	char *lit; /* PV_LITERAL: the text ({{env.NAME}} already substituted) */
	size_t len;
};

/* A parameter, header or URL value: literal text and {{variables}}. */
struct ptmpl {
	struct ptmpl_piece *p;
	size_t n;
	bool secret;  /* uses {{env.NAME}}: never log the expansion */
	bool dynamic; /* uses a per-message variable */
};

struct provider_param {
	char *name;
	struct ptmpl value;
};

/* What a backend gets of a message. */
struct provider_msg {
	int64_t id;
	const char *phone;     /* E.164 */
	const char *text;      /* the body, without signature */
	const char *signature; /* "" for none */
	bool ucs2;             /* the text needs UCS-2 (anything Chinese) */
};

/* duban's reference of message id ("duban-<id>"), stable across retries. */
void provider_msg_ref(int64_t id, char *out, size_t outlen);

enum ptmpl_esc { ESC_NONE, ESC_URL, ESC_FORM, ESC_JSON };

/*
 * Append t expanded for m to out, escaped for esc.  Returns 0, or -1 when
 * out would exceed its maximum (out is restored to its length on entry).
 */
int ptmpl_expand(const struct ptmpl *t, const struct provider_msg *m, enum ptmpl_esc esc,
		 struct buf *out);

/*
 * Escaping.  provider_url_escape percent-encodes every byte but the
 * unreserved A-Z a-z 0-9 - . _ ~ (form: a space becomes '+'), so UTF-8
 * Chinese becomes %E5%B0%8F...; provider_json_escape writes the inside of a
 * JSON string: '"', '\\' and control characters escaped, UTF-8 kept as is.
 * Both append to out and return 0, or -1 when out is full (restored).
 */
int provider_url_escape(struct buf *out, const char *s, size_t len, bool form);
int provider_json_escape(struct buf *out, const char *s, size_t len);

/* ---- the configuration of a provider ------------------------------------ */

enum jitter { JITTER_FULL, JITTER_EQUAL };

/* How a transient failure is retried: at most max retries after the first
 * attempt, waiting base_ms * 2^(n-1) capped at max_ms, with jitter. */
struct retry_policy {
	int max;
	long base_ms, max_ms;
	enum jitter jitter;
};

/* A body rule: a JSON field with a value ("code=0", path "a.b.0.c") and/or
 * a POSIX extended regex; either matching is a match. */
struct reply_rule {
	char *json_path, *json_value; /* NULL: no JSON rule */
	regex_t *re;                  /* NULL: no regex */
};

/* A set of HTTP statuses 100..599. */
struct status_set {
	bool given;
	uint64_t bits[10];
};

enum http_body { BODY_QUERY, BODY_FORM, BODY_JSON };

/* The http backend's callbacks (provider_cb.c): which fields of a delivery
 * report or a reply hold what, and which status words mean what. */
struct http_cb_conf {
	char *dlr_ref, *dlr_status, *dlr_reason; /* field names (JSON paths) */
	char **delivered, **failed;              /* status words (case-insensitive) */
	size_t ndelivered, nfailed;
	char *mo_from, *mo_to, *mo_text, *mo_id;
};

struct http_conf {
	bool post;
	enum http_body body;
	struct provider_param *params, *headers;
	size_t nparams, nheaders;
	struct status_set accept_st, permanent_st, temporary_st;
	struct reply_rule accept, permanent, temporary, id, reason;
	enum provider_result otherwise; /* 2xx not matching the accept rule */
	bool need_json;                 /* some rule reads the reply as JSON */
	struct http_cb_conf cb;         /* delivery reports and replies */
};

struct kannel_conf {
	struct ptmpl username, password, from, smsc, dlr_url;
	long dlr_mask;      /* 0: no delivery reports asked */
	bool post;          /* form body instead of a query string */
	bool national;      /* send Chinese numbers without +86 */
	bool sign;          /* prepend 【signature】 to the text */
};

struct provider_ops;

struct provider_conf {
	char *name;
	const struct provider_ops *ops;
	struct ptmpl url;            /* may hold a secret: never logged */
	double rate;                 /* messages per second, 0: unlimited */
	double burst;                /* token bucket size */
	int concurrency;             /* requests in flight */
	long timeout_ms, connect_timeout_ms;
	struct retry_policy retries;
	int breaker_failures;        /* consecutive transport/5xx failures that open it */
	long breaker_rest_ms;        /* how long it stays open */
	long line;                   /* where it was configured */
	struct http_conf http;
	struct kannel_conf kannel;
	char *callback_secret;       /* authenticates its callbacks; NULL: refused */
	bool secret_from_env;        /* came from {{env.NAME}} */
};

/* ---- requests and replies ------------------------------------------------ */

/* A request built by a backend; the caller owns the buffers (reused). */
struct provider_req {
	struct buf url;      /* full URL, query included */
	struct buf body;     /* POST body ("" for GET) */
	struct buf headers;  /* "Name: value" lines, each ended by '\n' */
	bool post;
};

/* Initialise the buffers with their bounds / empty them for reuse / free. */
void provider_req_init(struct provider_req *r);
void provider_req_reset(struct provider_req *r);
void provider_req_free(struct provider_req *r);

struct provider_reply {
	long status;        /* HTTP status */
	const char *body;   /* NUL-terminated */
	size_t len;
};

struct provider_verdict {
	enum provider_result result;
	bool provider_fault;            /* a 5xx: counts towards the circuit breaker */
	char ref[PROVIDER_REF_MAX];     /* the provider's message id ("" unknown) */
	char reason[PROVIDER_REASON_MAX];
};

/* ---- callbacks: delivery reports and replies (provider_cb.c) ---------------- */

#define PROVIDER_MO_TEXT_MAX 2048 /* bytes of a reply's text, NUL included */

/* A request a provider made to one of duban's callback URLs. */
struct provider_cb_req {
	/*
	 * The value of field name - a query parameter, a form field, or a
	 * member of a JSON body (a dotted path) - as text into out.  0, or -1
	 * when absent, not a scalar, or not shorter than outlen.
	 */
	int (*field)(const struct provider_cb_req *r, const char *name, char *out, size_t outlen);
	void *ctx;
};

enum provider_dlr_state { PROVIDER_DLR_DELIVERED, PROVIDER_DLR_FAILED, PROVIDER_DLR_PENDING };

/* A delivery report as a backend reads it. */
struct provider_dlr {
	char ref[PROVIDER_REF_MAX];       /* the provider's message id, or duban's "duban-ID" */
	enum provider_dlr_state state;
	char reason[PROVIDER_REASON_MAX]; /* the provider's status word and error code */
};

/* A reply (MO) as a backend reads it; strings are "" when absent. */
struct provider_mo {
	char from[64];                    /* the sender, as the provider wrote it */
	char to[64];                      /* the number it was sent to */
	char ref[PROVIDER_REF_MAX];       /* the provider's id of the reply */
	char text[PROVIDER_MO_TEXT_MAX];
};

struct provider_ops {
	const char *type;
	/* NULL-terminated list of the keys this type adds to a provider group. */
	const char *const *keys;
	/* Check and store the type's keys of group g into pc; problems go to cv. */
	void (*parse)(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc);
	/* Build the request for m into req (reset by the caller).  0, or -1 with
	 * err (the message cannot be expressed: too long for the buffers). */
	int (*build)(const struct provider_conf *pc, const struct provider_msg *m,
		     struct provider_req *req, char *err, size_t errlen);
	/* Classify a reply that arrived (transport errors never get here). */
	void (*classify)(const struct provider_conf *pc, const struct provider_msg *m,
			 const struct provider_reply *r, struct provider_verdict *v);
	/* Free what parse allocated in pc. */
	void (*free)(struct provider_conf *pc);
	/* Read a delivery report / a reply from request r into out: 0, or -1
	 * with err naming the field at fault.  NULL: the type has none. */
	int (*dlr)(const struct provider_conf *pc, const struct provider_cb_req *r,
		   struct provider_dlr *out, char *err, size_t errlen);
	int (*mo)(const struct provider_conf *pc, const struct provider_cb_req *r,
		  struct provider_mo *out, char *err, size_t errlen);
};

extern const struct provider_ops provider_http_ops;
extern const struct provider_ops provider_kannel_ops;

/* The backend called type ("http", "kannel"), or NULL. */
const struct provider_ops *provider_ops_find(const char *type);

/*
 * Parse and validate the `providers = ( {...}, ... )` list: every problem
 * goes to cv as FILE:LINE: message.  Returns 0 with a new array in *out (n
 * entries; free with provider_conf_free), or -1 (nothing allocated).
 */
int provider_parse_list(struct cfgval *cv, const config_setting_t *list,
			struct provider_conf **out, size_t *n);
/* Free an array of n providers (NULL is fine). */
void provider_conf_free(struct provider_conf *p, size_t n);

/* ---- helpers the backends share (provider.c) ----------------------------- */

/*
 * Parse a template string s written at setting at.  allow_msg: per-message
 * variables ({{phone}}, {{text}} ...) are allowed, else only {{env.NAME}}.
 * A missing environment variable or an unknown variable is reported with
 * the line.  Returns 0 or -1 (reported; *t left empty).
 */
int ptmpl_parse(struct cfgval *cv, const config_setting_t *at, const char *what, const char *s,
		bool allow_msg, struct ptmpl *t);
void ptmpl_free(struct ptmpl *t);
/* Parse a group of name = "template" pairs (params, headers). */
int provider_parse_params(struct cfgval *cv, const config_setting_t *g, bool headers,
			  struct provider_param **out, size_t *n);
void provider_params_free(struct provider_param *p, size_t n);
/* A body rule from KEY_json / KEY_regex in group g. */
void provider_parse_rule(struct cfgval *cv, const config_setting_t *g, const char *key,
			 struct reply_rule *r);
void provider_rule_free(struct reply_rule *r);

bool status_set_has(const struct status_set *s, long status);

/*
 * Look up a dotted path ("data.0.msgid") in a JSON reply (a json_t *,
 * passed as void * to keep jansson out of this header) and write its value
 * as text (strings as is, numbers in decimal, true/false/null) into out.
 * Returns 0, or -1 when absent, not a scalar, or too long.
 */
int provider_json_get(const void *root, const char *path, char *out, size_t outlen);

/* Copy up to outlen-1 bytes of a reply body as one line (control bytes as
 * spaces, never cutting a UTF-8 sequence) for a failure reason. */
void provider_excerpt(const char *body, size_t len, char *out, size_t outlen);

/* Classify a provider reply / build a request through pc->ops. */
int provider_build(const struct provider_conf *pc, const struct provider_msg *m,
		   struct provider_req *req, char *err, size_t errlen);
void provider_classify(const struct provider_conf *pc, const struct provider_msg *m,
		       const struct provider_reply *r, struct provider_verdict *v);

/* ---- callbacks (provider_cb.c) ------------------------------------------ */

/*
 * The `callback_secret` key of provider group g (a literal or
 * {{env.NAME}}; 16-256 URL-safe characters) into pc->callback_secret.
 */
void provider_secret_parse(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc);
/* The http backend's `dlr` and `mo` groups (defaults: the simulator's format). */
void provider_http_cb_parse(struct cfgval *cv, const config_setting_t *g, struct http_cb_conf *cb);
void provider_http_cb_free(struct http_cb_conf *cb);
/* The backends' readers (the ops table's dlr and mo). */
int provider_http_dlr(const struct provider_conf *pc, const struct provider_cb_req *r,
		      struct provider_dlr *out, char *err, size_t errlen);
int provider_http_mo(const struct provider_conf *pc, const struct provider_cb_req *r,
		     struct provider_mo *out, char *err, size_t errlen);
int provider_kannel_dlr(const struct provider_conf *pc, const struct provider_cb_req *r,
			struct provider_dlr *out, char *err, size_t errlen);
int provider_kannel_mo(const struct provider_conf *pc, const struct provider_cb_req *r,
		       struct provider_mo *out, char *err, size_t errlen);
/* Read a delivery report / a reply through pc->ops: 0, or -1 with err. */
int provider_dlr_parse(const struct provider_conf *pc, const struct provider_cb_req *r,
		       struct provider_dlr *out, char *err, size_t errlen);
int provider_mo_parse(const struct provider_conf *pc, const struct provider_cb_req *r,
		      struct provider_mo *out, char *err, size_t errlen);

#endif
