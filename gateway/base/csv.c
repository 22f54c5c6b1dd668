/*
 * csv.c - RFC 4180 CSV reader and writer for contact and batch imports.
 *
 * A file is read whole (bounded by CSV_FILE_MAX), checked as UTF-8 or
 * converted from GB18030 with iconv into one NUL-terminated buffer, and
 * records are then parsed in place over it.  Each record is parsed in two
 * passes: a scan that only validates it and notes where its fields lie, then
 * a decode that un-doubles quotes and NUL-terminates each field inside the
 * buffer.  Because nothing is written before the whole record is known to be
 * good, a malformed record leaves the buffer untouched and the reader can
 * resynchronise on any later line, including one inside the bad record.
 */
#include "base/csv.h"
#include "base/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/utf8.h"

#define ENC_UTF8 "UTF-8"
#define ENC_GB18030 "GB18030"

enum csv_enc { ENC_AUTO, ENC_FORCE_UTF8, ENC_FORCE_GB18030 };

/* Where a scanned field lies: off is its first byte (the opening quote when
 * quoted) and dlen its length once decoded. */
struct csv_span {
	size_t off;
	size_t dlen;
	bool quoted;
};

struct csv_reader {
	char *name;                 /* for messages */
	const char *encoding;       /* ENC_UTF8 or ENC_GB18030 */
	char *buf;                  /* UTF-8 text, buf[len] == '\0' */
	size_t len;
	size_t pos;                 /* start of the next record */
	long line;                  /* physical line at pos */
	const char *fields[CSV_FIELDS_MAX];
	struct csv_span spans[CSV_FIELDS_MAX];
};

enum csv_fault {
	FAULT_NONE,
	FAULT_UNTERMINATED,         /* hard: quote still open at end of input */
	FAULT_STRAY_QUOTE,          /* hard: '"' inside an unquoted field */
	FAULT_AFTER_QUOTE,          /* hard: text between closing quote and delimiter */
	FAULT_NUL,                  /* hard: NUL byte in a field */
	FAULT_TOO_LONG,             /* soft: record is well formed but too big */
	FAULT_TOO_MANY,             /* soft */
};

/* State of the scan of one record.  A hard fault stops the scan and sets
 * resume/resume_line; a soft fault is remembered and the scan goes on to the
 * end of the record so that the reader resumes after it. */
struct csv_scan {
	size_t p;                   /* cursor */
	long line;                  /* physical line at p */
	size_t nfields;             /* fields seen, may exceed CSV_FIELDS_MAX */
	enum csv_fault fault;       /* first fault seen */
	bool hard;
	long fault_line;
	long quote_line;            /* where the faulty field's quote opened */
	size_t fault_field;         /* 1-based */
	size_t resume;              /* where the next record starts */
	long resume_line;
};

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* 1-based line holding byte off of data (LF is a single byte in both
 * UTF-8 and GB18030, never part of a multi-byte character). */
static long line_at(const unsigned char *data, size_t off)
{
	long line = 1;
	const unsigned char *p = data, *end = data + off, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p = nl + 1;
	}
	return line;
}

static int parse_encoding(const char *encoding, enum csv_enc *enc)
{
	if (encoding == NULL || strcasecmp(encoding, "auto") == 0)
		*enc = ENC_AUTO;
	else if (strcasecmp(encoding, "utf-8") == 0 || strcasecmp(encoding, "utf8") == 0)
		*enc = ENC_FORCE_UTF8;
	else if (strcasecmp(encoding, "gb18030") == 0 || strcasecmp(encoding, "gbk") == 0 ||
	         strcasecmp(encoding, "gb2312") == 0)
		*enc = ENC_FORCE_GB18030;
	else
		return -1;
	return 0;
}

/* Convert len bytes of GB18030 to a new NUL-terminated UTF-8 buffer.
 * Returns 0 with *out (caller frees) and *outlen, or -1 with err set. */
static int gb18030_to_utf8(const char *name, const char *data, size_t len,
                           char **out, size_t *outlen, char *err, size_t errlen)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	/* A GB18030 character of n bytes becomes at most ceil(1.5 n) UTF-8 bytes. */
	size_t cap = len + len / 2 + 8, inleft = len, outleft;
	char *buf = NULL, *in = (char *)data, *o;
	int rc = -1;

	if (cd == (iconv_t)-1) {
		set_err(err, errlen, _("%s: cannot convert from GB18030: %s"), name, strerror(errno));
		goto out;
	}
	buf = malloc(cap);
	if (buf == NULL) {
		set_err(err, errlen, _("%s: out of memory"), name);
		goto out;
	}
	o = buf;
	outleft = cap - 1;
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &o, &outleft) == (size_t)-1) {
		size_t at = (size_t)(in - data);

		if (errno == EILSEQ || errno == EINVAL)
			set_err(err, errlen, _("%s: not valid GB18030 at byte %zu (line %ld)"), name, at,
			        line_at((const unsigned char *)data, at));
		else
			set_err(err, errlen, _("%s: cannot convert from GB18030 at byte %zu: %s"), name,
			        at, strerror(errno));
		goto out;
	}
	*o = '\0';
	*outlen = (size_t)(o - buf);
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return rc;
}

