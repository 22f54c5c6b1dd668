/*
 * cmd_outbox_show.c - "duban outbox show ID": one message whole - the text
 * as the phone showed it (with the signature), its parts and encoding, to
 * whom, what it was about, its provider, every send attempt, every
 * delivery report and the replies that came back to it - as text for a
 * person or, with --format json, one object with every field.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "core/outbox.h"
#include "base/phone.h"
#include "base/zone.h"

static const char show_help[] = N_(
	"usage: duban outbox show ID [--full] [--format table|json]\n"
	"\n"
	"One message of the outbox whole: the text as the phone showed it (with the\n"
	"signature), its SMS parts and encoding, the person and number it went to\n"
	"(masked unless --full), the task or notice it was about, its status and\n"
	"provider, every send attempt (time, provider, HTTP status, result, error),\n"
	"every delivery report, and the replies the person sent back to it.\n");

/* A time as local "YYYY-MM-DD HH:MM", or JSON null for 0. */
static json_t *
jtime(int64_t t)
{
	char buf[24];
	return t ? json_string(time_fmt_local(t, buf, sizeof(buf))) : json_null();
}

static json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

struct show {
	json_t *arr;   /* json: the array being filled; NULL for text */
	bool full;
};

static int
attempt_fn(void *arg, const struct msg_attempt *a)
{
	struct show *sh = arg;
	char at[24];

	if (sh->arr == NULL) {
		printf("  %s  %-10s ", time_fmt_local(a->at, at, sizeof(at)), a->provider);
		if (a->http_status)
			printf("HTTP %d  ", a->http_status);
		printf("%s  %lld ms%s%s\n", C_("value", a->result), (long long)a->latency_ms,
		       a->error ? "  " : "", a->error ? a->error : "");
		return 0;
	}
	json_t *o = json_pack("{s:o, s:s, s:o, s:s, s:o, s:I}", "at", jtime(a->at), "provider",
			      a->provider, "http_status",
			      a->http_status ? json_integer(a->http_status) : json_null(), "result",
			      a->result, "error", jstr(a->error), "latency_ms",
			      (json_int_t)a->latency_ms);
	return o == NULL || json_array_append_new(sh->arr, o) != 0;
}

static int
report_fn(void *arg, const struct msg_report *r)
{
	struct show *sh = arg;
	char at[24];

	if (sh->arr == NULL) {
		printf("  %s  %-10s %s%s%s\n", time_fmt_local(r->received_at, at, sizeof(at)),
		       r->provider, r->status, r->error ? "  " : "", r->error ? r->error : "");
		return 0;
	}
	json_t *o = json_pack("{s:o, s:s, s:s, s:o}", "received_at", jtime(r->received_at),
			      "provider", r->provider, "status", r->status, "error", jstr(r->error));
	return o == NULL || json_array_append_new(sh->arr, o) != 0;
}

static int
reply_fn(void *arg, const struct inbound *in)
{
	struct show *sh = arg;
	char at[24];

	if (sh->arr == NULL) {
		printf("  %s  #%lld  %s\n", time_fmt_local(in->received_at, at, sizeof(at)),
		       (long long)in->id, in->text);
		return 0;
	}
	json_t *o = json_pack("{s:I, s:o, s:s, s:o, s:s}", "id", (json_int_t)in->id,
			      "received_at", jtime(in->received_at), "text", in->text, "action",
			      jstr(in->action), "status", in->status ? in->status : "");
	return o == NULL || json_array_append_new(sh->arr, o) != 0;
}

/* The text as the phone shows it into out: the signature 【…】 first when there is one. */
static const char *
as_shown(struct cli *c, const struct message *m, char *out, size_t outlen)
{
	if (*c->cfg->signature)
		snprintf(out, outlen, "【%s】%s", c->cfg->signature, m->body);
	else
		snprintf(out, outlen, "%s", m->body);
	return out;
}

static void
show_text(struct cli *c, const struct message *m, const char *phone)
{
	char at[24], text[4096];

	printf(_("message #%lld (%s)\n"), (long long)m->id, C_("value", m->status));
	printf(_("  to:        %s %s\n"), m->person_name ? m->person_name : "", phone);
	printf(_("  kind:      %s"), C_("value", m->kind));
	if (m->task_code)
		printf("  %s", m->task_code);
	else if (m->notice)
		printf("  N%lld", (long long)m->notice);
	if (m->step)
		printf("  %s", m->step);
	putchar('\n');
	if (m->template_name)
		printf(_("  template:  %s\n"), m->template_name);
	printf(_("  queued:    %s\n"), time_fmt_local(m->created_at, at, sizeof(at)));
	if (m->sent_at)
		printf(_("  sent:      %s\n"), time_fmt_local(m->sent_at, at, sizeof(at)));
	if (m->final_at)
		printf(_("  final:     %s\n"), time_fmt_local(m->final_at, at, sizeof(at)));
	if (m->provider)
		printf(_("  provider:  %s %s\n"), m->provider, m->provider_ref ? m->provider_ref : "");
	printf(_("  parts:     %d (%s)\n"), m->parts, m->encoding);
	if (m->last_error)
		printf(_("  error:     %s\n"), m->last_error);
	printf(_("text:\n%s\n"), as_shown(c, m, text, sizeof(text)));
}

