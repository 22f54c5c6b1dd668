/*
 * smsc-sim - a fake SMS provider for duban's demos, integration tests and
 * benchmarks, in the role Kannel's fakesmsc plays for Kannel.  It serves a
 * generic JSON send API (/sms/send), Kannel's /cgi-bin/sendsms and a control
 * API under /_sim/ (counters, provider down/up, failure knobs, MO injection).
 * Every fraction (failures, 429s, drops, failed delivery reports) is decided
 * by a seeded PRNG keyed by the request's sequence number: thread-safe, and
 * reproducible for a given request order.  libmicrohttpd serves requests from
 * an internal epoll thread pool; a reply delay suspends the connection until
 * a queue thread resumes it, so no server thread ever sleeps; delivery
 * reports and MO posts leave from worker threads through bounded queues.
 * With --api aliyun or --api tencent it plays Alibaba Cloud's or Tencent
 * Cloud's SMS API instead (sim_cn.c, sim_aliyun.c, sim_tencent.c).
 * All state lives in one struct sim (sim.h).  This file holds main, the
 * command line, start-up and shutdown; the request handlers are in
 * sim_http.c, the job queues in sim_jobs.c, the record file, counters and
 * id set in sim_record.c.  Manual: docs/smsc-sim.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim.h"

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* ---- logging and number parsing ----------------------------------------- */

