/*
 * cmd_dispatch.c - "duban send" (queue a manual message, or a file of
 * them), "duban dispatch" (send what is due and exit) and the outbox's
 * "retry" and "cancel" (outbox_retry / outbox_cancel, wired into the
 * outbox command group).
 *
 * A file of messages is all or nothing, like an import: every line is
 * checked first and every bad line reported as FILE:LINE: reason; then all
 * go in one transaction.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "server/daemon.h"
#include "core/dispatch.h"
#include "base/phone.h"
#include "base/sms.h"
#include "base/diag.h"
#include "base/str.h"
#include "base/clock.h"

#define LINE_MAX_BYTES 4096 /* one line of a --from-file file */

/* ---- send ---------------------------------------------------------------- */

static const char send_help[] =
	"usage: duban send [--urgent] PHONE TEXT\n"
	"       duban send [--urgent] --from-file FILE\n"
	"\n"
	"Queue a message to PHONE (written as a clerk types it: 138-0013-8000,\n"
	"+86 138 0013 8000 ...).  It is measured as the phone will count it, with\n"
	"the configured signature 【...】, and refused when it needs more than\n"
	"sms.max_parts SMS parts.  A number that belongs to someone in the people\n"
	"list is linked to them; someone who opted out (TD) is refused unless\n"
	"--urgent.  The running daemon sends it within a second (or run\n"
	"\"duban dispatch\").\n"
	"\n"
	"  --urgent          send before everything else, even in quiet hours\n"
	"  --from-file FILE  queue one message per line \"PHONE<TAB>TEXT\" (UTF-8;\n"
	"                    blank lines and lines starting with # are skipped).\n"
	"                    Every line is checked first: one bad line and nothing\n"
	"                    is queued (each problem is shown as FILE:LINE).\n";

/* A message ready to queue: phone normalized, text measured. 0, or -1 with why.
 * Also the HTTP API's path (POST /v1/messages). */
int
cli_send_prepare(struct cli *c, const char *raw_phone, const char *text, bool urgent,
		 struct message *m, char *phone, char *why, size_t whylen)
{
	struct sms_info info;
	struct person p = { 0 };
	const char *reason;
	char err[200];
	int rc;

	if (phone_normalize(raw_phone, phone, PHONE_MAX, &reason) != 0) {
		snprintf(why, whylen, "\"%s\": %s", raw_phone, reason);
		return -1;
	}
	if (*text == '\0') {
		snprintf(why, whylen, "the text is empty");
		return -1;
	}
	if (sms_measure(text, c->cfg->signature, &info, err, sizeof(err)) != 0) {
		snprintf(why, whylen, "the text: %s", err);
		return -1;
	}
	if (info.parts > c->cfg->max_parts) {
		snprintf(why, whylen,
			 "the text needs %u SMS parts (%zu %s units with the signature); "
			 "at most %u are allowed (sms.max_parts)",
			 info.parts, info.units, sms_encoding_name(info.encoding), c->cfg->max_parts);
		return -1;
	}
	memset(m, 0, sizeof(*m));
	rc = store_person_find(c->st, phone, &p);
	if (rc == STORE_OK) {
		m->person = p.id;
		if (p.opted_out_at != 0 && !urgent) {
			snprintf(why, whylen, "%s opted out of messages (send with --urgent if it must go)",
				 p.name);
			person_clear(&p);
			return -1;
		}
	} else if (rc != STORE_NOTFOUND) {
		snprintf(why, whylen, "%s", store_errmsg(c->st));
		return -1;
	}
	person_clear(&p);
	m->phone = phone;
	m->body = (char *)text;
	m->encoding = (char *)sms_encoding_name(info.encoding);
	m->parts = (int)info.parts;
	m->kind = "manual";
	m->priority = urgent ? PRIO_URGENT : PRIO_MANUAL;
	m->urgent = urgent;
	return 0;
}

