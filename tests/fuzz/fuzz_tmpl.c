/*
 * fuzz_tmpl.c - message templates (core/tmpl.c): any text parsed as a
 * template, and what parses rendered against a table of every kind of
 * value, into a bounded buffer.
 */
#include "fuzz.h"

#include "core/tmpl.h"
#include "base/diag.h"
#include "base/buf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tmpl_kv kv[] = {
		{ "task.title", { TMPL_STR, "梅岙塘农田改造工程", 0, 0 } },
		{ "task.code", { TMPL_STR, "T1", 0, 0 } },
		{ "task.deadline", { TMPL_TIME, NULL, 0, 1230739140 } },
		{ "task.days_left", { TMPL_INT, NULL, 3, 0 } },
		{ "person.name", { TMPL_STR, "邵长发", 0, 0 } },
		{ "var.contact", { TMPL_STR, "13800138000", 0, 0 } },
	};
	struct tmpl_table tab = { kv, sizeof(kv) / sizeof(kv[0]) };
	char *text = fuzz_cstr(data, size);
	struct tmpl *t = NULL;
	struct diag d = { 0 };
	char err[512];

	if (tmpl_parse("fuzz", "fuzz.txt", text, &t, &d) == 0) {
		struct buf out;

		buf_init(&out, 4096);
		tmpl_render(t, tmpl_lookup_table, &tab, &out, err, sizeof(err));
		if (out.len > 4096)
			abort();
		buf_free(&out);
		tmpl_free(t);
	}
	diag_clear(&d);
	free(text);
	return 0;
}
