/*
 * notice.h - policy notices (政策通知): who gets one (the union of group,
 * person, organisation and kind selectors, each person once, people who
 * opted out left out and counted), what it says (a text, or a template
 * whose every variable is supplied before anything is queued), what it
 * costs (encoding, parts per message, total parts), and queuing it to
 * every recipient at bulk priority without holding the audience in memory.
 */
#ifndef DUBAN_NOTICE_H
#define DUBAN_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sms.h"
#include "store/store.h"
#include "core/tmpl.h"

#define NOTICE_SELECTORS_MAX 64
#define NOTICE_VARS_MAX 32
#define NOTICE_BODY_MAX 2048

/*
 * A notice's audience as parsed selectors ("group:NAME", "person:WHO",
 * "org:NAME", "kind:KIND").  Owns its strings; free with
 * notice_audience_free.  A person is kept by id, so the audience stays
 * the same people whatever their name becomes.
 */
struct notice_audience {
	char *group[NOTICE_SELECTORS_MAX];
	size_t ngroup;
	int64_t person[NOTICE_SELECTORS_MAX];
	size_t nperson;
	char *org[NOTICE_SELECTORS_MAX];
	size_t norg;
	char *kind[NOTICE_SELECTORS_MAX];
	size_t nkind;
};

/*
 * Add one selector.  group: the group must exist; person: WHO is a phone
 * number, a name only one person has, or #ID; kind: official, farmer,
 * enterprise or other.  With nonempty, a selector that selects nobody is
 * refused (a typo sends nothing to nobody).  A selector repeated is kept
 * once.  Returns 0, or a negative STORE_* code with err naming the
 * selector: STORE_INVALID (bad form, too many), STORE_NOTFOUND,
 * STORE_AMBIGUOUS, STORE_ERROR.
 */
int notice_audience_add(struct notice_audience *a, struct store *st, const char *selector,
			bool nonempty, char *err, size_t errlen);
/*
 * The audience as text, one canonical selector per line ("person:#12"),
 * for the notice's record; parse it back with notice_audience_add per
 * line.  Returns a malloc'd string (the caller frees) or NULL.
 */
char *notice_audience_text(const struct notice_audience *a);
/* Add every line of text (as written by notice_audience_text); as notice_audience_add. */
int notice_audience_parse(struct notice_audience *a, struct store *st, const char *text,
			  char *err, size_t errlen);
/* A view of a for the store (borrowing a's strings). */
void notice_audience_view(const struct notice_audience *a, struct audience *out);
bool notice_audience_is_empty(const struct notice_audience *a);
/* Free the strings, not the struct; a is empty afterwards.  NULL is fine. */
void notice_audience_free(struct notice_audience *a);

/*
 * What a notice says.  Either text (sent as written) or tmpl (rendered
 * with vars "key=value" for {{var.key}}, title for {{notice.title}} and,
 * per recipient, {{person.name}} / {{person.title}}).  Nothing is owned.
 */
struct notice_content {
	const char *text;
	const struct tmpl *tmpl;
	const char *title;
	char *const *vars;
	size_t nvars;
	const char *signature;
	unsigned max_parts;
	int64_t now;
};

/*
 * Check that the content can be sent to anybody: a non-empty valid UTF-8
 * text, or a template that uses no task variables, gets every var.* it
 * uses from vars, and a title when it uses notice.title.  Returns 0, or -1
 * with err listing what is missing.
 */
int notice_check(const struct notice_content *nc, char *err, size_t errlen);
/* True if the content differs per recipient (a template using person.*). */
bool notice_is_personal(const struct notice_content *nc);

/* What a notice will send and cost. */
struct notice_plan {
	int64_t recipients;          /* selected and not opted out */
	int64_t opted_out;           /* selected but left out: opted out */
	int64_t total_parts;         /* SMS parts over all recipients */
	unsigned parts_min, parts_max; /* parts per message */
	enum sms_encoding encoding;  /* of the sample */
	size_t chars;                /* of the sample, with the signature */
	bool mixed_encoding;         /* personal texts differ in encoding */
	bool personal;
	char *text;                  /* the text, or the first recipient's (malloc'd) */
	char *text_for;              /* whose the sample is (malloc'd); NULL when shared */
};
void notice_plan_clear(struct notice_plan *p);

/*
 * Work out what sending nc to a would do: count the audience and measure
 * the text (a personal text is rendered for every recipient, streaming).
 * A message over nc->max_parts parts is refused, naming its recipient.
 * Reads only.  Returns 0, or a negative STORE_* code with err (an invalid
 * text is STORE_INVALID).
 */
int notice_plan(struct store *st, const struct notice_audience *a,
		const struct notice_content *nc, struct notice_plan *out, char *err,
		size_t errlen);

/*
 * Queue notice id to everyone a selects who has not opted out: kind
 * notice, bulk priority (PRIO_NOTICE), not before not_before, dedupe key
 * "n:ID:PERSON".  A shared text goes in one INSERT ... SELECT; a personal
 * one is rendered per person while the audience streams by.  template_name
 * (may be NULL) is recorded on each row.  Call inside a transaction (the
 * caller rolls back on error).  *queued counts the rows.  Returns 0 or a
 * negative STORE_* code with err.
 */
int notice_queue(struct store *st, int64_t id, const struct notice_audience *a,
		 const struct notice_content *nc, const struct notice_plan *plan,
		 const char *template_name, int64_t not_before, int64_t *queued, char *err,
		 size_t errlen);

/*
 * Parse a notice reference: "N12", "n12", "#12" or "12".  Returns 0 and
 * the id, or -1.
 */
int notice_parse_id(const char *s, int64_t *id);

#endif
