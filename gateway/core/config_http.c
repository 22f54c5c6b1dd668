/*
 * config_http.c - the `http` group of duban.cfg (where the server listens,
 * how big a request may be, the API tokens and the routes and scopes each
 * may use,
 * the clerk replies are forwarded to, what the server may spend on its
 * clients: threads, connections and the time to send a request header,
 * and how old a signed callback may be), checked whole at load like every
 * other group, and the tokens themselves: 256 random bits, shown once,
 * kept in the configuration only as their SHA-256.
 */
#include "core/config_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/phone.h"
#include "base/array.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/duration.h"

#define TOKEN_NAME_MAX 32
#define MAX_BODY_MIN 1024L
#define MAX_BODY_MAX (16L * 1024 * 1024)
#define THREADS_MAX 64
#define CONNECTIONS_MIN 16
#define CONNECTIONS_MAX 10000

/* The names of routes and scopes, in the order a token's list shows them. */
static const struct {
	const char *name;
	unsigned bits;
} route_names[] = {
	{ "messages", HTTP_ROUTE_MESSAGES },
	{ "messages:read", HTTP_ROUTE_MESSAGES_READ },
	{ "messages:write", HTTP_ROUTE_MESSAGES_WRITE },
	{ "messages:numbers", HTTP_ROUTE_MESSAGES_NUMBERS },
	{ "notices", HTTP_ROUTE_NOTICES },
	{ "tasks", HTTP_ROUTE_TASKS },
};

int
httpd_route_bit(const char *name, unsigned *bit)
{
	for (size_t i = 0; i < ARRAY_LEN(route_names); i++)
		if (strcmp(name, route_names[i].name) == 0) {
			*bit = route_names[i].bits;
			return 0;
		}
	return -1;
}

const char *
httpd_route_name(unsigned bit)
{
	for (size_t i = 0; i < ARRAY_LEN(route_names); i++)
		if (bit == route_names[i].bits)
			return route_names[i].name;
	return "?";
}

int
httpd_routes_text(unsigned bits, char *out, size_t outlen)
{
	size_t o = 0;
	int n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(route_names); i++) {
		if ((bits & route_names[i].bits) != route_names[i].bits)
			continue;
		bits &= ~route_names[i].bits; /* "messages" says read and write once */
		n = snprintf(out + o, outlen - o, "%s\"%s\"", o ? ", " : "", route_names[i].name);
		if (n < 0 || (size_t)n >= outlen - o)
			return -1;
		o += (size_t)n;
	}
	return 0;
}

int
httpd_routes_check(unsigned bits, const char **why)
{
	if (bits == 0) {
		*why = _("it names no route: the token could do nothing");
		return -1;
	}
	if ((bits & HTTP_ROUTE_MESSAGES_NUMBERS) && !(bits & HTTP_ROUTE_MESSAGES)) {
		*why = _("messages:numbers only widens what messages, messages:read or "
		       "messages:write show: name one of them too");
		return -1;
	}
	return 0;
}

int
httpd_conf_defaults(struct httpd_conf *hc)
{
	memset(hc, 0, sizeof(*hc));
	hc->max_body = 65536;
	hc->threads = 4;
	hc->connections = 256;
	hc->per_address = 32;
	hc->header_ms = 10000;
	hc->signature_window = 300;
	hc->listen = strdup("127.0.0.1:8080");
	return hc->listen ? 0 : -1;
}

void
httpd_conf_free(struct httpd_conf *hc)
{
	if (hc == NULL)
		return;
	free(hc->listen);
	for (size_t i = 0; i < hc->ntokens; i++)
		free(hc->tokens[i].name);
	free(hc->tokens);
	free(hc->forward_to);
	memset(hc, 0, sizeof(*hc));
}

int
httpd_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
		   size_t errlen)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host) || parse_long(colon + 1, 0, 65535, &port) != 0)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*a6);
		return 0;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	if (strcmp(host, "*") == 0)
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		goto bad;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*sslen = sizeof(*a4);
	return 0;
bad:
	snprintf(err, errlen,
		 _("\"%s\" is not HOST:PORT (an IPv4 address, localhost, * or [IPv6], and a port "
		 "0-65535)"),
		 s);
	return -1;
}

