/*
 * cmd_staff.c - "duban staff ...": the accounts of the staff console (the
 * town office's clerks, approvers and admins): add, list, passwd,
 * disable.  A password is printed once (made up by duban), read from the
 * terminal, or read from standard input for scripts; duban keeps only its
 * PBKDF2 hash.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/ctx.h"
#include "core/staff.h"
#include "base/array.h"
#include "base/i18n.h"
#include "base/zone.h"

#define PW_BUF (STAFF_PASSWORD_MAX + 2)

/* One line of fp into buf without its newline: 0, or -1 (none, too long). */
static int
read_line(FILE *fp, char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, fp) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(fp))
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/* Ask for a password twice at the terminal, without echo: 0, or -1 (printed why). */
static int
ask_password(char *pw, size_t len)
{
	char again[PW_BUF];
	struct termios old, quiet;
	int rc = -1;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &old) != 0) {
		cli_err(EXIT_USAGE, _("--ask-password needs a terminal (scripts: --password-stdin)"));
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	fprintf(stderr, "%s", _("password: "));
	if (read_line(stdin, pw, len) == 0) {
		fprintf(stderr, "\n%s", _("again: "));
		if (read_line(stdin, again, sizeof(again)) == 0 && strcmp(pw, again) == 0)
			rc = 0;
	}
	fprintf(stderr, "\n");
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	explicit_bzero(again, sizeof(again));
	if (rc != 0)
		cli_err(EXIT_USAGE, _("the two passwords differ"));
	return rc;
}

/*
 * The password by how: 's' standard input, 'a' the terminal, else made
 * up (*made set: print it).  0, or the exit code.
 */
static int
get_password(int how, char *pw, size_t len, bool *made)
{
	*made = false;
	if (how == 's') {
		if (read_line(stdin, pw, len) != 0)
			return cli_err(EXIT_USAGE, _("--password-stdin: no password line on standard "
						   "input (at most 256 bytes)"));
		return 0;
	}
	if (how == 'a')
		return ask_password(pw, len) == 0 ? 0 : EXIT_USAGE;
	/* 43 characters of base64url cut to 16: 96 bits, easy to type. */
	if (staff_random_token(pw, len) != 0)
		return cli_err(EXIT_FAIL, _("no randomness for a password"));
	pw[16] = '\0';
	*made = true;
	return 0;
}

/* ---- staff add ------------------------------------------------------------------------ */

static const char staff_add_help[] = N_(
	"usage: duban staff add LOGIN --name NAME --role viewer|clerk|approver|admin\n"
	"                      [--password-stdin | --ask-password]\n"
	"\n"
	"Add an account of the staff console (LOGIN: 1-32 of a-z 0-9 . _ -).  Roles:\n"
	"  viewer    reads everything, changes nothing\n"
	"  clerk     keeps people, groups and tasks; drafts and sends notices\n"
	"  approver  a clerk who also approves notices (never their own)\n"
	"  admin     an approver who also manages staff accounts\n"
	"Without an option duban makes up a password and prints it once; with\n"
	"--ask-password it asks at the terminal (twice), with --password-stdin it\n"
	"reads one line from standard input (for scripts).  At least 8 characters.\n"
	"duban keeps only its PBKDF2-HMAC-SHA256 hash.  The audit log says staff.add.\n");

static int
staff_add_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		{ "password-stdin", no_argument, NULL, 's' },
		{ "ask-password", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *role = NULL;
	char pw[PW_BUF];
	enum staff_role r;
	struct duban_ctx x;
	int ch, how = 0, rc;
	bool made;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'r': role = optarg; break;
		case 's':
		case 'a': how = ch; break;
		case 'h':
		default: return cli_show_help(_(staff_add_help), ch == 'h');
		}
	}
	if (optind + 1 != argc || name == NULL || role == NULL)
		return cli_show_help(_(staff_add_help), false);
	if (staff_role_parse(role, &r) != 0)
		return cli_err(EXIT_USAGE, _("--role: \"%s\" is not viewer, clerk, approver or admin"),
			       role);
	if ((rc = get_password(how, pw, sizeof(pw), &made)) != 0)
		return rc;
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	rc = staff_add(&x, argv[optind], name, r, pw);
	if (rc == ACTION_OK) {
		printf(_("added %s (%s, %s)\n"), argv[optind], name, staff_role_name(r));
		if (made)
			printf(_("password (shown this once): %s\n"), pw);
	}
	explicit_bzero(pw, sizeof(pw));
	return rc == ACTION_OK ? EXIT_OK : cli_action_err(&x, rc);
}