/* Build a reader over len bytes at data.  When own is true, data was
 * allocated with malloc, has room for len + 1 bytes, and passes to the reader
 * (or is freed) whatever happens.  Returns 0 with *out, or -1 with err set. */
static int reader_new(const char *name, char *data, size_t len, bool own, const char *encoding,
                      struct csv_reader **out, char *err, size_t errlen)
{
	const unsigned char *u = (const unsigned char *)data;
	struct csv_reader *r = NULL;
	enum csv_enc enc;
	size_t bad;
	int rc = -1;

	*out = NULL;
	if (name == NULL)
		name = "(memory)";
	if (parse_encoding(encoding, &enc) < 0) {
		set_err(err, errlen, _("%s: unknown encoding \"%s\" (use auto, utf-8 or gb18030)"),
		        name, encoding);
		goto out;
	}
	if (len > CSV_FILE_MAX) {
		set_err(err, errlen, _("%s: too large (%zu bytes, limit %u)"), name, len, CSV_FILE_MAX);
		goto out;
	}
	if (enc != ENC_FORCE_GB18030 && len >= 2 &&
	    ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
		set_err(err, errlen, _("%s: UTF-16 is not supported; save the file as CSV UTF-8"), name);
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->name = strdup(name)) == NULL) {
		set_err(err, errlen, _("%s: out of memory"), name);
		goto out;
	}
	r->line = 1;
	bad = enc == ENC_FORCE_GB18030 ? 0 : utf8_valid_len(data, len);
	if (enc == ENC_FORCE_GB18030 || (enc == ENC_AUTO && bad < len)) {
		r->encoding = ENC_GB18030;
		if (gb18030_to_utf8(name, data, len, &r->buf, &r->len, err, errlen) < 0)
			goto out;
	} else if (bad < len) {
		set_err(err, errlen, _("%s: not valid UTF-8 at byte %zu (line %ld)"), name, bad,
		        line_at(u, bad));
		goto out;
	} else {
		r->encoding = ENC_UTF8;
		if (own) {
			r->buf = data;
			data = NULL;
		} else if ((r->buf = malloc(len + 1)) == NULL) {
			set_err(err, errlen, _("%s: out of memory"), name);
			goto out;
		} else if (len > 0) {
			memcpy(r->buf, data, len);
		}
		r->buf[len] = '\0';
		r->len = len;
	}
	/* Excel writes a BOM; GB18030's U+FEFF (84 31 95 33) converts to the same bytes. */
	if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
	*out = r;
	r = NULL;
	rc = 0;
out:
	if (own)
		free(data);
	csv_close(r);
	return rc;
}

int csv_open_mem(const char *name, const void *data, size_t len, const char *encoding,
                 struct csv_reader **out, char *err, size_t errlen)
{
	return reader_new(name, (char *)data, len, false, encoding, out, err, errlen);
}

/* Read the whole file at path into a new buffer with a NUL after the data.
 * Returns 0 with *out (caller frees) and *outlen, or -1 with err set. */
