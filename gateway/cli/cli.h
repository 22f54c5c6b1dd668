/*
 * cli.h - what the command implementations (cmd_*.c) share: the parsed
 * global options, the loaded configuration, lazy opening of the database,
 * how a command reports errors (main.c), how it reads its arguments
 * (args.c), the front-end of the two imports (import_csv.c) and output
 * formats (output.c).
 *
 * Exit codes: 0 success, 1 failure at run time, 2 bad usage or bad input.
 */
#ifndef DUBAN_CLI_H
#define DUBAN_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"
#include "store/store.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

enum out_format { FMT_TABLE, FMT_CSV, FMT_JSON };

struct cli {
	const char *config_path;     /* -c FILE, or NULL */
	struct duban_config *cfg;    /* loaded before any command runs */
	struct store *st;            /* opened by cli_store() */
	enum out_format fmt;         /* --format (global or per command) */
	const char *actor;           /* who is acting, for the audit log */
	struct tmpl_set *tmpls;      /* templates_dir, loaded and checked at start */
	struct rules *rules;         /* rules_dir, loaded and checked at start */
};

struct tmpl_set;
struct rules;

struct cli_cmd {
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv);
	const char *summary;
};

/* Open the database (it must exist and be current).  NULL after printing why. */
struct store *cli_store(struct cli *c);
/*
 * The context the actions of core/ take, over c's database (opened here
 * with cli_store when it is not open yet), configuration, rules, templates
 * and actor.  0, or -1 after printing why the database did not open (the
 * command then exits EXIT_FAIL).
 */
struct duban_ctx;
int cli_ctx(struct cli *c, struct duban_ctx *x);
/* Print "duban: msg" on stderr; returns code, so callers can `return cli_err(...)`. */
int cli_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Run a subcommand from a table: argv[0] is the group ("person"), argv[1]
 * the subcommand.  Unknown or missing subcommands print the group help.
 */
int cli_dispatch(struct cli *c, int argc, char **argv, const struct cli_cmd *cmds,
		 const char *group_help);
/* Exit code for a store result: NOTFOUND/AMBIGUOUS/EXISTS/INVALID → 2, else 1. */
int cli_store_exit(int rc);
/*
 * A store call on c->st returned rc (not STORE_OK): print the store's
 * message and return the exit code for rc (cli_store_exit).
 */
int cli_store_err(struct cli *c, int rc);
/*
 * An action of core/ refused with rc (not ACTION_OK): print its sentence
 * (x->err) and return the exit code for rc (cli_store_exit: the action
 * codes are the store's).
 */
int cli_action_err(const struct duban_ctx *x, int rc);

/* ---- arguments (args.c) -------------------------------------------------- */

/* Parse "table|csv|json"; 0 or -1. */
int cli_parse_format(const char *s, enum out_format *out);
/*
 * Set c->fmt from the value of a --format option; 0, or -1 after printing
 * "--format must be table, csv or json" (the command then exits
 * EXIT_USAGE).  name_it adds the refused value (..., not "xml"), as the
 * person and group commands have always said it.
 */
int cli_format_opt(struct cli *c, const char *arg, bool name_it);
/* True if an argument before any "--" is -h/--help; prints help first. */
bool cli_want_help(int argc, char **argv, const char *help);
/*
 * Print a command's help and return its exit code: on stdout and EXIT_OK
 * when asked for it (-h, --help), on stderr and EXIT_USAGE when it is shown
 * because the arguments were wrong.
 */
int cli_show_help(const char *help, bool asked);
/*
 * Read the arguments of a list or show command by hand, in order:
 * "--format F" (cli_format_opt, with name_it), -h/--help, and one operand
 * into *operand (NULL when there is none; pass operand NULL for a command
 * that takes none).  Anything more is refused as "CMD: unexpected argument"
 * (cmd: "task show").  Returns 0, or -1 with *code the exit code after
 * printing the help or why.
 */
int cli_format_args(struct cli *c, int argc, char **argv, const char *cmd, const char *help,
		    bool name_it, const char **operand, int *code);

/* Command groups (one file each). */
int cmd_person(struct cli *c, int argc, char **argv);
int cmd_group(struct cli *c, int argc, char **argv);
/* People as a result table (cmd_person.c; "group show" lists its members with it). */
struct person;
struct table *cli_person_table(void);
/* Add p to the table arg; 0 or -1 (table_add). */
int cli_person_row(void *arg, const struct person *p);
int cmd_task(struct cli *c, int argc, char **argv);
int cmd_tick(struct cli *c, int argc, char **argv);
int cmd_calendar(struct cli *c, int argc, char **argv);
/* config check's calendar warnings (on stderr): how many were printed. */
int cli_calendar_check(struct cli *c);
int cmd_outbox(struct cli *c, int argc, char **argv);
/* "duban outbox show ID" (cmd_outbox_show.c). */
int cli_outbox_show(struct cli *c, int argc, char **argv);
int cmd_template(struct cli *c, int argc, char **argv);
/* Notices and reports (cmd_notice.c, cmd_report.c). */
int cmd_notice(struct cli *c, int argc, char **argv);
int cmd_report(struct cli *c, int argc, char **argv);
/*
 * The people of a notice's dry run (cmd_notice_people.c): those the
 * selectors to reach and those left out, with why, in c->fmt.  Returns the
 * exit code.
 */