/* ---- staff list ----------------------------------------------------------------------- */

static const char staff_list_help[] = N_(
	"usage: duban staff list [--format table|csv|json]\n"
	"\n"
	"The console's accounts: login, name, role, status (active or disabled),\n"
	"created (local time).\n");

static int
staff_row(void *arg, const struct staff *s)
{
	char id[24], when[24];
	const char *cells[6];

	snprintf(id, sizeof(id), "%" PRId64, s->id);
	cells[0] = id;
	cells[1] = s->login;
	cells[2] = s->name;
	cells[3] = s->role;
	cells[4] = s->disabled_at ? NC_("value", "disabled") : NC_("value", "active");
	cells[5] = time_fmt_local(s->created_at, when, sizeof(when));
	return table_add(arg, cells);
}

static int
staff_list_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const h[] = { NC_("column", "id"),     NC_("column", "login"),
					 NC_("column", "name"),   NC_("column", "role"),
					 NC_("column", "status"), NC_("column", "created") };
	struct table *t;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'F':
			if (cli_format_opt(c, optarg, false) != 0)
				return EXIT_USAGE;
			break;
		case 'h':
		default: return cli_show_help(_(staff_list_help), ch == 'h');
		}
	}
	if (optind != argc)
		return cli_show_help(_(staff_list_help), false);
	if (cli_store(c) == NULL || (t = table_new(ARRAY_LEN(h), h, "issses")) == NULL)
		return EXIT_FAIL;
	if ((rc = store_staff_each(c->st, staff_row, t)) != STORE_OK) {
		table_free(t);
		return cli_store_err(c, rc);
	}
	if (table_rows(t) == 0 && c->fmt == FMT_TABLE)
		printf(_("no staff accounts (duban staff add LOGIN --name NAME --role clerk)\n"));
	else
		table_print(t, c->fmt, stdout);
	table_free(t);
	return EXIT_OK;
}

/* ---- staff passwd, disable ---------------------------------------------------------- */

static const char staff_passwd_help[] = N_(
	"usage: duban staff passwd LOGIN [--password-stdin | --ask-password]\n"
	"\n"
	"Give LOGIN a new password (made up and printed once, asked at the terminal,\n"
	"or one line of standard input), end its open sessions and unlock it.\n");

static const char staff_disable_help[] = N_(
	"usage: duban staff disable LOGIN\n"
	"\n"
	"Disable LOGIN: it can no longer log in and its open sessions end.  What it\n"
	"did stays in the audit log as staff:LOGIN.\n");

static int
staff_passwd_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "password-stdin", no_argument, NULL, 's' },
		{ "ask-password", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char pw[PW_BUF];
	struct duban_ctx x;
	int ch, how = 0, rc;
	bool made;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
		case 'a': how = ch; break;
		case 'h':
		default: return cli_show_help(_(staff_passwd_help), ch == 'h');
		}
	}
	if (optind + 1 != argc)
		return cli_show_help(_(staff_passwd_help), false);
	if ((rc = get_password(how, pw, sizeof(pw), &made)) != 0)
		return rc;
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	rc = staff_passwd(&x, argv[optind], pw);
	if (rc == ACTION_OK) {
		printf(_("new password for %s; its sessions ended\n"), argv[optind]);
		if (made)
			printf(_("password (shown this once): %s\n"), pw);
	}
	explicit_bzero(pw, sizeof(pw));
	return rc == ACTION_OK ? EXIT_OK : cli_action_err(&x, rc);
}

static int
staff_disable_cmd(struct cli *c, int argc, char **argv)
{
	struct duban_ctx x;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return cli_show_help(_(staff_disable_help), true);
	if (argc != 2 || argv[1][0] == '-')
		return cli_show_help(_(staff_disable_help), false);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = staff_disable(&x, argv[1])) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("disabled %s; its sessions ended\n"), argv[1]);
	return EXIT_OK;
}

static const char staff_group_help[] = N_(
	"usage: duban staff add|list|passwd|disable ...\n"
	"\n"
	"Accounts of the staff console (served by duban run at / of the HTTP server);\n"
	"see \"duban staff add --help\".\n");

int
cmd_staff(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "add", staff_add_cmd, NULL },
		{ "list", staff_list_cmd, NULL },
		{ "passwd", staff_passwd_cmd, NULL },
		{ "disable", staff_disable_cmd, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, staff_group_help);
}
