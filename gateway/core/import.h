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

/*
 * Map a CSV header row to column numbers: cols holds each column's
 * English and Chinese names (matched without regard to ASCII case or
 * surrounding blanks); map[i] gets the column of field i (-1: none).
 * Unknown, doubled and missing required columns go to d as FILE:LINE.
 * Returns 0, or -1 when d has problems.
 */
int import_header(const char *file, const struct csv_row *row, int *map, size_t nmap,
		  const char *const (*cols)[2], size_t ncols, const bool *required,
		  struct diag *d);

/* What an import did (or, with dry, would do). */
struct import_result {
	size_t rows;   /* people or tasks */
	size_t groups; /* people: the groups they were put in */
};

/*
 * Import people from file (columns name 姓名, phone 手机, title 职务, org
 * 单位, kind 类别, groups 分组 - name and phone required; groups
 * ';'-separated, made when missing).  encoding is "auto" (NULL),
 * "utf-8" or "gb18030".  A phone the file has twice, or the database
 * has already, is a bad row.  With dry, everything is checked and
 * nothing kept.  Returns ACTION_OK; ACTION_INVALID when d holds the
 * problems (sorted by line; nothing imported); ACTION_ERROR with x->err
 * when the database failed.
 */
int import_people(struct duban_ctx *x, const char *file, const char *encoding, bool dry,
		  struct diag *d, struct import_result *res);

/*
 * Import tasks from file (columns code 编号, title 事项, deadline 时限,
 * lead 牵头领导, owners 责任人, members 成员, team 班子, supervisor 督办,
 * rules 规则, detail 说明 - title, deadline and lead required; owners and
 * members ';'-separated WHO lists; an empty code gets the next free
 * T<n>).  As import_people, except that a file that cannot be opened or
 * decoded at all is ACTION_INVALID with x->err and d empty.
 */
int import_tasks(struct duban_ctx *x, const char *file, const char *encoding, bool dry,
		 struct diag *d, struct import_result *res);

#endif
