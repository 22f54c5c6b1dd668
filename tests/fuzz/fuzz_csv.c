/*
 * fuzz_csv.c - the CSV reader (base/csv.c) over any bytes: both encodings'
 * detection and conversion, quoting, every malformed record and the resync
 * after it.  Every field handed out must be a string within the bounds.
 */
#include "fuzz.h"

#include "base/csv.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const enc[] = { NULL, "utf-8", "gb18030" };
	char err[512];

	for (size_t e = 0; e < sizeof(enc) / sizeof(enc[0]); e++) {
		struct csv_reader *r = NULL;
		struct csv_row row;
		int rc;

		if (csv_open_mem("fuzz.csv", data, size, enc[e], &r, err, sizeof(err)) != 0)
			continue;
		while ((rc = csv_read(r, &row, err, sizeof(err))) != 0)
			if (rc == 1)
				for (size_t i = 0; i < row.n; i++)
					if (strlen(row.field[i]) > CSV_FIELD_MAX)
						abort();
		csv_close(r);
	}
	return 0;
}