static int read_whole(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	const size_t limit = (size_t)CSV_FILE_MAX + 2;     /* one byte too many + NUL */
	size_t cap = 65536, len = 0;
	char *buf = NULL, *nbuf;
	struct stat st;
	ssize_t got;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		if ((unsigned long long)st.st_size > CSV_FILE_MAX) {
			set_err(err, errlen, _("%s: too large (%lld bytes, limit %u)"), path,
			        (long long)st.st_size, CSV_FILE_MAX);
			goto out;
		}
		cap = (size_t)st.st_size + 2;       /* + 1 to see EOF without growing */
	}
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap > limit / 2 ? limit : cap * 2;
			if ((nbuf = realloc(buf, cap)) == NULL) {
				set_err(err, errlen, _("%s: out of memory"), path);
				goto out;
			}
			buf = nbuf;
		} else if (buf == NULL && (buf = malloc(cap)) == NULL) {
			set_err(err, errlen, _("%s: out of memory"), path);
			goto out;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			set_err(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len > CSV_FILE_MAX) {
			set_err(err, errlen, _("%s: too large (more than %u bytes)"), path, CSV_FILE_MAX);
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int csv_open_file(const char *path, const char *encoding, struct csv_reader **out,
                  char *err, size_t errlen)
{
	char *data;
	size_t len;

	*out = NULL;
	if (read_whole(path, &data, &len, err, errlen) < 0)
		return -1;
	return reader_new(path, data, len, true, encoding, out, err, errlen);
}

const char *csv_encoding(const struct csv_reader *r)
{
	return r->encoding;
}

void csv_close(struct csv_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->name);
	free(r);
}

/* Record the first fault; a hard one also stops the scan, resuming after the
 * end of the physical line that holds byte from (which is on line from_line). */
static void scan_fault(const struct csv_reader *r, struct csv_scan *s, enum csv_fault f,
                       long line, long quote_line, size_t from, long from_line, bool hard)
{
	const char *nl;

	if (s->fault == FAULT_NONE) {
		s->fault = f;
		s->fault_line = line;
		s->quote_line = quote_line;
		s->fault_field = s->nfields;
	}
	if (!hard)
		return;
	s->hard = true;
	nl = memchr(r->buf + from, '\n', r->len - from);
	s->resume = nl != NULL ? (size_t)(nl - r->buf) + 1 : r->len;
	s->resume_line = from_line + 1;
}

/* Scan the quoted field whose opening quote is at s->p; leaves s->p on the
 * delimiter after the closing quote.  Returns its decoded length. */
static size_t scan_quoted(const struct csv_reader *r, struct csv_scan *s)
{
	const char *b = r->buf;
	size_t p = s->p + 1, dlen = 0;
	long qline = s->line;

	for (;;) {
		if (p >= r->len) {
			scan_fault(r, s, FAULT_UNTERMINATED, qline, qline, s->p, qline, true);
			return 0;
		}
		if (b[p] == '"') {
			if (b[p + 1] != '"')
				break;
			p++;                        /* "" stands for one quote */
		} else if (b[p] == '\n') {
			s->line++;
		} else if (b[p] == '\0') {
			scan_fault(r, s, FAULT_NUL, s->line, qline, p, s->line, true);
			return 0;
		}
		p++;
		dlen++;
	}
	p++;                                        /* the closing quote */
	if (p < r->len && b[p] != ',' && b[p] != '\n' && !(b[p] == '\r' && b[p + 1] == '\n')) {
		scan_fault(r, s, FAULT_AFTER_QUOTE, s->line, qline, p, s->line, true);
		return 0;
	}
	if (dlen > CSV_FIELD_MAX)
		scan_fault(r, s, FAULT_TOO_LONG, qline, qline, 0, 0, false);
	s->p = p;
	return dlen;
}

/* Scan the unquoted field starting at s->p up to its delimiter.  Returns its length. */
static size_t scan_plain(const struct csv_reader *r, struct csv_scan *s)
{
	const char *b = r->buf;
	size_t p = s->p, start = s->p;

	for (; p < r->len; p++) {
		char c = b[p];

		if (c == ',' || c == '\n' || (c == '\r' && b[p + 1] == '\n'))
			break;
		if (c == '"' || c == '\0') {
			scan_fault(r, s, c == '"' ? FAULT_STRAY_QUOTE : FAULT_NUL, s->line, 0, p,
			           s->line, true);
			return 0;
		}
	}
	if (p - start > CSV_FIELD_MAX)
		scan_fault(r, s, FAULT_TOO_LONG, s->line, s->line, 0, 0, false);
	s->p = p;
	return p - start;
}

/* Scan one record starting at s->p, noting the spans of its first
 * CSV_FIELDS_MAX fields.  Sets s->resume/s->resume_line to the next record. */
static void scan_record(struct csv_reader *r, struct csv_scan *s)
{
	const char *b = r->buf;

	for (;;) {
		size_t idx = s->nfields++, off = s->p, dlen;
		bool quoted = s->p < r->len && b[s->p] == '"';

		if (idx == CSV_FIELDS_MAX)
			scan_fault(r, s, FAULT_TOO_MANY, s->line, 0, 0, 0, false);
		dlen = quoted ? scan_quoted(r, s) : scan_plain(r, s);
		if (s->hard)
			return;
		if (idx < CSV_FIELDS_MAX)
			r->spans[idx] = (struct csv_span){ .off = off, .dlen = dlen, .quoted = quoted };
		if (s->p < r->len && b[s->p] == ',') {
			s->p++;
			continue;
		}
		if (s->p >= r->len)
			s->resume = r->len;
		else
			s->resume = s->p + (b[s->p] == '\n' ? 1 : 2);      /* LF or CRLF */
		s->resume_line = s->line + 1;
		return;
	}
}

/* Un-double the quotes of the scanned fields and NUL-terminate them in place. */
static void decode_fields(struct csv_reader *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct csv_span *sp = &r->spans[i];
		char *dst = r->buf + sp->off;

		if (sp->quoted) {
			const char *src = dst + 1;
			size_t left;

			for (left = sp->dlen; left > 0; left--) {
				if (*src == '"')
					src++;                  /* first of a doubled pair */
				*dst++ = *src++;
			}
			*dst = '\0';
		} else {
			dst[sp->dlen] = '\0';
		}
		r->fields[i] = r->buf + sp->off;
	}
}