/* The message as one JSON object, without its attempts, reports and replies. */
static json_t *
msg_json(struct cli *c, const struct message *m, const char *phone)
{
	char text[4096];

	return json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:i, s:s, "
			 "s:i, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "id", (json_int_t)m->id, "person",
			 m->person ? json_integer(m->person) : json_null(), "name",
			 jstr(m->person_name), "phone", phone, "kind", m->kind, "status", m->status,
			 "task", jstr(m->task_code), "notice",
			 m->notice ? json_integer(m->notice) : json_null(), "step", jstr(m->step),
			 "template", jstr(m->template_name), "text",
			 as_shown(c, m, text, sizeof(text)), "parts", m->parts, "encoding",
			 m->encoding, "attempts_made", m->attempts, "urgent", m->urgent,
			 "created_at", jtime(m->created_at), "send_at", jtime(m->not_before),
			 "sent_at", jtime(m->sent_at), "final_at", jtime(m->final_at), "acked_at",
			 jtime(m->acked_at), "provider", jstr(m->provider), "provider_ref",
			 jstr(m->provider_ref), "error", jstr(m->last_error));
}

/* Print message m (json or text) with its history; a store code. */
static int
show_message(struct cli *c, const struct message *m, bool full)
{
	struct show sh = { .full = full };
	char masked[32];
	const char *phone = full ? m->phone : phone_mask(m->phone, masked, sizeof(masked));
	json_t *o = NULL, *att = NULL, *rep = NULL, *rpl = NULL;
	int rc;

	if (c->fmt != FMT_JSON) {
		show_text(c, m, phone);
		printf(_("attempts:\n"));
		if ((rc = store_msg_attempts(c->st, m->id, attempt_fn, &sh)) != STORE_OK)
			return rc;
		printf(_("delivery reports:\n"));
		if ((rc = store_msg_reports(c->st, m->id, report_fn, &sh)) != STORE_OK)
			return rc;
		printf(_("replies:\n"));
		return store_msg_replies(c->st, m->id, 20, reply_fn, &sh);
	}
	rc = STORE_ERROR;
	if ((o = msg_json(c, m, phone)) == NULL || (att = json_array()) == NULL ||
	    (rep = json_array()) == NULL || (rpl = json_array()) == NULL)
		goto out;
	sh.arr = att;
	if ((rc = store_msg_attempts(c->st, m->id, attempt_fn, &sh)) != STORE_OK)
		goto out;
	sh.arr = rep;
	if ((rc = store_msg_reports(c->st, m->id, report_fn, &sh)) != STORE_OK)
		goto out;
	sh.arr = rpl;
	if ((rc = store_msg_replies(c->st, m->id, 20, reply_fn, &sh)) != STORE_OK)
		goto out;
	json_object_set_new(o, "attempts", att);
	json_object_set_new(o, "reports", rep);
	json_object_set_new(o, "replies", rpl);
	att = rep = rpl = NULL;
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
out:
	json_decref(o);
	json_decref(att);
	json_decref(rep);
	json_decref(rpl);
	return rc;
}

int
cli_outbox_show(struct cli *c, int argc, char **argv)
{
	struct message m = { 0 };
	const char *id_arg = NULL;
	bool full = false;
	int64_t id;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--full") == 0) {
			full = true;
		} else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (cli_format_opt(c, argv[++i], true) != 0)
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			return cli_show_help(show_help, true);
		} else if (id_arg == NULL) {
			id_arg = argv[i];
		} else {
			return cli_err(EXIT_USAGE, _("%s: unexpected argument \"%s\""), "outbox show",
				       argv[i]);
		}
	}
	if (id_arg == NULL || outbox_parse_id(id_arg, &id) != 0)
		return cli_show_help(show_help, false);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_msg_get(c->st, id, &m)) != STORE_OK)
		return cli_store_err(c, rc);
	rc = show_message(c, &m, full);
	message_clear(&m);
	if (rc != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	return EXIT_OK;
}
