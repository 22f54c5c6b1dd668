/*
 * version.h - duban's version: `duban --version`, /metrics'
 * duban_build_info, and the Debian package (the Makefile reads it here).
 */
#ifndef DUBAN_VERSION_H
#define DUBAN_VERSION_H

#define DUBAN_VERSION "0.1.0"

#endif
