/*
 * import.h - importing people and tasks from a spreadsheet saved as CSV
 * (RFC 4180; UTF-8 with or without BOM, or GB18030/GBK as Excel in China
 * writes it).  An import is all or nothing: every row is checked, every
 * bad row reported as FILE:LINE: reason, and the rows go in one
 * transaction with one audit event ("person.import", "task.import") or
 * not at all.
 */
#ifndef DUBAN_IMPORT_H
#define DUBAN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ctx.h"
#include "base/csv.h"
#include "base/diag.h"

#include "core/sheet.h"

/* What to import and how. */
struct import_opts {
	const char *file;
	const char *encoding; /* "auto" (NULL), "utf-8" or "gb18030" */
	bool dry;             /* check everything, keep nothing */
	bool update;          /* people: a person the database knows is updated, not refused */
};

/* What an import did (or, with dry, would do). */
struct import_result {
	size_t rows;      /* people or tasks read */
	size_t added, updated, unchanged;
	size_t groups;    /* people: the groups they were put in */
	char ignored[512]; /* the columns nobody knows, "序号、备注" ("" for none) */
};

/*
 * Import people from o->file.  Columns, each known by several names
 * (sheet.h; the lists are in "duban person import --help"): name and
 * phone required; title, org, kind (English in any case, or Chinese:
 * person_kind_canon), groups (separated by ; ； 、 , ，, made when
 * missing), opted_out (when the person opted out: a date, or 是/否).
 * A phone the file has twice is a bad row; one the database has already
 * is a bad row too, unless o->update: then that person (or the only one
 * with the row's name and org, when the phone is new) is updated - name,
 * phone, title, org, kind, groups joined, an opt-out - keeping their id,
 * tasks and messages.  Returns ACTION_OK with res counting added /
 * updated / unchanged; ACTION_INVALID when d holds the problems (sorted
 * by line, each distinct one once with its rows; nothing imported);
 * ACTION_ERROR with x->err when the database failed.
 */
int import_people(struct duban_ctx *x, const struct import_opts *o, struct diag *d,
		  struct import_result *res);

/*
 * Import tasks from o->file (columns code, title, deadline, lead, owners,
 * members, team, supervisor, rules, detail, each known by several names -
 * title, deadline and lead required; owners and members WHO lists
 * separated as groups are; deadlines as sheet_date reads them; an empty
 * code gets the next free T<n>).  As import_people (o->update unused),
 * except that a file that cannot be opened or decoded at all is
 * ACTION_INVALID with x->err and d empty.
 */
int import_tasks(struct duban_ctx *x, const struct import_opts *o, struct diag *d,
		 struct import_result *res);

#endif
