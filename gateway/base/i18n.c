/*
 * i18n.c - choosing the language and pointing gettext at duban's
 * catalogue.  The choice is made here from the configuration and the
 * environment, then forced through LANGUAGE, so that a machine without
 * a generated zh_CN locale (a minimal Debian) still speaks Chinese: glibc
 * honours LANGUAGE whenever LC_MESSAGES is anything but "C", and C.UTF-8
 * is built into glibc.
 */
#include "base/i18n.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
i18n_pgettext(const char *ctx, const char *s)
{
	char key[256];
	const char *t;
	int n = snprintf(key, sizeof(key), "%s\004%s", ctx, s);

	if (n < 0 || (size_t)n >= sizeof(key))
		return s;
	t = gettext(key);
	return t == key ? s : t;
}

/* Is the locale name v Chinese (zh, zh_CN.UTF-8, zh_CN.GB18030 ...)? */
static bool
is_zh(const char *v)
{
	return v[0] == 'z' && v[1] == 'h' && (v[2] == '\0' || v[2] == '_' || v[2] == '.' ||
					      v[2] == '@' || v[2] == ':');
}

bool
i18n_want_zh(const char *language)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *v, *l;

	if (language && *language)
		return is_zh(language);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if ((v = getenv(vars[i])) == NULL || *v == '\0')
			continue;
		if (strcmp(v, "C") == 0 || strncmp(v, "C.", 2) == 0 || strcmp(v, "POSIX") == 0)
			return false;
		if ((l = getenv("LANGUAGE")) != NULL && *l)
			return is_zh(l);
		return is_zh(v);
	}
	return true;
}

int
i18n_setup(bool zh, const char *localedir)
{
	int rc = 0;

	/* LANGUAGE "en": no catalogue, so the English msgids are printed. */
	setenv("LANGUAGE", zh ? "zh_CN" : "en", 1);
	if (setlocale(LC_MESSAGES, "C.UTF-8") == NULL && setlocale(LC_MESSAGES, "") == NULL)
		rc = -1;
	bindtextdomain(DUBAN_TEXTDOMAIN, localedir);
	bind_textdomain_codeset(DUBAN_TEXTDOMAIN, "UTF-8");
	/* strerror() and the like: glibc's own catalogue, in UTF-8 too (else "???"). */
	bind_textdomain_codeset("libc", "UTF-8");
	textdomain(DUBAN_TEXTDOMAIN);
	return rc;
}