static int
send_one(struct cli *c, const char *raw_phone, const char *text, bool urgent)
{
	struct message m;
	char phone[PHONE_MAX], masked[PHONE_MAX], why[400], obj[32];
	int64_t id;
	int rc;

	if (cli_send_prepare(c, raw_phone, text, urgent, &m, phone, why, sizeof(why)) != 0)
		return cli_err(EXIT_USAGE, "%s", why);
	phone_mask(phone, masked, sizeof(masked));
	if ((rc = store_begin(c->st)) != STORE_OK || (rc = store_msg_add(c->st, &m, &id)) != STORE_OK)
		goto fail;
	snprintf(obj, sizeof(obj), "#%" PRId64, id);
	if ((rc = store_event(c->st, c->actor, "message.send", obj, masked)) != STORE_OK ||
	    (rc = store_commit(c->st)) != STORE_OK)
		goto fail;
	printf("queued #%" PRId64 " to %s (%d part%s, %s%s)\n", id, masked, m.parts,
	       m.parts == 1 ? "" : "s", m.encoding, urgent ? ", urgent" : "");
	return EXIT_OK;
fail:
	store_rollback(c->st);
	return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
}

/* Split "PHONE<TAB>TEXT\n" in place; false for a line to skip. */
static bool
split_line(char *line, char **phone, char **text)
{
	size_t n = strlen(line);
	char *tab;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0 || line[0] == '#')
		return false;
	tab = strchr(line, '\t');
	*phone = line;
	*text = tab ? tab + 1 : line + n;
	if (tab)
		*tab = '\0';
	return true;
}

/*
 * One pass over the file: check every line (queue == false) or queue them
 * (queue == true, inside the caller's transaction).  Problems go to d.
 */
static int
file_pass(struct cli *c, const char *path, bool urgent, bool queue, struct diag *d, size_t *count,
	  int64_t *first, int64_t *last)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *ph, *text, phone[PHONE_MAX], why[400];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	*count = 0;
	if (fp == NULL) {
		diag_add(d, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		struct message m;
		int64_t id;

		lineno++;
		if (len > LINE_MAX_BYTES) {
			diag_add(d, path, lineno, "line longer than %d bytes", LINE_MAX_BYTES);
			continue;
		}
		if (lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
			memmove(line, line + 3, (size_t)len - 2);
		if (!split_line(line, &ph, &text))
			continue;
		if (cli_send_prepare(c, ph, text, urgent, &m, phone, why, sizeof(why)) != 0) {
			diag_add(d, path, lineno, "%s", why);
			continue;
		}
		if (queue) {
			if (store_msg_add(c->st, &m, &id) != STORE_OK) {
				diag_add(d, path, lineno, "%s", store_errmsg(c->st));
				rc = -1;
				break;
			}
			if (*count == 0)
				*first = id;
			*last = id;
		}
		(*count)++;
	}
	if (ferror(fp))
		diag_add(d, path, lineno, "read error: %s", strerror(errno));
	free(line);
	fclose(fp);
	return rc == 0 && d->n == 0 ? 0 : -1;
}

static int
send_file(struct cli *c, const char *path, bool urgent)
{
	struct diag d = { 0 };
	size_t n = 0;
	int64_t first = 0, last = 0;
	char detail[64];

	if (file_pass(c, path, urgent, false, &d, &n, &first, &last) != 0) {
		diag_print(&d, stderr);
		cli_err(EXIT_USAGE, "%s: %zu problem%s; nothing queued", path, d.n, d.n == 1 ? "" : "s");
		diag_clear(&d);
		return EXIT_USAGE;
	}
	if (store_begin(c->st) != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	if (file_pass(c, path, urgent, true, &d, &n, &first, &last) != 0) {
		store_rollback(c->st);
		diag_print(&d, stderr);
		diag_clear(&d);
		return cli_err(EXIT_FAIL, "%s: nothing queued", path);
	}
	snprintf(detail, sizeof(detail), "%zu messages", n);
	if (store_event(c->st, c->actor, "message.send-file", path, detail) != STORE_OK ||
	    store_commit(c->st) != STORE_OK) {
		store_rollback(c->st);
		return cli_err(EXIT_FAIL, "%s: nothing queued: %s", path, store_errmsg(c->st));
	}
	if (n == 0)
		printf("%s: no messages in the file\n", path);
	else
		printf("queued %zu messages (#%" PRId64 "-#%" PRId64 ")\n", n, first, last);
	return EXIT_OK;
}

int
cmd_send(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "urgent", no_argument, NULL, 'u' },
		{ "from-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	bool urgent = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': urgent = true; break;
		case 'f': file = optarg; break;
		case 'h': fputs(send_help, stdout); return EXIT_OK;
		default: fputs(send_help, stderr); return EXIT_USAGE;
		}
	}
	if (file ? optind != argc : optind + 2 != argc) {
		fputs(send_help, stderr);
		return EXIT_USAGE;
	}
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (file)
		return send_file(c, file, urgent);
	return send_one(c, argv[optind], argv[optind + 1], urgent);
}