void sim_log(const struct sim *s, bool always, const char *fmt, ...)
{
	va_list ap;

	if (!always && s->o.quiet)
		return;
	va_start(ap, fmt);
	flockfile(stderr);  /* one whole line, whichever thread logs */
	fputs("smsc-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

/* libmicrohttpd's log, without the line it writes for every deliberate drop. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (strstr(msg, "Application reported internal error") == NULL)
		fprintf(stderr, "smsc-sim: libmicrohttpd: %s%s", msg, strchr(msg, '\n') ? "" : "\n");
}

int sim_parse_double(const char *str, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(str, &end);
	if (errno != 0 || end == str || *end != '\0' || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int sim_parse_long(const char *str, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(str, &end, 10);
	if (errno != 0 || end == str || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* ---- command line ------------------------------------------------------- */

static const char usage_text[] =
"usage: smsc-sim [options]\n"
"A fake SMS provider: generic JSON API (/sms/send), Kannel sendsms\n"
"(/cgi-bin/sendsms) and a control API (/_sim/...); or, with --api, Alibaba\n"
"Cloud's or Tencent Cloud's SMS API on \"/\".  See docs/smsc-sim.md.\n\n"
"  --listen HOST:PORT      listen address (default 127.0.0.1:13013; port 0 = any free port)\n"
"  --port-file FILE        write the bound port to FILE (atomically, via rename)\n"
"  --record FILE|-         append one JSON line per send request (- = stdout)\n"
"  --fail-rate F           fraction of sends answered with --fail-status (default 0)\n"
"  --fail-status 500|503   status of injected failures (default 503)\n"
"  --rate-429 F            fraction of sends answered 429 (default 0)\n"
"  --retry-after S         Retry-After seconds of 429 replies (default 1)\n"
"  --delay-ms N            hold every send reply back N ms (default 0)\n"
"  --drop-rate F           fraction of sends whose connection is closed unanswered\n"
"  --reject REGEX          numbers matching this POSIX extended regex get a 400\n"
"  --down-at S --down-for S  drop every send from S to S+D seconds after start\n"
"  --require-header 'Name: value'  JSON API answers 401 unless the header matches\n"
"  --kannel-user U --kannel-pass P  credentials sendsms must carry (else 403)\n"
"  --kannel-queued         sendsms answers \"3: Queued for later delivery\"\n"
"  --dlr-url URL           POST a JSON delivery report there per accepted JSON send\n"
"  --dlr-delay-ms N        delay of each delivery report (default 0)\n"
"  --dlr-fail-rate F       fraction of reports saying UNDELIV / %d=2 (default 0)\n"
"  --dlr-threads N         delivery report sender threads (default 2)\n"
"  --mo-url URL            where POST /_sim/mo delivers incoming messages\n"
"  --sign-secret S         sign what is sent to --dlr-url, dlr-urls and --mo-url as duban's\n"
"                          callbacks check it (X-Duban-Timestamp, X-Duban-Signature)\n"
"  --seed N                PRNG seed of every fraction (default 1)\n"
"  --threads N             HTTP server threads (default 2)\n"
"  --quiet                 log only errors (and the \"listening on\" line)\n"
"  --api aliyun|tencent    play dysmsapi 2017-05-25 / Tencent SMS 2021-01-11 (default: generic)\n"
"  --templates FILE        registered signs and approved templates ('sign NAME', 'template CODE TEXT')\n"
"  --access-key-id ID --access-key-secret S  Aliyun keys (or ALIYUN_ACCESS_KEY_ID/_SECRET)\n"
"  --secret-id ID --secret-key K  Tencent keys (or TENCENT_SECRET_ID, TENCENT_SECRET_KEY)\n"
"  --sdk-app-id ID         the SmsSdkAppId Tencent requests must name (or TENCENT_SDK_APP_ID)\n"
"  --per-number-day N      messages per number per Beijing day before the cap code (0: none)\n"
"  --per-number-hour N     the same per clock hour (0: none)\n"
"  --max-param N           characters per template value (default aliyun 35, tencent 0 = none)\n"
"  --no-balance            start with the balance used up (POST /_sim/balance?ok=1 refills)\n"
"  --push-batch N          most reports per push (default 100)\n"
"  --push-retries N        pushes again after an unexpected answer, N times (default 3)\n"
"  --push-retry-ms N       first retry delay; then 5x and 10x (default 1000)\n"
"  --help                  this text\n";

enum opt_kind { OK_STR, OK_DBL, OK_LONG, OK_FLAG, OK_SEED, OK_HELP };

#define OFF(f) offsetof(struct opts, f)
static const struct opt_def {
	const char *name;
	enum opt_kind kind;
	size_t off;
	double lo, hi;
} opt_defs[] = {
	{ "listen", OK_STR, OFF(listen), 0, 0 },
	{ "port-file", OK_STR, OFF(port_file), 0, 0 },
	{ "record", OK_STR, OFF(record), 0, 0 },
	{ "fail-rate", OK_DBL, OFF(fail_rate), 0, 1 },
	{ "fail-status", OK_LONG, OFF(fail_status), 500, 503 },
	{ "rate-429", OK_DBL, OFF(rate_429), 0, 1 },
	{ "retry-after", OK_LONG, OFF(retry_after), 0, 86400 },
	{ "delay-ms", OK_LONG, OFF(delay_ms), 0, 3600000 },
	{ "drop-rate", OK_DBL, OFF(drop_rate), 0, 1 },
	{ "reject", OK_STR, OFF(reject), 0, 0 },
	{ "down-at", OK_DBL, OFF(down_at), 0, 1e7 },
	{ "down-for", OK_DBL, OFF(down_for), 0.001, 1e7 },
	{ "require-header", OK_STR, OFF(require_header), 0, 0 },
	{ "kannel-user", OK_STR, OFF(kannel_user), 0, 0 },
	{ "kannel-pass", OK_STR, OFF(kannel_pass), 0, 0 },
	{ "kannel-queued", OK_FLAG, OFF(kannel_queued), 0, 0 },
	{ "dlr-url", OK_STR, OFF(dlr_url), 0, 0 },
	{ "dlr-delay-ms", OK_LONG, OFF(dlr_delay_ms), 0, 86400000 },
	{ "dlr-fail-rate", OK_DBL, OFF(dlr_fail_rate), 0, 1 },
	{ "dlr-threads", OK_LONG, OFF(dlr_threads), 1, MAX_THREADS },
	{ "mo-url", OK_STR, OFF(mo_url), 0, 0 },
	{ "sign-secret", OK_STR, OFF(sign_secret), 0, 0 },
	{ "seed", OK_SEED, OFF(seed), 0, 0 },
	{ "threads", OK_LONG, OFF(threads), 1, MAX_THREADS },
	{ "quiet", OK_FLAG, OFF(quiet), 0, 0 },
	{ "api", OK_STR, OFF(api), 0, 0 },
	{ "templates", OK_STR, OFF(templates), 0, 0 },
	{ "access-key-id", OK_STR, OFF(ak_id), 0, 0 },
	{ "access-key-secret", OK_STR, OFF(ak_secret), 0, 0 },
	{ "secret-id", OK_STR, OFF(tc_id), 0, 0 },
	{ "secret-key", OK_STR, OFF(tc_key), 0, 0 },
	{ "sdk-app-id", OK_STR, OFF(sdk_app_id), 0, 0 },
	{ "per-number-day", OK_LONG, OFF(per_number_day), 0, 1000000 },
	{ "per-number-hour", OK_LONG, OFF(per_number_hour), 0, 1000000 },
	{ "max-param", OK_LONG, OFF(max_param), 0, 100000 },
	{ "no-balance", OK_FLAG, OFF(no_balance), 0, 0 },
	{ "push-batch", OK_LONG, OFF(push_batch), 1, 10000 },
	{ "push-retries", OK_LONG, OFF(push_retries), 0, 100 },
	{ "push-retry-ms", OK_LONG, OFF(push_retry_ms), 1, 3600000 },
	{ "help", OK_HELP, 0, 0, 0 },
};
#define N_OPTS (sizeof opt_defs / sizeof opt_defs[0])

static int set_opt(struct opts *o, const struct opt_def *d, const char *arg)
{
	void *field = (char *)o + d->off;
	char *end;

	switch (d->kind) {
	case OK_STR:
		*(const char **)field = arg;
		return 0;
	case OK_FLAG:
		*(bool *)field = true;
		return 0;
	case OK_DBL:
		return sim_parse_double(arg, d->lo, d->hi, (double *)field);
	case OK_LONG:
		return sim_parse_long(arg, (long)d->lo, (long)d->hi, (long *)field);
	case OK_SEED:
		errno = 0;
		*(unsigned long long *)field = strtoull(arg, &end, 10);
		return errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ? -1 : 0;
	case OK_HELP:
		break;
	}
	return -1;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (reported on stderr). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	struct option lo[N_OPTS + 1];
	const struct opt_def *d;
	int ch;

	*o = (struct opts){ .listen = "127.0.0.1:13013", .fail_status = 503, .retry_after = 1,
			    .down_at = -1, .down_for = -1, .threads = 2, .dlr_threads = 2, .seed = 1,
			    .max_param = -1, .push_batch = 100, .push_retries = 3, .push_retry_ms = 1000 };
	for (size_t i = 0; i < N_OPTS; i++) {
		bool flag = opt_defs[i].kind == OK_FLAG || opt_defs[i].kind == OK_HELP;

		lo[i] = (struct option){ opt_defs[i].name, flag ? no_argument : required_argument,
					 NULL, 256 + (int)i };
	}
	lo[N_OPTS] = (struct option){ NULL, 0, NULL, 0 };
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch < 256 || ch >= 256 + (int)N_OPTS)
			goto usage;
		d = &opt_defs[ch - 256];
		if (d->kind == OK_HELP) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (set_opt(o, d, optarg) < 0) {
			fprintf(stderr, "smsc-sim: bad value for --%s: '%s'\n", d->name, optarg);
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "smsc-sim: unexpected argument '%s'\n", argv[optind]);
	} else if (o->fail_status != 500 && o->fail_status != 503) {
		fprintf(stderr, "smsc-sim: --fail-status must be 500 or 503\n");
	} else if ((o->down_at >= 0) != (o->down_for >= 0) ||
		   (o->kannel_user != NULL) != (o->kannel_pass != NULL)) {
		fprintf(stderr, "smsc-sim: --down-at/--down-for and --kannel-user/--kannel-pass go in pairs\n");
	} else {
		return 0;
	}
usage:
	fprintf(stderr, "smsc-sim: try --help\n");
	return -1;
}

