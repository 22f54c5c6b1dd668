/*
 * i18n.h - the messages a person reads, through GNU gettext (glibc's
 * libintl).  Wrap every such string in _("...") where it is used, or in
 * N_("...") where it sits in a table and is translated when printed with
 * _(table[i]).  Identifiers a script reads (JSON keys, --format json
 * values, statuses in machine output, exit codes) are never wrapped.
 * The catalogue is po/zh_CN.po, compiled by the Makefile with msgfmt.
 */
#ifndef DUBAN_I18N_H
#define DUBAN_I18N_H

#include <libintl.h>

#define DUBAN_TEXTDOMAIN "duban"

#define _(s)  gettext(s)
#define N_(s) (s)

#endif