/* ---- dispatch -------------------------------------------------------------- */

static const char dispatch_help[] =
	"usage: duban dispatch [--until-empty]\n"
	"\n"
	"Send every message that is due now through the configured providers and\n"
	"exit.  Transient failures are queued again with backoff; with\n"
	"--until-empty the command waits for those retries too, and for messages\n"
	"another dispatcher is sending, and exits when nothing is left to send\n"
	"(messages scheduled for later and those held by quiet hours stay queued).\n"
	"SIGINT/SIGTERM stop it cleanly, as they stop the daemon.  Prints what was\n"
	"done and the rate.\n";

/* Is anything left for --until-empty to wait for? */
static bool
more_to_do(struct cli *c)
{
	struct outbox_pending p;
	int64_t now = time_now();

	if (store_outbox_pending(c->st, now, dispatch_quiet_until(&c->cfg->quiet, now) != 0, &p) !=
	    STORE_OK) {
		log_warnx("%s", store_errmsg(c->st));
		return true;
	}
	return p.due + p.retrying + p.sending > 0;
}

/* Turn the engine until done; a second signal frees it at once (*dp NULL). */
static int
dispatch_loop(struct cli *c, struct dispatch **dp, bool until_empty)
{
	struct dispatch *d = *dp;
	struct daemon_sig sig;
	struct curl_waitfd wfd;
	int64_t grace_until = 0;
	bool draining = false;
	char err[256];
	int rc = EXIT_OK;

	if (daemon_sig_open(&sig, false, err, sizeof(err)) != 0)
		return cli_err(EXIT_FAIL, "%s", err);
	wfd = (struct curl_waitfd){ sig.rd, CURL_WAIT_POLLIN, 0 };
	for (;;) {
		int terms, hups;

		if (dispatch_turn(d, 1000, &wfd, 1) != 0) {
			rc = cli_err(EXIT_FAIL, "libcurl failed");
			break;
		}
		daemon_sig_read(&sig, &terms, &hups);
		if (terms > 0 && draining) {
			dispatch_discard(d);
			*dp = NULL;
			daemon_sig_close(&sig);
			return cli_err(EXIT_FAIL, "stopped at once");
		}
		if (terms > 0) {
			draining = true;
			dispatch_drain(d);
			grace_until = time_mono_ms() + c->cfg->dispatcher.grace_ms;
		}
		if (draining) {
			if (dispatch_idle(d))
				break;
			if (time_mono_ms() >= grace_until) {
				dispatch_abort(d);
				break;
			}
			continue;
		}
		if (dispatch_idle(d) && dispatch_caught_up(d) && (!until_empty || !more_to_do(c)))
			break;
	}
	daemon_sig_close(&sig);
	return rc;
}