int
httpd_token_hash(const char *token, unsigned char out[32])
{
	unsigned int n = 0;

	if (EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	return 0;
}

int
httpd_token_new(char *out, size_t outlen)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char r[33]; /* 256 bits, and a byte so that 3 divides it */
	size_t o;

	if (outlen < sizeof(HTTPD_TOKEN_PREFIX) + 43)
		return -1;
	if (getrandom(r, 32, 0) != 32)
		return -1;
	r[32] = 0;
	memcpy(out, HTTPD_TOKEN_PREFIX, sizeof(HTTPD_TOKEN_PREFIX) - 1);
	o = sizeof(HTTPD_TOKEN_PREFIX) - 1;
	for (size_t i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)r[i] << 16 | (unsigned)r[i + 1] << 8 | r[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		if (i + 3 < 33)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0'; /* 43 characters: 258 bits written, the last 2 always zero */
	explicit_bzero(r, sizeof(r));
	return 0;
}

static int
hex_decode(const char *s, unsigned char *out, size_t n)
{
	if (strlen(s) != n * 2)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = (char)tolower((unsigned char)s[i * 2 + k]);
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

static void
parse_routes(struct cfgval *cv, const config_setting_t *t, struct http_token *tok)
{
	const config_setting_t *r = config_setting_get_member(t, "routes");
	const char *why;
	bool bad = false;
	int n;

	if (r == NULL) {
		cfgval_error(
			cv, t,
			"token '%s' needs 'routes', e.g. [ \"messages\", \"notices\", \"tasks\" ]",
			tok->name ? tok->name : "?");
		return;
	}
	if (config_setting_type(r) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(r) != CONFIG_TYPE_LIST) {
		cfgval_error(cv, r, _("'routes' must be a list like [ \"messages\", \"tasks\" ]"));
		return;
	}
	n = config_setting_length(r);
	if (n == 0)
		cfgval_error(cv, r, _("'routes' is empty: the token could do nothing"));
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(r, (unsigned)i);
		const char *s = config_setting_type(e) == CONFIG_TYPE_STRING
					? config_setting_get_string(e)
					: NULL;
		unsigned bit;

		if (s == NULL || httpd_route_bit(s, &bit) != 0) {
			cfgval_error(cv, e, _("routes: \"%s\" is not %s"), s ? s : "(not a string)",
				     HTTPD_ROUTES_TEXT);
			bad = true;
		} else {
			tok->routes |= bit;
		}
	}
	if (n > 0 && !bad && httpd_routes_check(tok->routes, &why) != 0)
		cfgval_error(cv, r, "routes: %s", why);
}

static void
parse_token(struct cfgval *cv, const config_setting_t *t, struct httpd_conf *hc)
{
	static const char *const keys[] = { "name", "sha256", "routes", NULL };
	struct http_token *tok = &hc->tokens[hc->ntokens];
	const char *s;

	memset(tok, 0, sizeof(*tok));
	if (config_setting_type(t) != CONFIG_TYPE_GROUP) {
		cfgval_error(cv, t,
			     _("each token is a group { name = ...; sha256 = ...; routes = [...]; }"));
		return;
	}
	cfgval_keys(cv, t, keys);
	if (cfgval_string(cv, t, "name", &s) == 1) {
		if (!str_is_name(s, TOKEN_NAME_MAX))
			cfgval_error(cv, config_setting_get_member(t, "name"),
				     _("token name \"%s\" must be 1-%d of a-z 0-9 - _"), s,
				     TOKEN_NAME_MAX - 1);
		for (size_t i = 0; i < hc->ntokens; i++)
			if (strcmp(hc->tokens[i].name, s) == 0)
				cfgval_error(cv, config_setting_get_member(t, "name"),
					     _("token name \"%s\" is used twice"), s);
		tok->name = strdup(s);
	} else if (config_setting_get_member(t, "name") == NULL) {
		cfgval_error(cv, t, _("a token needs a 'name'"));
	}
	if (cfgval_string(cv, t, "sha256", &s) == 1) {
		if (hex_decode(s, tok->sha256, sizeof(tok->sha256)) != 0)
			cfgval_error(
				cv, config_setting_get_member(t, "sha256"),
				_("'sha256' must be 64 hex digits (from \"duban token new NAME\")"));
	} else if (config_setting_get_member(t, "sha256") == NULL) {
		cfgval_error(cv, t, _("a token needs its 'sha256' (from \"duban token new NAME\")"));
	}
	parse_routes(cv, t, tok);
	if (tok->name == NULL)
		tok->name = strdup("?");
	if (tok->name != NULL)
		hc->ntokens++;
}

static void
parse_tokens(struct cfgval *cv, const config_setting_t *list, struct httpd_conf *hc)
{
	int n;

	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		cfgval_error(cv, list, _("'tokens' must be a list ( { name = ...; ... }, ... )"));
		return;
	}
	n = config_setting_length(list);
	if (n == 0)
		return;
	hc->tokens = calloc((size_t)n, sizeof(*hc->tokens));
	if (hc->tokens == NULL) {
		cfgval_error(cv, list, _("out of memory"));
		return;
	}
	for (int i = 0; i < n; i++)
		parse_token(cv, config_setting_get_elem(list, (unsigned)i), hc);
}

