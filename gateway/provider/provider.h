/*
 * provider.h - SMS provider backends behind one table of function pointers
 * (struct provider_ops), chosen by `type` in the configuration: "http" (a
 * generic HTTP API whose URL, method, body, parameters, headers and reply
 * rules are all configuration), "kannel" (Kannel's /cgi-bin/sendsms), and
 * the template providers "aliyun" (Alibaba Cloud dysmsapi) and "tencent"
 * (Tencent Cloud SMS), which carry only approved templates (bindings) and
 * many numbers per request.
 * A backend turns a message into an HTTP request, classifies the reply as
 * accepted, transient, permanent, limited or halted, and reads the delivery reports and
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
#define PROVIDER_URL_MAX    (256 * 1024) /* a request URL, query included (Aliyun: a whole batch) */
#define PROVIDER_BODY_MAX   (64 * 1024) /* a request body */
#define PROVIDER_REPLY_MAX  (64 * 1024) /* a reply body kept for classifying */

/*
 * What became of a request.  ACCEPTED: the provider took the message.
 * TRANSIENT: try again later with backoff.  PERMANENT: this message can
 * never go (a bad number, a blacklisted word).  LIMITED: the provider
 * refuses this number for a while (a per-number frequency window): not a
 * failure and not a hot retry - wait verdict.wait_s.  HALTED: the
 * provider refuses everything (no balance, bad credentials, a signature
 * or template not approved): stop using it at once.
 */
enum provider_result { PROVIDER_ACCEPTED = 0, PROVIDER_TRANSIENT, PROVIDER_PERMANENT,
		       PROVIDER_LIMITED, PROVIDER_HALTED };

/* "accepted" | "transient" | "permanent" | "limited" | "halted" (the
 * attempt table's words). */
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
};

/*
 * One approved template of a template provider (aliyun, tencent), bound to
 * a duban template; parsed by provider.c from
 *     templates = { NAME = { code|id = "..."; text = "..."; params = ...; }; };
 * and checked there: every placeholder of text has exactly one value and
 * every value a placeholder.  The expressions are not checked here (core
 * compiles them against the duban template's kind).
 */
struct provider_binding {
	char *tmpl;        /* duban template name = the key ("reminder") */
	char *code;        /* Aliyun `code` ("SMS_100001") / Tencent `id` ("100001") */
	char *text;        /* approved text with the provider's placeholders (${task} / {1}) */
	size_t nparam;
	char **pname;      /* Aliyun: names as in params = {...}; Tencent: "1".."n" */
	char **pexpr;      /* each value as a duban template expression ("{{task.title}}") */
	long line;         /* line of the binding */
	long *pline;       /* line of each param */
};

