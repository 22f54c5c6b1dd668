/*
 * config_http.h - the `http` group of the configuration (listen address,
 * body limit, API tokens, the clerk's forwarding number, the server's
 * limits on threads, connections and time, the window of signed
 * callbacks) and the API tokens themselves: how one is made and how it
 * is stored (its SHA-256).  The server (server/httpd.c) and `duban
 * token` both use these.
 */
#ifndef DUBAN_CONFIG_HTTP_H
#define DUBAN_CONFIG_HTTP_H

#include <libconfig.h>
#include <stddef.h>
#include <sys/socket.h>

#include "base/cfgval.h"
#include "core/config.h"

#define HTTPD_TOKEN_PREFIX "dbn_"

/*
 * The defaults: disabled, listen "127.0.0.1:8080", max_body 65536, 4
 * threads, 256 connections, 32 per address, header_timeout 10 s,
 * signature_window 300 s.  0 or -1 (memory).
 */
int httpd_conf_defaults(struct httpd_conf *hc);
/*
 * Check and store the `http` group g into hc (enabled unless enabled =
 * false): listen, max_body, tokens, forward_to, threads, connections,
 * connections_per_address, header_timeout, signature_window.  Problems go
 * to cv.
 */
void httpd_conf_parse(struct cfgval *cv, const config_setting_t *g, struct httpd_conf *hc);
/* Free what hc holds, not hc. */
void httpd_conf_free(struct httpd_conf *hc);
/*
 * Parse "HOST:PORT" (an IPv4 address, "localhost", "*" for every address,
 * or "[IPv6]"; port 0 lets the kernel choose) into ss.  0, or -1 with err.
 */
int httpd_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
		       size_t errlen);
/* The SHA-256 of token into out (32 bytes).  0 or -1. */
int httpd_token_hash(const char *token, unsigned char out[32]);
/*
 * A new random token "dbn_" + 43 characters of base64url (256 bits) into
 * out (>= 48 bytes).  0, or -1 when the system has no randomness.
 */
int httpd_token_new(char *out, size_t outlen);
/*
 * The route and scope names <-> HTTP_ROUTE_* bits: "messages" (read and
 * write), "messages:read", "messages:write", "messages:numbers",
 * "notices", "tasks".  httpd_route_bit: 0, or -1 for another name;
 * httpd_route_name: the name of exactly those bits, else "?" (static).
 */
int httpd_route_bit(const char *name, unsigned *bit);
const char *httpd_route_name(unsigned bit);
/* Every name a token may list, for messages that say what is allowed. */
#define HTTPD_ROUTES_TEXT \
	"messages, messages:read, messages:write, messages:numbers, notices or tasks"
/*
 * The names of bits as a token's configuration line lists them, quoted
 * and comma separated ("\"messages\", \"tasks\""; read and write both are
 * "messages"), into out.  0, or -1 when outlen is too small.
 */
int httpd_routes_text(unsigned bits, char *out, size_t outlen);
/*
 * Whether bits make a token that can do something: 0, or -1 with *why
 * (static) - none at all, or messages:numbers without reading or writing.
 */
int httpd_routes_check(unsigned bits, const char **why);

#endif
