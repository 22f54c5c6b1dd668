/*
 * route.h - which configured provider can carry a message, and what it
 * sends there.  A free-text provider (http, kannel) carries any message;
 * a provider that takes only approved templates (aliyun, tencent) carries
 * a message whose duban template it has a binding for, and nothing else.
 * A message no provider can carry is refused when it is queued, with the
 * reason.  For every template provider that can carry it, the binding's
 * values are rendered from the message's own values (task, person,
 * notice) when it is queued, and each is checked against the provider's
 * limit (max_param characters, no link, no line break): what is stored is what
 * is sent, on the first try and after failover alike.
 *
 * The values are stored on the row as canonical JSON (the params column;
 * store_schema.c describes its form); route_send_prepare reads them back
 * for the dispatcher.
 */
#ifndef DUBAN_ROUTE_H
#define DUBAN_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/sms.h"
#include "core/config.h"
#include "core/sched.h"
#include "core/tmpl.h"

struct provider_conf;
struct provider_binding;

/*
 * Check every binding of every template provider of cfg against the
 * templates of ts: the duban template exists, and each value is a valid
 * template expression using only what a message of that template has
 * (tmpl_allows).  Every problem goes to diag as FILE:LINE (the binding's
 * or the value's line in cfg->path).  Returns 0, or -1 when there was any.
 */
int route_check(const struct duban_config *cfg, const struct tmpl_set *ts, struct diag *diag);

/* The bindings of one duban template (or of a free text), compiled. */
struct route;

/*
 * The route of messages of template t (NULL: a free text) under cfg: the
 * providers able to carry them, in the configured order, with their
 * bindings' values compiled.  With no provider configured at all, every
 * message is free text as before (nothing can send it yet; the daemon
 * refuses to start).  Returns 0 and a new route in *out (route_free), or
 * -1 with err saying why no provider can carry such a message (naming
 * the template and its kind, or saying it is a free text).
 */
int route_open(const struct duban_config *cfg, const struct tmpl *t, struct route **out,
	       char *err, size_t errlen);
void route_free(struct route *r);
/* True when some provider's values differ per person (a value uses person.*). */
bool route_personal(const struct route *r);
/* True when some template provider can carry the messages (they get params). */
bool route_templated(const struct route *r);
/*
 * Whether cfg can send a free text at all: no provider is configured, or
 * one of them is not a template provider.  Digests and the answers to
 * replies are free texts duban composes; with template providers alone
 * they cannot go out (reminders then go one by one, replies unanswered).
 */
bool route_free_text_ok(const struct duban_config *cfg);

/* What a message sends, as route_render worked it out. */
struct route_out {
	char *params;              /* canonical JSON, or NULL: no template provider (malloc'd) */
	char *body;                /* the first provider's text, without its signature (malloc'd) */
	const char *signature;     /* the signature that text goes out with (not owned) */
	struct sms_info info;      /* of body with that signature */
	const char *provider;      /* the first provider's name; NULL when none is configured */
};
void route_out_clear(struct route_out *o);

/*
 * Render a message of route r: text is duban's own text (the free text,
 * or its template rendered by the caller), mv the values its bindings
 * read.  For every template provider, its values (each at most its
 * max_param characters, nothing provider_param_check refuses) and the text the
 * phone shows; body, signature and info are those of the first provider
 * able to carry it, and each shown text is checked against max_parts.
 * what names the message in errors ("task T3", "notice N4").  Returns 0
 * with out filled (the caller clears it), or -1 with err naming what,
 * the provider and the placeholder at fault (and out empty).
 */
int route_render(const struct route *r, const struct msg_vars *mv, const char *text,
		 unsigned max_parts, const char *what, struct route_out *out, char *err,
		 size_t errlen);

/* ---- for the dispatcher: what a stored row sends through one provider ---------- */

struct route_send {
	const struct provider_binding *binding; /* a template provider's; NULL: free text */
	const char *const *values;              /* binding->nparam values (owned by the struct) */
	const char *text;                       /* a free-text provider's text (body, or params' "*") */
	char **own;                             /* (the values' storage) */
	size_t nown;
	char *own_text;
};

/*
 * Can provider pc carry a stored message (template_name NULL for a free
 * text, params and body as stored), and with what: a free-text provider
 * carries any message, with params' "*" text when there is one, else
 * body; a template provider one whose params hold its values for a
 * binding it still has, with the same number of values.  Returns 0 with
 * out filled (route_send_clear), or -1 when pc cannot carry it (out
 * empty; err says why when not NULL).
 */
int route_send_prepare(const struct provider_conf *pc, const char *template_name,
		       const char *params, const char *body, struct route_send *out, char *err,
		       size_t errlen);
void route_send_clear(struct route_send *s);
/* route_send_prepare without the result: can pc carry the message? */
bool route_can_carry(const struct provider_conf *pc, const char *template_name,
		     const char *params);

/* The binding of pc for duban template name, or NULL. */
const struct provider_binding *route_binding(const struct provider_conf *pc, const char *name);

#endif
