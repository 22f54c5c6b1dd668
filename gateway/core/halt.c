/*
 * halt.c - lifting a provider's halt (see halt.h): one action, for the
 * CLI (duban provider resume) and any front-end to come.
 */
#include "core/halt.h"

#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/i18n.h"
#include "core/config.h"
#include "provider/provider.h"

int
halt_resume(struct duban_ctx *x, const char *name, bool *was)
{
	const struct duban_config *cfg = x->cfg;
	bool found = false, w = false;
	int rc;

	if (was)
		*was = false;
	for (size_t i = 0; i < cfg->nproviders; i++)
		found = found || strcmp(cfg->providers[i].name, name) == 0;
	if (!found) {
		char list[256];
		struct buf b;
		buf_init(&b, sizeof(list));
		for (size_t i = 0; i < cfg->nproviders; i++)
			if (buf_printf(&b, "%s%s", i ? ", " : "", cfg->providers[i].name) != 0)
				break;
		snprintf(list, sizeof(list), "%s", b.data ? b.data : "");
		buf_free(&b);
		return action_refuse(x, ACTION_NOTFOUND, _("no provider \"%s\" is configured (%s)"),
				     name, list[0] ? list : _("none"));
	}
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_provider_resume(x->st, name, time_now(), x->actor, &w)) != STORE_OK)
		return action_abort(x, rc);
	if (was)
		*was = w;
	if (!w) {
		store_rollback(x->st);
		return ACTION_OK;
	}
	return action_commit(x, "provider.resume", name, NULL);
}
