/*
 * sheet.h - spreadsheets as Excel writes them: the names a header may
 * give a column (Chinese or English, in any ASCII case), the columns
 * nobody knows (ignored, and named once), empty rows, the ways a date is
 * written (2008-12-31, 2008/12/31, 2008.12.31, 2008年12月31日, Excel's
 * serial numbers), the ways a list is separated (; ； 、 , ，), and
 * problems that repeat on many rows said once with their rows.  What the
 * imports of core/import.c share; nothing here touches the database.
 */
#ifndef DUBAN_SHEET_H
#define DUBAN_SHEET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/csv.h"
#include "base/diag.h"

/*
 * A column an import reads: names is "|"-separated, the first name being
 * the column's own (the English one, as `--format csv` writes it in
 * English, and the one a problem names); required columns must be there.
 */
struct sheet_col {
	const char *names;
	bool required;
};

/* What sheet_header found beyond the columns it mapped. */
struct sheet_header_info {
	char ignored[512]; /* the header's unknown columns, "序号、备注" (empty: none) */
};

/*
 * Map a header row: map[i] (nmap entries) gets the column of field i, or
 * -1 for a field no column has.  Unknown names go to info->ignored (never
 * fatal); an empty header cell is ignored silently.  A column given twice
 * and a required one missing go to d as FILE:LINE.  Returns 0, or -1 when
 * it added to d.
 */
int sheet_header(const char *file, const struct csv_row *row, const struct sheet_col *cols,
		 size_t ncols, int *map, size_t nmap, struct sheet_header_info *info,
		 struct diag *d);

/* True when every field of row is blank (Excel's ",,,,," rows). */
bool sheet_row_empty(const struct csv_row *row);

/*
 * A date (and optional time) as written in a spreadsheet into out as
 * "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (time_parse_local reads both):
 * 2008-12-31, 2008/12/31, 2008.12.31, 2008年12月31日 (month and day of one
 * or two digits), each followed by an optional " HH:MM" or " HH:MM:SS"
 * (seconds dropped); or an Excel serial number (39813 is 2008-12-31, a
 * fraction is the time of day).  Returns 0, or -1 when in is none of them.
 */
int sheet_date(const char *in, char *out, size_t outlen);

/*
 * Rewrite a list in place so that ';' separates its items: the Chinese
 * ；、， and the ASCII ',' become ';' (str_next_item then reads it).
 */
void sheet_list(char *s);

/* Problems of a file, each said once with the rows that have it. */
struct sheet_problems {
	struct sheet_problem *p;
	size_t n, cap;
	bool oom;
};

/* Note problem msg (printf-like) on row line. */
void sheet_problem(struct sheet_problems *sp, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The number of problems noted (distinct messages). */
size_t sheet_problems_count(const struct sheet_problems *sp);
/*
 * Add each problem to d, in the order of its first row: "FILE:3: msg" for
 * one row, "FILE:3: rows 3, 5, 9: msg" (第3、5、9行：msg) for several; then
 * empty sp.
 */
void sheet_problems_flush(struct sheet_problems *sp, const char *file, struct diag *d);
/* Free what sp holds (sp stays usable). */
void sheet_problems_clear(struct sheet_problems *sp);

#endif
