/*
 * jsonpath.c - walking a dotted path down a JSON document: split at each
 * '.', a member of an object or an index of an array per segment, with
 * bounded segments and indexes so that a path from a configuration file
 * or a provider's body can never ask for more than it names.
 */
#include "base/jsonpath.h"

#include <string.h>

#include "base/str.h"

int
jsonpath_get(const json_t *root, const char *path, const json_t **out)
{
	const json_t *j = root;
	char seg[JSONPATH_SEG_MAX];

	*out = NULL;
	while (j != NULL && *path) {
		size_t l = strcspn(path, ".");
		long idx;

		if (l >= sizeof(seg))
			return -1;
		memcpy(seg, path, l);
		seg[l] = '\0';
		path += l + (path[l] == '.');
		if (json_is_object(j))
			j = json_object_get(j, seg);
		else if (json_is_array(j) && parse_long(seg, 0, 1000000, &idx) == 0)
			j = json_array_get(j, (size_t)idx);
		else
			return -1;
	}
	if (j == NULL)
		return -1;
	*out = j;
	return 0;
}