int cli_notice_dry_people(struct cli *c, const char *const *to, size_t nto);
/* Manual messages, the dispatcher and the daemon (cmd_send.c, cmd_dispatch.c, cmd_run.c). */
int cmd_send(struct cli *c, int argc, char **argv);
int cmd_dispatch(struct cli *c, int argc, char **argv);
int cmd_run(struct cli *c, int argc, char **argv);
/* The HTTP server's commands: API tokens (cmd_token.c), the replies' inbox (cmd_inbox.c). */
int cmd_token(struct cli *c, int argc, char **argv);
/* The staff console's accounts (cmd_staff.c). */
int cmd_staff(struct cli *c, int argc, char **argv);
int cmd_inbox(struct cli *c, int argc, char **argv);
/* Providers: list, resume a halted one (cmd_provider.c). */
int cmd_provider(struct cli *c, int argc, char **argv);
/*
 * For a command that sends (run, dispatch, config check --providers): 0
 * when the providers' {{env.NAME}} secrets are all set, else EXIT_FAIL
 * after printing each missing one (config_need_secrets).
 */
int cli_need_secrets(struct cli *c);
/* cmd_backup.c: backup and restore of the database. */
int cmd_backup(struct cli *c, int argc, char **argv);
int cmd_restore(struct cli *c, int argc, char **argv);
/*
 * Before `duban init` migrates: an automatic backup of an existing
 * database of an older schema (path in made, "" when none was needed).
 * 0, or EXIT_FAIL after printing why (then nothing may be migrated).
 */
int cli_init_backup(struct cli *c, char *made, size_t madelen);

/* ---- person import and task import (import_csv.c) ----------------------- */

struct diag;
struct import_result;
struct import_opts;
/* An import action of core/import.h: import_people or import_tasks. */
typedef int cli_import_fn(struct duban_ctx *x, const struct import_opts *o, struct diag *d,
			  struct import_result *res);
/* Print what an import did (with dry: would do). */
typedef void cli_imported_fn(const char *file, bool dry, const struct import_result *res);
/*
 * Run "duban GROUP import FILE [--encoding E] [--dry-run] [--update]"
 * (argv[0] is "import", help its --help; --update only when update_ok)
 * with the action run: imported prints what it did, then the columns it
 * ignored ("忽略列：序号、备注"); a refused file prints each problem as
 * FILE:LINE: reason, then why.
 * Returns the exit code: EXIT_USAGE for bad arguments or a bad file,
 * EXIT_FAIL when the database failed.
 */
int cli_import(struct cli *c, int argc, char **argv, const char *group, const char *help,
	       bool update_ok, cli_import_fn *run, cli_imported_fn *imported);

/*
 * "duban task list --format csv" (export.c): the tasks f selects with
 * exactly the columns task import reads.  Returns the exit code.
 */
struct task_filter;
int cli_task_export(struct cli *c, const struct task_filter *f);
/* "duban task import" (import_csv.c): its help, the import, what it did. */
int cli_task_import(struct cli *c, int argc, char **argv);

struct sched;
/* Point s at the CLI's store, configuration, rules and templates and
 * prepare it (sched_init); 0, or an exit code after printing why. */
int cli_sched_init(struct cli *c, struct sched *s);

/* ---- output (output.c) --------------------------------------------------- */

/*
 * A result table printed as aligned text (CJK counts double width), CSV
 * (UTF-8 with BOM, so that Excel opens it right) or JSON (an array of
 * objects).  types has one letter per column: 's' string, 'i' integer
 * (JSON number), 'n' string that is null in JSON when empty, 'e' a word
 * of a fixed set (a status, a kind) that tables and CSV show in the
 * language (C_("value", word)) and JSON as it is.  Headers are JSON's
 * keys; tables and CSV show C_("column", header).
 */
struct table;
struct table *table_new(size_t ncols, const char *const *headers, const char *types);
/* Add a row of ncols cells (copied); 0 or -1 when out of memory. */
int table_add(struct table *t, const char *const *cells);
int table_print(const struct table *t, enum out_format fmt, FILE *fp);
/*
 * The end of a list command: t was filled by a walk over the store that
 * returned rc.  Prints t in c->fmt on stdout when rc is STORE_OK, else the
 * store's message (a walk stopped by a row that could not be added counts
 * as a failure too); frees t.  Returns EXIT_OK or EXIT_FAIL.
 */
int cli_print_table(struct cli *c, struct table *t, int rc);
/*
 * Headers whose words mean something else in this table - a person's
 * "title" is 职务, a task's 事项 - are translated in context ctx (a
 * static string, "person"), the others in "column".
 */
void table_set_context(struct table *t, const char *ctx);
/* Leave column col out of the CSV (an id an import would not read); 0 or -1. */
int table_csv_omit(struct table *t, size_t col);
/* Is w one of the words 'e' columns show translated (a kind, a status, a role)? */
bool table_word_known(const char *w);
size_t table_rows(const struct table *t);
/*
 * The table as JSON (the array --format json prints; json_decref it), or
 * NULL when out of memory; json_print prints j as --format json does.
 * A show command adds what it holds besides (people, messages) to the
 * first object.
 */
typedef struct json_t json_t;
/*
 * The --format csv or json of a show command: tb holds the one row; json
 * adds what the object holds besides - a task's people and messages, a
 * person's tasks and recent messages (show.c).  Returns the exit code.
 */
enum show_kind { SHOW_TASK, SHOW_PERSON };
int cli_print_show(struct cli *c, struct table *tb, enum show_kind k, int64_t id);
json_t *table_json(const struct table *t);
int json_print(json_t *j, FILE *fp);
/* The text of a cell ("" when out of range). */
const char *table_cell(const struct table *t, size_t row, size_t col);
void table_free(struct table *t);

#endif