/* What a backend gets of a message. */
struct provider_msg {
	int64_t id;
	const char *phone;     /* E.164 */
	const char *text;      /* the body, without signature */
	const char *signature; /* "" for none */
	bool ucs2;             /* the text needs UCS-2 (anything Chinese) */
	/* Template providers: the approved template the message goes out
	 * with (NULL: free text) and its binding->nparam rendered values. */
	const struct provider_binding *binding;
	const char *const *values;
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
	/*
	 * Template providers (ops->templated).  For free-text types these keep
	 * their defaults and the keys are refused.
	 */
	bool templated;              /* == ops->templated: carries only bound templates */
	char *sign_name;             /* 签名: the phone shows 【sign_name】 + text */
	struct provider_binding *bindings;
	size_t nbindings;
	int batch;                   /* most numbers per request; default and ceiling ops->batch_same */
	int max_param;               /* characters per value, default 35 */
	int per_number_hour, per_number_day; /* `limits = {...}`; -1: use the global */
	long halt_retry_ms;          /* one trial request this often while halted; default 600000 */
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
	/* The provider's message id ("" unknown).  Aliyun: "<BizId>:<national
	 * number>" (one BizId per request); Tencent: the number's SerialNo. */
	char ref[PROVIDER_REF_MAX];
	char reason[PROVIDER_REASON_MAX];
	char code[64];                  /* the provider's error code ("isv.MOBILE_NUMBER_ILLEGAL"), "" none */
	long wait_s;                    /* LIMITED: seconds until the window has passed */
	int parts;                      /* billed parts (Tencent Fee), 0 unknown */
	bool drop;                      /* batch refused because of THIS number: retry the others without it */
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
	char phone[64];                   /* the number as the report names it, "" none */
	int parts;                        /* billed parts (Aliyun sms_size), 0 unknown */
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
	/*
	 * Template providers.  templated: the type carries only bound templates
	 * (aliyun, tencent), never free text.  batch_same: numbers per request
	 * when all values are equal (aliyun 1000, tencent 200; 1 otherwise);
	 * batch_distinct: when values differ per number (aliyun 100 with
	 * SendBatchSms, tencent 1).
	 */
	bool templated;
	size_t batch_same;
	size_t batch_distinct;
	/* Build one request for m[0..n-1] (all with the same binding; n <=
	 * batch_same or batch_distinct as their values are equal or not).
	 * 0, or -1 with err.  NULL: one message per request, with build. */
	int (*build_batch)(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
			   struct provider_req *req, char *err, size_t errlen);
	/* Classify the reply to such a request into v[0..n-1] (zeroed by the
	 * caller): a request-level result is written to every v[i], per-number
	 * results (Tencent) to their own row. */
	void (*classify_batch)(const struct provider_conf *pc, const struct provider_msg *m,
			       size_t n, const struct provider_reply *r, struct provider_verdict *v);
	/* The JSON body answering an accepted callback ({"code":0,"msg":"接收成功"}
	 * / {"result":0,"errmsg":"OK"}); NULL: the HTTP server's usual answer. */
	const char *cb_ok;
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

/*
 * The same for a batch m[0..n-1] through ops->build_batch /
 * ops->classify_batch; when the op is NULL and n == 1 they fall back to
 * build / classify (n > 1 without the op: -1 with err / every v[i]
 * permanent).  provider_classify_batch zeroes v[0..n-1] first.
 */
int provider_build_batch(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
			 struct provider_req *req, char *err, size_t errlen);
void provider_classify_batch(const struct provider_conf *pc, const struct provider_msg *m,
			     size_t n, const struct provider_reply *r, struct provider_verdict *v);

/*
 * The class of an error code of a Chinese cloud provider (type "aliyun" or
 * "tencent"; the one table of both is provider_cnerr.c).  message is the
 * provider's message (Aliyun's isv.BUSINESS_LIMIT_CONTROL names its
 * window there); for PROVIDER_LIMITED *wait_s (may be NULL) gets the
 * seconds to wait.  Never PROVIDER_ACCEPTED.
 */
enum provider_result provider_cn_class(const char *type, const char *code, const char *message,
				       long *wait_s);

/* The binding of pc for duban template tmpl, or NULL (pc carries no such
 * template; a free-text provider has none). */
const struct provider_binding *provider_binding_find(const struct provider_conf *pc,
						     const char *tmpl);

/*
 * Whether value may fill a placeholder of pc: valid UTF-8, at most
 * pc->max_param characters, no line break and no URL (the clouds refuse
 * links in variables).  0, or -1 with err naming what is wrong (the
 * caller names the task or notice and the placeholder).
 */
int provider_param_check(const struct provider_conf *pc, const char *value, char *err,
			 size_t errlen);

/*
 * The text the phone shows for binding b with values (b->nparam of them):
 * "【sign_name】" + b->text with each placeholder replaced, appended to out.
 * 0, or -1 when out is full (out restored).
 */
int provider_binding_render(const struct provider_conf *pc, const struct provider_binding *b,
			    const char *const *values, struct buf *out);

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
