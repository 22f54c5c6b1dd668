/*
 * array.h - the number of elements of a fixed-size array, for loops over
 * the static tables every module keeps (column names, keywords, reasons).
 * Only for real arrays: given a pointer it silently gives a wrong count.
 */
#ifndef DUBAN_ARRAY_H
#define DUBAN_ARRAY_H

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
