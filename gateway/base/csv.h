/*
 * csv.h - RFC 4180 CSV reader and writer for contact and batch imports.
 *
 * Town offices export their rosters from Excel or WPS, which write either
 * UTF-8 (often with a BOM) or GB18030/GBK.  The reader takes a whole file,
 * converts it to UTF-8 once, and then parses records in place over that single
 * buffer, so a row costs no allocation.  Malformed records are reported with
 * the file and line and the reader carries on at the next line, so an
 * all-or-nothing import can list every bad row at once.  The writer quotes a
 * field only when RFC 4180 requires it.
 */
#ifndef DUBAN_CSV_H
#define DUBAN_CSV_H

#include <stddef.h>
#include <stdio.h>

#define CSV_FIELD_MAX 4096          /* bytes per field after decoding; longer is an error */
#define CSV_FIELDS_MAX 64           /* fields per record */
#define CSV_FILE_MAX (512u << 20)   /* whole file */

struct csv_reader;                  /* opaque */

struct csv_row {
	size_t n;                   /* number of fields (at least 1) */
	const char *const *field;   /* UTF-8, NUL-terminated, valid until the next csv_read/csv_close */
	long line;                  /* physical line (1-based) where the record starts */
};

/*
 * Open the CSV file at path and read it whole (at most CSV_FILE_MAX bytes).
 * encoding: NULL or "auto" = UTF-8 if the whole file is valid UTF-8, otherwise
 * GB18030; "utf-8" (or "utf8"); "gb18030", with "gbk" and "gb2312" accepted as
 * aliases that decode with GB18030 (a superset of both).  Case is ignored.
 * A leading byte-order mark (UTF-8's, or GB18030's encoding of U+FEFF) is
 * dropped.  The text is converted to UTF-8 with iconv.
 * Returns 0 and a new reader in *out (the caller frees it with csv_close), or
 * -1 with *out = NULL and err = "FILE: reason", e.g. "FILE: No such file or
 * directory", "FILE: not valid GB18030 at byte N (line L)" (N counts from 0),
 * "FILE: too large (...)", "FILE: UTF-16 is not supported ...".
 */
int csv_open_file(const char *path, const char *encoding, struct csv_reader **out,
                  char *err, size_t errlen);

/*
 * Same as csv_open_file over len bytes at data.  The data is copied (the
 * caller keeps ownership of it); name is copied and used in messages
 * ("(memory)" when NULL).
 */
int csv_open_mem(const char *name, const void *data, size_t len, const char *encoding,
                 struct csv_reader **out, char *err, size_t errlen);

/* The encoding the reader decoded with: "UTF-8" or "GB18030" (static string). */
const char *csv_encoding(const struct csv_reader *r);

/*
 * Read the next record into *row; the fields point into the reader and stay
 * valid until the next csv_read or csv_close.  Empty lines are skipped (a line
 * holding only spaces is a record of one field).  Rows are returned with as
 * many fields as they have: checking the count is the caller's business.
 * Returns 1 with *row filled, 0 at end of input (and on every later call), or
 * -1 on a malformed record with err = "FILE:LINE: reason": unterminated quoted
 * field (LINE is where the quote opened), stray quote inside an unquoted
 * field, text after a closing quote, NUL byte, field longer than
 * CSV_FIELD_MAX bytes, more than CSV_FIELDS_MAX fields.  After -1 the reader
 * has resynchronised at the next line (the line after the offending one, or
 * after the whole record when only its size was wrong), so the caller may
 * keep calling csv_read to collect every error.
 */
int csv_read(struct csv_reader *r, struct csv_row *row, char *err, size_t errlen);

/* Free the reader and its buffer; fields handed out become invalid.  Accepts NULL. */
void csv_close(struct csv_reader *r);

/*
 * Write one field to fp, quoted per RFC 4180 only when needed: when it holds a
 * comma, a double quote, CR or LF, or begins or ends with a space or tab.
 * Quotes inside are doubled.  NULL is written as an empty field.
 * Returns 0, or -1 when a write fails (errors of buffered streams may only
 * show at fflush/fclose, which the caller checks).
 */
int csv_write_field(FILE *fp, const char *s);

/*
 * Write a whole record: the n fields separated by commas, ending in CRLF.
 * A record of one empty field is written as "" so that it does not read back
 * as an (ignored) empty line.  Returns 0, or -1 on a write error or n == 0
 * (errno EINVAL: a record without fields cannot be written).
 */
int csv_write_row(FILE *fp, const char *const *fields, size_t n);

#endif
