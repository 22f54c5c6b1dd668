/*
 * fuzz_config.c - the configuration loader (core/config.c, with the
 * provider list and the http group) and the rules loader (core/rules.c)
 * over any file: each input is written once as duban.cfg and once as a
 * rule set beside the shipped templates, and loaded.  A load either
 * succeeds whole or reports at least one problem.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#include "core/config.h"
#include "core/rules.h"
#include "core/tmpl.h"
#include "base/diag.h"

struct fuzz_dirs {
	char root[64], cfg[128], rules[128], tdir[128], tfile[192], rfile[192];
	struct tmpl_set *tmpls;
};

static struct fuzz_dirs the_dirs;

/* Remove the private folder when the process ends. */
static void
cleanup(void)
{
	struct fuzz_dirs *d = &the_dirs;

	tmpl_set_free(d->tmpls);
	d->tmpls = NULL;
	unlink(d->rfile);
	unlink(d->tfile);
	unlink(d->cfg);
	rmdir(d->tdir);
	rmdir(d->rules);
	rmdir(d->root);
}

/* A private folder with a rules/ subfolder and templates to check against. */
static struct fuzz_dirs *
dirs(void)
{
	static const char reminder[] = "您牵头的“{{task.title}}”将于{{task.deadline|date}}到期。";
	struct fuzz_dirs *d = &the_dirs;
	struct diag diag = { 0 };
	FILE *fp;

	if (d->root[0] != '\0')
		return d;
	snprintf(d->root, sizeof(d->root), "/tmp/duban-fuzz-config.%ld", (long)getpid());
	snprintf(d->cfg, sizeof(d->cfg), "%.64s/duban.cfg", d->root);
	snprintf(d->rules, sizeof(d->rules), "%.64s/rules", d->root);
	snprintf(d->rfile, sizeof(d->rfile), "%.64s/rules/fuzz.cfg", d->root);
	snprintf(d->tdir, sizeof(d->tdir), "%.64s/templates", d->root);
	snprintf(d->tfile, sizeof(d->tfile), "%.64s/templates/reminder.txt", d->root);
	if (mkdir(d->root, 0700) != 0 || mkdir(d->rules, 0700) != 0 || mkdir(d->tdir, 0700) != 0)
		abort();
	atexit(cleanup);
	if ((fp = fopen(d->tfile, "w")) == NULL)
		abort();
	fputs(reminder, fp);
	fclose(fp);
	if (tmpl_set_load_dir(d->tdir, &d->tmpls, &diag) != 0)
		abort();
	return d;
}

static void
put(const char *path, const uint8_t *data, size_t size)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_dirs *d = dirs();
	struct duban_config *cfg = NULL;
	struct rules *r = NULL;
	struct diag diag = { 0 };

	put(d->cfg, data, size);
	if (config_load_file(d->cfg, &cfg, &diag) != 0 && diag.n == 0)
		abort();
	config_free(cfg);
	diag_clear(&diag);

	put(d->rfile, data, size);
	if (rules_load_dir(d->rules, d->tmpls, &r, &diag) != 0 && diag.n == 0)
		abort();
	rules_free(r);
	diag_clear(&diag);
	return 0;
}
