/*
 * provider.h - SMS provider backends behind one table of function pointers
 * (struct provider_ops), chosen by `type` in the configuration: "http" (a
 * generic HTTP API whose URL, method, body, parameters, headers and reply
 * rules are all configuration) and "kannel" (Kannel's /cgi-bin/sendsms).
 * A backend turns a message into an HTTP request, classifies the reply as
 * accepted, transient or permanent, and reads the delivery reports and
 * replies its provider posts back; the dispatcher does the sending and the
 * HTTP server the listening.  Everything a backend needs is parsed and
 * checked when the configuration is loaded (templates, regular
 * expressions, {{env.NAME}} secrets), so building a request never meets a
 * configuration error.  Secrets resolved from the environment live in the
 * configuration only and are never logged.
 *
 * Adding a backend
 *
 * A backend is one file, gateway/provider/provider_TYPE.c, and one line in
 * provider.c.  provider_kannel.c is the small example to copy.
 *
 *  1. In provider_TYPE.c, list the keys the type adds to a provider group
 *     (NULL-terminated).  The common keys - name, type, url, rate, burst,
 *     concurrency, timeout_ms, connect_timeout_ms, retries, breaker,
 *     callback_secret - are provider.c's: it checks them into struct
 *     provider_conf before the backend's parse runs, and refuses any key
 *     that is neither common nor in the list.
 *  2. Define the struct of the type's own settings in the .c file only.
 *     Its parse allocates it into pc->backend and checks every key of the
 *     list, reporting each problem with cfgval_error (so it reads
 *     FILE:LINE: ...); its free frees it, pc->backend NULL included.
 *  3. Write build (the request for one message: expand pc->url, then the
 *     parameters, body and headers, into the bounded buffers of struct
 *     provider_req; a backend that signs its requests signs here, where it
 *     has all of it) and classify (a reply into a struct provider_verdict:
 *     result, provider_fault for a 5xx, the provider's message id, a
 *     reason).  If the provider posts delivery reports or replies to
 *     /callbacks/dlr/NAME or /callbacks/mo/NAME, write dlr and mo, reading
 *     fields with provider_cb_get; else leave them NULL.  The helpers are
 *     here: ptmpl_parse and ptmpl_expand for values that are templates or
 *     {{env.NAME}} secrets, provider_url_escape, provider_json_escape,
 *     provider_json_get, provider_excerpt, provider_msg_ref.
 *  4. Keep all of it static but the table itself,
 *         const struct provider_ops provider_TYPE_ops = { .type = "TYPE", ... };
 *  5. Add X(TYPE) to PROVIDER_BACKENDS in provider.c.
 *
 * Nothing else changes: the Makefile builds every .c file of gateway/, a
 * bad `type` is answered with the registry's list of types, and no file
 * outside provider/ names a backend or looks inside pc->backend.  Test the
 * new type in tests/unit/test_provider.c (the exact request for a message,
 * the classification of its provider's replies, configuration errors with
 * their line) and document its keys in etc/duban.cfg.
 */
#ifndef DUBAN_PROVIDER_H
#define DUBAN_PROVIDER_H

#include <libconfig.h>
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
	bool secret; /* uses {{env.NAME}}: never log the expansion */
	bool missing; /* an {{env.NAME}} was not set (deferred: provider_defer_secrets) */
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

/*
 * Secrets only for what sends.  Between provider_defer_secrets(d) and
 * provider_defer_secrets(NULL), on the calling thread, an {{env.NAME}}
 * that is not set is not an error of the parse: its FILE:LINE message
 * goes to d, and the template gets a placeholder and `missing` set (a
 * backend that checks a secret's value skips a missing one).  The
 * configuration then loads, and the commands that send refuse to start
 * with d's messages (config_need_secrets).  Outside, it is an error.
 */
void provider_defer_secrets(struct diag *d);

/* ---- the configuration of a provider ------------------------------------ */

enum jitter { JITTER_FULL, JITTER_EQUAL };

/* How a transient failure is retried: at most max retries after the first
 * attempt, waiting base_ms * 2^(n-1) capped at max_ms, with jitter. */
struct retry_policy {
	int max;
	long base_ms, max_ms;
	enum jitter jitter;
};

struct provider_ops;

/* A provider as configured: the common keys, and its backend's own. */
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
	char *callback_secret;       /* authenticates its callbacks; NULL: refused */
	/* The type's own settings, a struct only its backend's file knows:
	 * made by ops->parse, freed by ops->free. */
	void *backend;
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

/* ---- callbacks: delivery reports and replies -------------------------------- */

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

