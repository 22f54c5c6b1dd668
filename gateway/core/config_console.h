/*
 * config_console.h - the `console` group of the configuration: where the
 * staff console's static files are, how long a console session lasts
 * (idle and absolute), and whether a proxy in front of duban is trusted
 * to say the browser used HTTPS (X-Forwarded-Proto) and who the client is
 * (X-Forwarded-For).
 */
#ifndef DUBAN_CONFIG_CONSOLE_H
#define DUBAN_CONFIG_CONSOLE_H

#include <libconfig.h>
#include <stddef.h>

#include "base/cfgval.h"
#include "core/config.h"

#define CONSOLE_IDLE_DEFAULT (30L * 60)       /* 30 minutes */
#define CONSOLE_MAX_DEFAULT (12L * 3600)      /* 12 hours */
#define CONSOLE_INSTALLED_ROOT "/usr/share/duban/web"

/* The defaults: web root found at run time, idle 30 min, absolute 12 h, no proxy. */
void console_conf_defaults(struct console_conf *cc);
/* Check and store the `console` group g (paths relative to dir, the config's folder). */
void console_conf_parse(struct cfgval *cv, const config_setting_t *g, struct console_conf *cc,
			const char *dir);
/* Free what cc holds, not cc. */
void console_conf_free(struct console_conf *cc);
/*
 * The folder the console is served from into out: console.web_root when
 * set; else the first that holds index.html of web/ beside the
 * configuration file, web/ one folder up from it (etc/duban.cfg of a
 * checkout), ./web without a configuration file, and
 * CONSOLE_INSTALLED_ROOT.  0, or -1 when none holds it (out: the last
 * tried).
 */
int console_web_root(const struct duban_config *cfg, char *out, size_t outlen);

#endif