/* ---- start-up and shutdown ---------------------------------------------- */

/* Binds spec (HOST:PORT, [V6]:PORT or PORT); returns the listening socket and its port. */
static int open_listener(const char *spec, char *host, size_t hostcap, int *port,
			 char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	const char *colon = strrchr(spec, ':'), *pstr = colon != NULL ? colon + 1 : spec;
	size_t hl = colon != NULL ? (size_t)(colon - spec) : 0;
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = -1, one = 1, rc;
	long pv;

	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']')
		hl -= 2;
	if (hl >= hostcap || sim_parse_long(pstr, 0, 65535, &pv) < 0) {
		snprintf(err, errlen, "bad --listen '%s' (want HOST:PORT)", spec);
		return -1;
	}
	snprintf(host, hostcap, "%.*s", (int)hl, hl > 0 && spec[0] == '[' ? spec + 1 : spec);
	if (hl == 0)
		snprintf(host, hostcap, "127.0.0.1");
	rc = getaddrinfo(host, pstr, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%.100s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4096) < 0 ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
			snprintf(err, errlen, "%.100s:%s: %s", host, pstr, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd >= 0)
		*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* Writes "PORT\n" to a temporary name, then renames: a poller never sees half a file. */
static int write_port_file(const char *path, int port, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *f;

	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(err, errlen, "--port-file path too long");
		return -1;
	}
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Options into run-time state: regex, header, knobs, down window, record file, replies. */
static int sim_init(struct sim *s, char *err, size_t errlen)
{
	const char *hdr = s->o.require_header, *colon = hdr != NULL ? strchr(hdr, ':') : NULL;
	int rc;

	s->seed_mix = mix64(s->o.seed);
	s->start_ms = clock_ms(CLOCK_MONOTONIC);
	if (s->o.reject != NULL) {
		rc = regcomp(&s->reject_re, s->o.reject, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			regerror(rc, &s->reject_re, err, errlen);
			return -1;
		}
		s->have_reject = true;
	}
	if (hdr != NULL) {
		if (colon == NULL || colon == hdr || (size_t)(colon - hdr) >= sizeof s->hdr_name) {
			snprintf(err, errlen, "--require-header wants 'Name: value'");
			return -1;
		}
		snprintf(s->hdr_name, sizeof s->hdr_name, "%.*s", (int)(colon - hdr), hdr);
		for (s->hdr_value = colon + 1; *s->hdr_value == ' '; s->hdr_value++)
			;
	}
	atomic_store(&s->fail_ppb, to_ppb(s->o.fail_rate));
	atomic_store(&s->rate429_ppb, to_ppb(s->o.rate_429));
	atomic_store(&s->drop_ppb, to_ppb(s->o.drop_rate));
	atomic_store(&s->dlr_fail_ppb, to_ppb(s->o.dlr_fail_rate));
	atomic_store(&s->fail_status, (unsigned)s->o.fail_status);
	atomic_store(&s->delay_ms, (unsigned)s->o.delay_ms);
	if (s->o.down_at >= 0) {
		atomic_store(&s->down_from, s->start_ms + (int64_t)(s->o.down_at * 1000));
		atomic_store(&s->down_until, s->start_ms + (int64_t)((s->o.down_at + s->o.down_for) * 1000));
	}
	if (sim_record_open(s, err, errlen) < 0)
		return -1;
	sim_idset_init(s);
	if (sim_canned_init(s) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int sim_start(struct sim *s, char *err, size_t errlen)
{
	struct MHD_OptionItem pool[3] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
					  { MHD_OPTION_END, 0, NULL } };
	char host[256];
	int fd, port = 0;

	fd = open_listener(s->o.listen, host, sizeof host, &port, err, errlen);
	if (fd < 0)
		return -1;
	if (sim_outq_start(&s->dlrq, s, DLR_QUEUE_MAX, (unsigned)s->o.dlr_threads) < 0 ||
	    sim_outq_start(&s->moq, s, MO_QUEUE_MAX, 1) < 0 || sim_outq_start(&s->delayq, s, CONN_LIMIT, 1) < 0) {
		snprintf(err, errlen, "cannot start worker threads");
		close(fd);
		return -1;
	}
	if (s->o.threads > 1)
		pool[0] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, s->o.threads, NULL };
	if (s->cn != NULL)  /* room for SendSms's 1000 numbers in the query string */
		pool[s->o.threads > 1] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
								  CN_MEMORY_LIMIT, NULL };
	s->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
				     MHD_USE_ERROR_LOG | MHD_USE_TURBO, 0, NULL, NULL, sim_on_request, s,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, 120u,
				     MHD_OPTION_NOTIFY_COMPLETED, sim_on_completed, s,
				     MHD_OPTION_ARRAY, pool, MHD_OPTION_END);
	if (s->daemon == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server");
		close(fd);
		return -1;
	}
	if (s->o.port_file != NULL && write_port_file(s->o.port_file, port, err, errlen) < 0)
		return -1;
	fprintf(stderr, strchr(host, ':') != NULL ? "smsc-sim: listening on [%s]:%d\n"
						  : "smsc-sim: listening on %s:%d\n", host, port);
	sim_log(s, false, "fail_rate=%g fail_status=%ld rate_429=%g delay_ms=%ld drop_rate=%g "
	       "dlr_url=%s mo_url=%s threads=%ld seed=%llu", s->o.fail_rate, s->o.fail_status,
	       s->o.rate_429, s->o.delay_ms, s->o.drop_rate, s->o.dlr_url ? s->o.dlr_url : "-",
	       s->o.mo_url ? s->o.mo_url : "-", s->o.threads, s->o.seed);
	return 0;
}