/*
 * A backend.  Sending, retries, rate limits and the circuit breaker are
 * the dispatcher's, listening and authenticating callbacks the HTTP
 * server's; a backend only translates.  build, classify, dlr and mo see
 * only a configuration whose parse reported nothing.
 */
struct provider_ops {
	const char *type;        /* the `type` that chooses it */
	const char *const *keys; /* NULL-terminated: the keys it adds to a provider group */
	/*
	 * Check the type's keys of group g and keep their values in a new
	 * struct of the backend's own at pc->backend (the common keys are in
	 * pc already).  Every problem goes to cv with its line; the
	 * configuration is refused if there is any.  free is called either way.
	 */
	void (*parse)(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc);
	/* Build the request for m into req (reset by the caller).  0, or -1 with
	 * err (the message cannot be expressed: too long for the buffers). */
	int (*build)(const struct provider_conf *pc, const struct provider_msg *m,
		     struct provider_req *req, char *err, size_t errlen);
	/* Classify a reply that arrived into v (zeroed by the caller); transport
	 * errors never get here. */
	void (*classify)(const struct provider_conf *pc, const struct provider_msg *m,
			 const struct provider_reply *r, struct provider_verdict *v);
	/* Free pc->backend and set it to NULL; a NULL pc->backend is fine. */
	void (*free)(struct provider_conf *pc);
	/* Read a delivery report / a reply from request r into out (zeroed by
	 * the caller): 0, or -1 with err naming the field at fault (see
	 * provider_cb_get).  NULL: the type has none. */
	int (*dlr)(const struct provider_conf *pc, const struct provider_cb_req *r,
		   struct provider_dlr *out, char *err, size_t errlen);
	int (*mo)(const struct provider_conf *pc, const struct provider_cb_req *r,
		  struct provider_mo *out, char *err, size_t errlen);
};

/*
 * Parse and validate the `providers = ( {...}, ... )` list: every problem
 * goes to cv as FILE:LINE: message.  Returns 0 with a new array in *out (n
 * entries; free with provider_conf_free), or -1 (nothing allocated).
 */
int provider_parse_list(struct cfgval *cv, const config_setting_t *list,
			struct provider_conf **out, size_t *n);
/* Free an array of n providers (NULL is fine). */
void provider_conf_free(struct provider_conf *p, size_t n);

/* ---- helpers the backends share ------------------------------------------- */

/*
 * Parse a template string s written at setting at.  allow_msg: per-message
 * variables ({{phone}}, {{text}} ...) are allowed, else only {{env.NAME}}.
 * A missing environment variable or an unknown variable is reported with
 * the line.  Returns 0 or -1 (reported; *t left empty).
 */
int ptmpl_parse(struct cfgval *cv, const config_setting_t *at, const char *what, const char *s,
		bool allow_msg, struct ptmpl *t);
/* Free the pieces of t and empty it (NULL is fine). */
void ptmpl_free(struct ptmpl *t);
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

/* Build a request / classify a reply through pc->ops (provider_classify
 * zeroes v first); what they return is the backend's build / classify. */
int provider_build(const struct provider_conf *pc, const struct provider_msg *m,
		   struct provider_req *req, char *err, size_t errlen);
void provider_classify(const struct provider_conf *pc, const struct provider_msg *m,
		       const struct provider_reply *r, struct provider_verdict *v);

/* ---- callbacks: what the backends' readers share ------------------------------ */

/* How a field of a callback must be, for provider_cb_get. */
enum provider_cb_need {
	PROVIDER_CB_OPTIONAL, /* "" when absent */
	PROVIDER_CB_PRESENT,  /* present, but may be empty (a reply's text) */
	PROVIDER_CB_REQUIRED, /* present and not empty */
};

/*
 * Read field name of callback request r into out (outlen bytes), as need
 * says.  Returns 0, or -1 with err naming the field ("field \"ref\" is
 * missing..."; the HTTP server answers with that field).  With
 * PROVIDER_CB_OPTIONAL it never fails: out is "" when the field is absent.
 */
int provider_cb_get(const struct provider_cb_req *r, const char *name, enum provider_cb_need need,
		    char *out, size_t outlen, char *err, size_t errlen);

/* Read a delivery report / a reply through pc->ops: 0, or -1 with err. */
int provider_dlr_parse(const struct provider_conf *pc, const struct provider_cb_req *r,
		       struct provider_dlr *out, char *err, size_t errlen);
int provider_mo_parse(const struct provider_conf *pc, const struct provider_cb_req *r,
		      struct provider_mo *out, char *err, size_t errlen);

#endif
