/*
 * i18n.h - the messages a person reads, through GNU gettext (glibc's
 * libintl).  Wrap every such string in _("...") where it is used, or in
 * N_("...") where it sits in a table and is translated when printed with
 * _(table[i]).  Identifiers a script reads (JSON keys, --format json
 * values, statuses in machine output, exit codes) are never wrapped.
 * The catalogue is po/zh_CN.po, compiled by the Makefile with msgfmt.
 *
 * Words that are both an identifier and a word a person reads - a table's
 * column ("name"), a status or kind ("overdue", "farmer") - are written
 * once, in English, and marked NC_("column", "name") or NC_("value",
 * "farmer"): JSON prints them as they are, tables and CSV print
 * C_("column", ...) of them.  The context keeps the column "name" apart
 * from any sentence that happens to be "name".
 */
#ifndef DUBAN_I18N_H
#define DUBAN_I18N_H

#include <libintl.h>
#include <stdbool.h>

#define DUBAN_TEXTDOMAIN "duban"

#define _(s)  gettext(s)
#define N_(s) (s)
#define NC_(ctx, s) (s)
#define C_(ctx, s) i18n_pgettext(ctx, s)

/* s translated in context ctx (gettext's msgctxt), or s itself. */
const char *i18n_pgettext(const char *ctx, const char *s);

/*
 * Which language a person reads: language is the configuration's
 * `language` ("zh", "en"; NULL or "" to follow the environment).  Else the
 * first of LC_ALL, LC_MESSAGES, LANG that is set decides (C and POSIX are
 * English, zh... Chinese), then LANGUAGE's first entry; nothing set at
 * all is Chinese, the town's language.  True for Chinese.
 */
bool i18n_want_zh(const char *language);

/*
 * Make gettext speak zh (true) or English, with the catalogues under
 * localedir (LOCALEDIR/zh_CN/LC_MESSAGES/duban.mo).  Works without a
 * generated zh_CN locale: LC_MESSAGES is C.UTF-8 and LANGUAGE picks the
 * catalogue; everything else (numbers, collation) stays in the C locale.
 * May be called again (the configuration's language, once read).
 * Returns 0, or -1 when no UTF-8 locale could be set (English then).
 */
int i18n_setup(bool zh, const char *localedir);

#endif
