/*
 * str.c - string helpers.  Everything works in place or into a buffer of a
 * stated size; nothing here allocates except strdup'd results the caller
 * is told to free.
 */
#include "base/str.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
strlcpy_checked(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (n >= size)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

char *
str_next_item(char **cursor)
{
	static const char fullwidth[] = "\xef\xbc\x9b"; /* ； */

	while (*cursor != NULL) {
		char *item = *cursor, *semi = strchr(item, ';'), *fw = strstr(item, fullwidth);
		char *end = semi;
		size_t skip = 1;

		if (fw != NULL && (end == NULL || fw < end)) {
			end = fw;
			skip = 3;
		}
		if (end == NULL) {
			*cursor = NULL;
		} else {
			*end = '\0';
			*cursor = end + skip;
		}
		if (*str_trim(item) != '\0')
			return item;
	}
	return NULL;
}

char *
str_trim(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	size_t i = 0;
	while (isspace((unsigned char)s[i]))
		i++;
	if (i > 0)
		memmove(s, s + i, n - i + 1);
	return s;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool
str_is_name(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (n == 0 || n >= size)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

int
dir_list(const char *dir, const char *suffix, char ***names, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0, slen = strlen(suffix);

	if (d == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= slen || strcmp(de->d_name + len - slen, suffix) != 0)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nv = realloc(v, ncap * sizeof(*nv));
			if (nv == NULL)
				goto nomem;
			v = nv;
			cap = ncap;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL)
			goto nomem;
		cnt++;
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
str_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
