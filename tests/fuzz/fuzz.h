/*
 * fuzz.h - what every harness of tests/fuzz/ shares.  A harness is one
 * file fuzz_NAME.c defining LLVMFuzzerTestOneInput over one parser of
 * duban.  `make fuzz` links it with libFuzzer (clang,
 * -fsanitize=fuzzer,address,undefined); `make check` links it with
 * replay.c, a plain driver that feeds it every input of
 * tests/fuzz/corpus/NAME/ and tests/fuzz/crashes/NAME/, so the inputs that
 * once crashed are replayed forever, by any compiler.
 */
#ifndef DUBAN_FUZZ_H
#define DUBAN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (the parsers take C strings); abort()
 * when out of memory, which a fuzzer reports. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