static void report_fault(const struct csv_reader *r, const struct csv_scan *s,
                         char *err, size_t errlen)
{
	const char *n = r->name;
	long l = s->fault_line;
	size_t f = s->fault_field;

	switch (s->fault) {
	case FAULT_UNTERMINATED:
		set_err(err, errlen, _("%s:%ld: field %zu: unterminated quoted field"), n, l, f);
		break;
	case FAULT_STRAY_QUOTE:
		set_err(err, errlen, _("%s:%ld: field %zu: stray quote in unquoted field"), n, l, f);
		break;
	case FAULT_AFTER_QUOTE:
		if (s->quote_line != l)
			set_err(err, errlen, _("%s:%ld: field %zu: text after closing quote "
			        "(quoted field opened on line %ld)"), n, l, f, s->quote_line);
		else
			set_err(err, errlen, _("%s:%ld: field %zu: text after closing quote"), n, l, f);
		break;
	case FAULT_NUL:
		set_err(err, errlen, _("%s:%ld: field %zu: NUL byte"), n, l, f);
		break;
	case FAULT_TOO_LONG:
		set_err(err, errlen, _("%s:%ld: field %zu: too long (more than %d bytes)"), n, l, f,
		        CSV_FIELD_MAX);
		break;
	case FAULT_TOO_MANY:
		set_err(err, errlen, _("%s:%ld: too many fields (more than %d)"), n, l, CSV_FIELDS_MAX);
		break;
	case FAULT_NONE:
		break;
	}
}

int csv_read(struct csv_reader *r, struct csv_row *row, char *err, size_t errlen)
{
	const char *b = r->buf;
	struct csv_scan s = { 0 };

	/* Skip empty lines: LF or CRLF right at the start of a record. */
	for (;;) {
		if (r->pos < r->len && b[r->pos] == '\n')
			r->pos++;
		else if (r->pos + 1 < r->len && b[r->pos] == '\r' && b[r->pos + 1] == '\n')
			r->pos += 2;
		else
			break;
		r->line++;
	}
	if (r->pos >= r->len)
		return 0;
	s.p = r->pos;
	s.line = r->line;
	scan_record(r, &s);
	if (s.fault != FAULT_NONE) {
		report_fault(r, &s, err, errlen);
		r->pos = s.resume;
		r->line = s.resume_line;
		return -1;
	}
	decode_fields(r, s.nfields);
	row->n = s.nfields;
	row->field = r->fields;
	row->line = r->line;
	r->pos = s.resume;
	r->line = s.resume_line;
	return 1;
}

static bool needs_quotes(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return false;
	if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
		return true;
	return strpbrk(s, ",\"\r\n") != NULL;
}

int csv_write_field(FILE *fp, const char *s)
{
	const char *q;

	if (s == NULL || *s == '\0')
		return 0;
	if (!needs_quotes(s))
		return fputs(s, fp) < 0 ? -1 : 0;
	if (putc('"', fp) == EOF)
		return -1;
	/* Write up to and including each quote, then double it. */
	while ((q = strchr(s, '"')) != NULL) {
		size_t n = (size_t)(q - s) + 1;

		if (fwrite(s, 1, n, fp) != n || putc('"', fp) == EOF)
			return -1;
		s = q + 1;
	}
	if (fputs(s, fp) < 0 || putc('"', fp) == EOF)
		return -1;
	return 0;
}

int csv_write_row(FILE *fp, const char *const *fields, size_t n)
{
	size_t i;

	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	if (n == 1 && (fields[0] == NULL || fields[0][0] == '\0'))
		return fputs("\"\"\r\n", fp) < 0 ? -1 : 0;
	for (i = 0; i < n; i++) {
		if (i > 0 && putc(',', fp) == EOF)
			return -1;
		if (csv_write_field(fp, fields[i]) < 0)
			return -1;
	}
	return fputs("\r\n", fp) < 0 ? -1 : 0;
}