/* The order matters: no connection may still be suspended when MHD stops. */
static void sim_stop(struct sim *s)
{
	sim_outq_stop(&s->delayq);  /* answers every delayed reply now */
	sim_outq_stop(&s->moq);     /* finishes or fails every parked MO */
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	sim_outq_stop(&s->dlrq);
	sim_record_close(s);
	if (atomic_load(&s->ctr.dlr_queue_drops) > 0)
		sim_log(s, true, "%" PRIu64 " delivery reports dropped or never sent",
		       atomic_load(&s->ctr.dlr_queue_drops));
	if (s->daemon != NULL)
		sim_log(s, false, "stopped after %" PRIu64 " send requests (%" PRIu64 " accepted)",
		       atomic_load(&s->ctr.requests), atomic_load(&s->ctr.accepted));
	for (int i = 0; i < C_COUNT; i++)
		if (s->canned[i] != NULL)
			MHD_destroy_response(s->canned[i]);
	sim_idset_free(s);
	sim_cn_free(s);
	if (s->have_reject)
		regfree(&s->reject_re);
}

int main(int argc, char **argv)
{
	struct sim *s = calloc(1, sizeof *s);
	struct timespec tick = { 0, FLUSH_MS * 1000000L };
	struct rlimit rl;
	char err[256] = "";
	sigset_t sigs;
	int rc, sig;

	if (s == NULL)
		return 1;
	rc = parse_args(argc, argv, &s->o);
	if (rc != 0) {
		free(s);
		return rc > 0 ? 0 : 2;
	}
	/* Signals are taken synchronously by the main thread; all threads inherit this mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;  /* room for CONN_LIMIT connections */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s->body_max = BODY_MAX;
	rc = sim_cn_init(s, err, sizeof err);
	if (rc == 2) {
		fprintf(stderr, "smsc-sim: %s\nsmsc-sim: try --help\n", err);
		sim_cn_free(s);
		curl_global_cleanup();
		free(s);
		return 2;
	}
	if (rc == 0)
		rc = sim_init(s, err, sizeof err);
	if (rc == 0)
		rc = sim_start(s, err, sizeof err);
	if (rc != 0)
		sim_log(s, true, "%s", err);
	while (rc == 0) {
		sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		sim_record_flush(s);
	}
	sim_stop(s);
	curl_global_cleanup();
	free(s);
	return rc == 0 ? 0 : 1;
}
