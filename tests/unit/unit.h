/*
 * unit.h - what every cmocka unit test of duban includes.
 *
 * cmocka wants <stdarg.h>, <stddef.h>, <stdint.h> and <setjmp.h> before its
 * own header; keeping that order in one place saves every test from it.
 */
#ifndef DUBAN_UNIT_H
#define DUBAN_UNIT_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#endif
