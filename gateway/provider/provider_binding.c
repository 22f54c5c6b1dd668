/*
 * provider_binding.c - the approved templates of the template providers
 * (aliyun, tencent): their bindings to duban templates, the placeholders
 * of an approved text (Aliyun ${name}, Tencent {1}..{n}), and the text the
 * phone shows for a binding and its values.
 */
#include "provider/provider_int.h"
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

void
provider_bindings_free(struct provider_binding *b, size_t n)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < b[i].nparam; j++) {
			free(b[i].pname ? b[i].pname[j] : NULL);
			free(b[i].pexpr ? b[i].pexpr[j] : NULL);
		}
		free(b[i].pname);
		free(b[i].pexpr);
		free(b[i].pline);
		free(b[i].tmpl);
		free(b[i].code);
		free(b[i].text);
	}
	free(b);
}

/*
 * The placeholder at s, if one starts there: its name (not NUL-terminated)
 * in *name / *nlen, and the length of the whole placeholder returned; 0
 * when none starts at s.  positional: Tencent's {N} (N 1-99), else Aliyun's
 * ${name} (name of A-Z a-z 0-9 _).
 */
static size_t
placeholder_at(const char *s, bool positional, const char **name, size_t *nlen)
{
	size_t i;

	if (positional) {
		if (s[0] != '{' || s[1] < '1' || s[1] > '9')
			return 0;
		for (i = 1; s[i] >= '0' && s[i] <= '9' && i < 3; i++)
			;
		if (s[i] != '}')
			return 0;
		*name = s + 1;
		*nlen = i - 1;
		return i + 1;
	}
	if (s[0] != '$' || s[1] != '{')
		return 0;
	for (i = 2; (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
	     i++)
		;
	if (s[i] != '}' || i == 2)
		return 0;
	*name = s + 2;
	*nlen = i - 2;
	return i + 1;
}

/* Tencent numbers its placeholders; every other template type names them. */
static bool
type_positional(const struct provider_conf *pc)
{
	return pc->ops != NULL && strcmp(pc->ops->type, "tencent") == 0;
}

/* The index of parameter name[0..nlen) of b, or -1. */
static long
param_index(const struct provider_binding *b, const char *name, size_t nlen)
{
	for (size_t i = 0; i < b->nparam; i++)
		if (strlen(b->pname[i]) == nlen && memcmp(b->pname[i], name, nlen) == 0)
			return (long)i;
	return -1;
}

int
provider_binding_render(const struct provider_conf *pc, const struct provider_binding *b,
			const char *const *values, struct buf *out)
{
	bool positional = type_positional(pc);
	size_t start = out->len;
	const char *p = b->text, *lit = p;

	if (buf_adds(out, "【") != 0 || buf_adds(out, pc->sign_name ? pc->sign_name : "") != 0 ||
	    buf_adds(out, "】") != 0)
		goto full;
	while (*p) {
		const char *name;
		size_t nlen, len = placeholder_at(p, positional, &name, &nlen);
		long k = len ? param_index(b, name, nlen) : -1;

		if (k < 0) {
			p++;
			continue;
		}
		if (buf_add(out, lit, (size_t)(p - lit)) != 0 || buf_adds(out, values[k]) != 0)
			goto full;
		p += len;
		lit = p;
	}
	if (buf_add(out, lit, (size_t)(p - lit)) != 0)
		goto full;
	return 0;
full:
	buf_truncate(out, start);
	return -1;
}