int
cmd_dispatch(struct cli *c, int argc, char **argv)
{
	struct dispatch *d;
	struct dispatch_stats st;
	bool until_empty = false;
	char err[512];
	int64_t t0;
	double secs;
	int rc;

	if (cli_want_help(argc, argv, dispatch_help))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--until-empty") == 0)
			until_empty = true;
		else
			return cli_err(EXIT_USAGE, "dispatch: unexpected argument \"%s\"", argv[i]);
	}
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (dispatch_new(c->cfg, &d, err, sizeof(err)) != 0)
		return cli_err(EXIT_FAIL, "%s", err);
	t0 = time_mono_ms();
	rc = dispatch_loop(c, &d, until_empty);
	if (d == NULL)
		return rc;
	dispatch_get_stats(d, &st);
	dispatch_free(d);
	secs = (double)(time_mono_ms() - t0) / 1000.0;
	printf("dispatch: %llu sent, %llu retried, %llu failed, %llu expired in %.2f s (%.0f msg/s; "
	       "database %.2f s leasing, %.2f s recording)\n",
	       (unsigned long long)st.sent, (unsigned long long)st.retried,
	       (unsigned long long)st.failed, (unsigned long long)st.expired, secs,
	       secs > 0 ? (double)st.sent / secs : 0.0, (double)st.lease_us / 1e6,
	       (double)st.record_us / 1e6);
	return rc;
}

/* ---- outbox retry / cancel --------------------------------------------------- */

static int
parse_id(const char *s, int64_t *id)
{
	long v;

	if (*s == '#')
		s++;
	if (parse_long(s, 1, INT32_MAX, &v) != 0)
		return -1;
	*id = v;
	return 0;
}

static const char retry_help[] =
	"usage: duban outbox retry ID\n"
	"\n"
	"Queue message ID again: a failed, expired, cancelled or skipped message is\n"
	"sent afresh (attempts from 0, no expiry), a queued one waiting for its\n"
	"retry becomes due now.  A message already sent is refused: it would reach\n"
	"the phone twice (queue a new one with duban send).\n";

int
outbox_retry(struct cli *c, int argc, char **argv)
{
	char old[16], obj[32];
	int64_t id;
	int rc;

	if (cli_want_help(argc, argv, retry_help))
		return EXIT_OK;
	if (argc != 2 || parse_id(argv[1], &id) != 0) {
		fputs(retry_help, stderr);
		return EXIT_USAGE;
	}
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_msg_retry(c->st, id, time_now(), old, sizeof(old))) != STORE_OK)
		return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	snprintf(obj, sizeof(obj), "#%" PRId64, id);
	if (store_event(c->st, c->actor, "message.retry", obj, old) != STORE_OK)
		log_warnx("%s", store_errmsg(c->st));
	printf("message #%" PRId64 " (was %s) is queued again\n", id, old);
	return EXIT_OK;
}

static const char cancel_help[] =
	"usage: duban outbox cancel ID\n"
	"\n"
	"Cancel queued message ID so that it is never sent.  A message being sent\n"
	"right now, or already sent, cannot be cancelled.\n";

int
outbox_cancel(struct cli *c, int argc, char **argv)
{
	char old[16], obj[32], why[96];
	int64_t id;
	int rc;

	if (cli_want_help(argc, argv, cancel_help))
		return EXIT_OK;
	if (argc != 2 || parse_id(argv[1], &id) != 0) {
		fputs(cancel_help, stderr);
		return EXIT_USAGE;
	}
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	snprintf(why, sizeof(why), "cancelled by %s", c->actor);
	if ((rc = store_msg_cancel(c->st, id, time_now(), why, old, sizeof(old))) != STORE_OK)
		return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	snprintf(obj, sizeof(obj), "#%" PRId64, id);
	if (store_event(c->st, c->actor, "message.cancel", obj, NULL) != STORE_OK)
		log_warnx("%s", store_errmsg(c->st));
	printf("message #%" PRId64 " cancelled\n", id);
	return EXIT_OK;
}
