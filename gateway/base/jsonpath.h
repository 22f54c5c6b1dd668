/*
 * jsonpath.h - the value at a dotted path of a JSON document
 * ("data.0.msgid": a member of an object, then an element of an array by
 * its index, then a member), the one lookup that reading providers'
 * replies (provider/provider.c) and the bodies of their callbacks
 * (server/callback.c) share.  It knows JSON and nothing of duban.
 */
#ifndef DUBAN_JSONPATH_H
#define DUBAN_JSONPATH_H

#include <jansson.h>

#define JSONPATH_SEG_MAX 128 /* bytes of one segment of a path, NUL included */

/*
 * The value at path under root into *out (borrowed from root; "" is root
 * itself).  A segment names a member of an object, or indexes an array
 * (0 to 1000000).  Returns 0, or -1 when there is no such value: a member
 * or element missing, a segment into a scalar, an index that is not a
 * number, or a segment of JSONPATH_SEG_MAX bytes or more.  A JSON null
 * that is there is found (0): the caller decides what null means.
 */
int jsonpath_get(const json_t *root, const char *path, const json_t **out);

#endif
