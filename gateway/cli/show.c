/*
 * show.c - the whole of a show command in JSON: the row the table holds,
 * and what belongs to it - a task's people (with their roles) and its
 * messages, a person's tasks and their recent messages - so that a script
 * reads everything the text shows.
 */
#include <jansson.h>
#include <stdio.h>

#include "cli/cli.h"
#include "base/zone.h"

#define RECENT_MESSAGES 20

static json_t *
jtime(int64_t t)
{
	char buf[24];
	return t ? json_string(time_fmt_local(t, buf, sizeof(buf))) : json_null();
}

static int
person_fn(void *arg, const struct person *p, const char *role)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "role", role, "id",
			      (json_int_t)p->id, "name", p->name, "phone", p->phone, "org", p->org,
			      "title", p->title);
	return o == NULL || json_array_append_new(arg, o) != 0;
}

static int
message_fn(void *arg, const struct message *m)
{
	json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:o, s:s, s:i, s:s}", "id", (json_int_t)m->id,
			      "send_at", jtime(m->not_before), "kind", m->kind, "status", m->status,
			      "name", m->person_name ? json_string(m->person_name) : json_null(),
			      "phone", m->phone, "parts", m->parts, "text", m->body);
	return o == NULL || json_array_append_new(arg, o) != 0;
}

static int
task_fn(void *arg, const struct task *t)
{
	json_t *o = json_pack("{s:s, s:s, s:o, s:s}", "code", t->code, "title", t->title,
			      "deadline", jtime(t->deadline), "status", t->status);
	return o == NULL || json_array_append_new(arg, o) != 0;
}

/* Add to o the arrays of k: a task's "people" and "messages", a person's "tasks" and "messages". */
static int
add_parts(struct cli *c, json_t *o, enum show_kind k, int64_t id)
{
	json_t *a = json_array(), *msgs = json_array();
	struct msg_filter mf = { 0 };
	int rc = STORE_ERROR;

	if (a == NULL || msgs == NULL)
		goto out;
	if (k == SHOW_TASK) {
		mf.task = id;
		rc = store_task_people(c->st, id, person_fn, a);
	} else {
		struct task_filter tf = { .person = id };
		mf.person = id;
		mf.limit = RECENT_MESSAGES;
		mf.newest = true;
		rc = store_task_each(c->st, &tf, task_fn, a);
	}
	if (rc == STORE_OK)
		rc = store_msg_each(c->st, &mf, message_fn, msgs);
	if (rc != STORE_OK)
		goto out;
	json_object_set_new(o, k == SHOW_TASK ? "people" : "tasks", a);
	json_object_set_new(o, "messages", msgs);
	return STORE_OK;
out:
	json_decref(a);
	json_decref(msgs);
	return rc;
}

int
cli_print_show(struct cli *c, struct table *tb, enum show_kind k, int64_t id)
{
	json_t *arr;
	int rc;

	if (c->fmt != FMT_JSON)
		return table_print(tb, c->fmt, stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	if ((arr = table_json(tb)) == NULL)
		return cli_err(EXIT_FAIL, "%s", "out of memory");
	rc = json_array_size(arr) ? add_parts(c, json_array_get(arr, 0), k, id) : STORE_OK;
	if (rc == STORE_OK)
		json_print(arr, stdout);
	json_decref(arr);
	if (rc != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	return EXIT_OK;
}