/* A duration key of g in seconds within [min, max]: 1 set, 0 absent, -1 reported. */
static int
seconds_key(struct cfgval *cv, const config_setting_t *g, const char *key, long min, long max,
	    long *out)
{
	struct duration d;
	int64_t sec;
	int rc = cfgval_duration(cv, g, key, &d);

	if (rc != 1)
		return rc;
	sec = duration_seconds(&d);
	if (sec < min || sec > max) {
		cfgval_error(cv, config_setting_get_member(g, key),
			     _("'%s' must be between %lds and %lds"), key, min, max);
		return -1;
	}
	*out = (long)sec;
	return 1;
}

/* What the server may spend on its clients: threads, connections, time. */
static void
parse_limits(struct cfgval *cv, const config_setting_t *g, struct httpd_conf *hc)
{
	long n;

	if (cfgval_int(cv, g, "threads", 1, THREADS_MAX, &n) == 1)
		hc->threads = (unsigned)n;
	if (cfgval_int(cv, g, "connections", CONNECTIONS_MIN, CONNECTIONS_MAX, &n) == 1)
		hc->connections = (unsigned)n;
	if (cfgval_int(cv, g, "connections_per_address", 1, CONNECTIONS_MAX, &n) == 1)
		hc->per_address = (unsigned)n;
	if (hc->per_address > hc->connections)
		cfgval_error(cv, config_setting_get_member(g, "connections_per_address"),
			     _("'connections_per_address' (%u) is more than 'connections' (%u)"),
			     hc->per_address, hc->connections);
	if (seconds_key(cv, g, "header_timeout", 1, 300, &n) == 1)
		hc->header_ms = n * 1000;
	if (seconds_key(cv, g, "signature_window", 10, 86400, &n) == 1)
		hc->signature_window = n;
}

void
httpd_conf_parse(struct cfgval *cv, const config_setting_t *g, struct httpd_conf *hc)
{
	static const char *const keys[] = { "enabled",	      "listen",		  "max_body",
					    "tokens",	      "forward_to",	  "threads",
					    "connections",    "connections_per_address",
					    "header_timeout", "signature_window", NULL };
	const config_setting_t *s;
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *v, *reason;
	char err[200], phone[PHONE_MAX];
	long n;
	bool en = true;

	cfgval_keys(cv, g, keys);
	cfgval_bool(cv, g, "enabled", &en);
	hc->enabled = en;
	if (cfgval_string(cv, g, "listen", &v) == 1) {
		if (httpd_parse_listen(v, &ss, &sl, err, sizeof(err)) != 0) {
			cfgval_error(cv, config_setting_get_member(g, "listen"), "'listen': %s",
				     err);
		} else {
			free(hc->listen);
			hc->listen = strdup(v);
		}
	}
	if (cfgval_int(cv, g, "max_body", MAX_BODY_MIN, MAX_BODY_MAX, &n) == 1)
		hc->max_body = (size_t)n;
	parse_limits(cv, g, hc);
	if ((s = config_setting_get_member(g, "tokens")) != NULL)
		parse_tokens(cv, s, hc);
	if (cfgval_string(cv, g, "forward_to", &v) == 1 && *v != '\0') {
		if (phone_normalize(v, phone, sizeof(phone), &reason) != 0) {
			cfgval_error(cv, config_setting_get_member(g, "forward_to"),
				     "'forward_to': %s", reason);
		} else {
			free(hc->forward_to);
			hc->forward_to = strdup(phone);
		}
	}
}
