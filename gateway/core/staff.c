/*
 * staff.c - staff accounts, passwords and console sessions (staff.h).
 * Passwords: PBKDF2-HMAC-SHA256 from libcrypto, 600,000 rounds by default
 * (the string records its rounds, so raising them later keeps old
 * passwords working), a random 16-byte salt, compared with CRYPTO_memcmp.
 * Sessions: 256 random bits from getrandom, kept only as their SHA-256, so
 * a copy of the database opens no session.
 */
#include "core/staff.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/i18n.h"
#include "base/utf8.h"
#include "core/config_http.h"

#define SALT_LEN 16
#define KEY_LEN 32

static const char *const role_names[] = { NULL, "viewer", "clerk", "approver", "admin" };
static const char *const role_labels[] = { NULL, N_("查看员"), N_("办事员"), N_("审批人"),
					   N_("管理员") };

int
staff_role_parse(const char *s, enum staff_role *out)
{
	for (int i = STAFF_VIEWER; i <= STAFF_ADMIN; i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum staff_role)i;
			return 0;
		}
	return -1;
}

const char *
staff_role_name(enum staff_role r)
{
	return r >= STAFF_VIEWER && r <= STAFF_ADMIN ? role_names[r] : "?";
}

const char *
staff_role_label(enum staff_role r)
{
	return r >= STAFF_VIEWER && r <= STAFF_ADMIN ? _(role_labels[r]) : "?";
}

/* ---- passwords ------------------------------------------------------------------ */

static void
hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int
unhex(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return s[2 * n] == '\0' || s[2 * n] == '$' ? 0 : -1;
}

static int
derive(const char *pw, const unsigned char *salt, unsigned iter, unsigned char key[KEY_LEN])
{
	return PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, SALT_LEN, (int)iter, EVP_sha256(),
				 KEY_LEN, key) == 1
		       ? 0
		       : -1;
}

int
staff_password_hash(const char *password, unsigned iterations, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	char sh[2 * SALT_LEN + 1], kh[2 * KEY_LEN + 1];
	int n;

	if (iterations == 0 || getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt) ||
	    derive(password, salt, iterations, key) != 0)
		return -1;
	hex(salt, SALT_LEN, sh);
	hex(key, KEY_LEN, kh);
	OPENSSL_cleanse(key, sizeof(key));
	n = snprintf(out, outlen, "pbkdf2-sha256$%u$%s$%s", iterations, sh, kh);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

bool
staff_password_ok(const char *password, const char *stored)
{
	unsigned char salt[SALT_LEN], want[KEY_LEN], got[KEY_LEN];
	const char *p = stored;
	char *end;
	unsigned long iter;
	bool ok;

	if (strncmp(p, "pbkdf2-sha256$", 14) != 0)
		return false;
	iter = strtoul(p + 14, &end, 10);
	if (*end != '$' || iter == 0 || iter > 100000000UL)
		return false;
	p = end + 1;
	if (strlen(p) != 2 * SALT_LEN + 1 + 2 * KEY_LEN || unhex(p, SALT_LEN, salt) != 0 ||
	    unhex(p + 2 * SALT_LEN + 1, KEY_LEN, want) != 0)
		return false;
	if (derive(password, salt, (unsigned)iter, got) != 0)
		return false;
	ok = CRYPTO_memcmp(want, got, KEY_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

int
staff_password_check(const char *password, const char **why)
{
	size_t n = strlen(password);

	if (n < STAFF_PASSWORD_MIN) {
		*why = _("a password needs at least 8 characters");
		return -1;
	}
	if (n > STAFF_PASSWORD_MAX || !utf8_valid(password, n) || strchr(password, '\n')) {
		*why = _("a password is one line of at most 256 bytes of UTF-8");
		return -1;
	}
	return 0;
}

int
staff_random_token(char *out, size_t outlen)
{
	char t[64];

	/* The API tokens' generator: 256 bits, base64url; without its "dbn_". */
	if (outlen < STAFF_TOKEN_LEN + 1 || httpd_token_new(t, sizeof(t)) != 0)
		return -1;
	snprintf(out, outlen, "%s", t + strlen(HTTPD_TOKEN_PREFIX));
	OPENSSL_cleanse(t, sizeof(t));
	return strlen(out) == STAFF_TOKEN_LEN ? 0 : -1;
}

bool
staff_csrf_ok(const char *want, const char *got)
{
	size_t n;

	if (want == NULL || got == NULL || *want == '\0')
		return false;
	n = strlen(want);
	return strlen(got) == n && CRYPTO_memcmp(want, got, n) == 0;
}

/* ---- accounts --------------------------------------------------------------------- */

static bool
login_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= STAFF_LOGIN_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int
staff_add(struct duban_ctx *x, const char *login, const char *name, enum staff_role role,
	  const char *password)
{
	struct staff a = { 0 };
	char h[STAFF_HASH_MAX], detail[160];
	const char *why;
	int64_t id;
	int rc;

	if (!login_valid(login))
		return action_refuse(x, ACTION_INVALID,
				     _("login \"%s\" must be 1-32 of a-z 0-9 . _ -"), login);
	if (*name == '\0' || strlen(name) > STAFF_NAME_MAX || !utf8_valid(name, strlen(name)))
		return action_refuse(x, ACTION_INVALID,
				     _("the name must be 1 to 64 bytes of UTF-8"));
	if (staff_password_check(password, &why) != 0)
		return action_refuse(x, ACTION_INVALID, "%s", why);
	if (staff_password_hash(password, STAFF_PBKDF2_ITER, h, sizeof(h)) != 0)
		return action_refuse(x, ACTION_ERROR, _("cannot hash the password"));
	a.login = (char *)login;
	a.name = (char *)name;
	a.role = (char *)staff_role_name(role);
	a.pw_hash = h;
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_staff_add(x->st, &a, &id)) != STORE_OK)
		return action_abort(x, rc);
	snprintf(detail, sizeof(detail), "%s, %s", name, a.role);
	return action_commit(x, "staff.add", login, detail);
}

/* The account of login, for a change: STORE_OK with out, or the refusal. */
static int
account(struct duban_ctx *x, const char *login, struct staff *out)
{
	int rc = store_staff_get(x->st, login, out);

	return rc == STORE_OK ? rc : action_abort(x, rc);
}

int
staff_passwd(struct duban_ctx *x, const char *login, const char *password)
{
	struct staff a = { 0 };
	char h[STAFF_HASH_MAX], key[64];
	const char *why;
	int rc;

	if (staff_password_check(password, &why) != 0)
		return action_refuse(x, ACTION_INVALID, "%s", why);
	if (staff_password_hash(password, STAFF_PBKDF2_ITER, h, sizeof(h)) != 0)
		return action_refuse(x, ACTION_ERROR, _("cannot hash the password"));
	snprintf(key, sizeof(key), "login:%.40s", login);
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = account(x, login, &a)) != STORE_OK)
		return rc;
	if ((rc = store_staff_set_password(x->st, a.id, h)) != STORE_OK ||
	    (rc = store_session_delete_staff(x->st, a.id)) != STORE_OK ||
	    (rc = store_login_failure_clear(x->st, key)) != STORE_OK) {
		staff_clear(&a);
		return action_abort(x, rc);
	}
	staff_clear(&a);
	return action_commit(x, "staff.passwd", login, NULL);
}

int
staff_disable(struct duban_ctx *x, const char *login)
{
	struct staff a = { 0 };
	int rc;

	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = account(x, login, &a)) != STORE_OK)
		return rc;
	if ((rc = store_staff_set_disabled(x->st, a.id, a.disabled_at ? a.disabled_at
								   : (int64_t)time(NULL))) !=
		    STORE_OK ||
	    (rc = store_session_delete_staff(x->st, a.id)) != STORE_OK) {
		staff_clear(&a);
		return action_abort(x, rc);
	}
	staff_clear(&a);
	return action_commit(x, "staff.disable", login, NULL);
}

/* ---- logins and sessions ---------------------------------------------------------- */

static int
token_hash(const char *token, unsigned char out[32])
{
	return httpd_token_hash(token, out);
}

/* How long key is locked at now (0: not), from its failures in the window. */
static int
locked_for(struct store *st, const char *key, long fails, int64_t now, long *secs)
{
	int64_t count, last;
	int rc = store_login_failures(st, key, now - STAFF_LOCK_WINDOW, &count, &last);

	*secs = 0;
	if (rc == STORE_OK && count >= fails)
		*secs = (long)(last + STAFF_LOCK_WINDOW - now);
	if (*secs < 0)
		*secs = 0;
	return rc;
}

/* Record a failed login of login from addr, committed; the refusal. */
static int
login_failed(struct duban_ctx *x, const char *kl, const char *ka, int64_t now)
{
	int rc;

	if ((rc = store_login_failure_add(x->st, kl, now, now - 86400)) != STORE_OK ||
	    (rc = store_login_failure_add(x->st, ka, now, now - 86400)) != STORE_OK ||
	    (rc = store_commit(x->st)) != STORE_OK)
		return action_abort(x, rc);
	return action_refuse(x, ACTION_INVALID, _("wrong login or password"));
}

int
staff_login(struct duban_ctx *x, const char *login, const char *password, const char *addr,
	    int64_t now, struct staff_login *out)
{
	char kl[64], ka[96];
	unsigned char h[32];
	long la, lb;
	bool good;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(kl, sizeof(kl), "login:%.40s", login);
	snprintf(ka, sizeof(ka), "addr:%.64s", addr ? addr : "?");
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = locked_for(x->st, kl, STAFF_LOCK_FAILS, now, &la)) != STORE_OK ||
	    (rc = locked_for(x->st, ka, STAFF_ADDR_FAILS, now, &lb)) != STORE_OK)
		return action_abort(x, rc);
	if (la > 0 || lb > 0) {
		store_rollback(x->st);
		out->locked_for = la > lb ? la : lb;
		return action_refuse(x, ACTION_INVALID,
				     la > 0 ? _("account %s is locked after %d failed logins: "
						"try again in %ld minutes")
					    : _("too many failed logins from this address (%s, %d): "
						"try again in %ld minutes"),
				     la > 0 ? login : addr, la > 0 ? STAFF_LOCK_FAILS : STAFF_ADDR_FAILS,
				     (out->locked_for + 59) / 60);
	}
	rc = store_staff_get(x->st, login, &out->who);
	if (rc == STORE_NOTFOUND) {
		/* Take as long as a real check: nobody learns which logins exist. */
		(void)staff_password_ok(password, "pbkdf2-sha256$600000$"
						  "00000000000000000000000000000000$"
						  "0000000000000000000000000000000000000000000000000000000000000000");
		return login_failed(x, kl, ka, now);
	}
	if (rc != STORE_OK)
		return action_abort(x, rc);
	good = staff_password_ok(password, out->who.pw_hash) && out->who.disabled_at == 0;
	if (!good) {
		staff_clear(&out->who);
		return login_failed(x, kl, ka, now);
	}
	if (staff_random_token(out->token, sizeof(out->token)) != 0 ||
	    staff_random_token(out->csrf, sizeof(out->csrf)) != 0 || token_hash(out->token, h) != 0) {
		staff_clear(&out->who);
		return action_refuse(x, ACTION_ERROR, _("no randomness for a session"));
	}
	if ((rc = store_login_failure_clear(x->st, kl)) != STORE_OK ||
	    (rc = store_session_add(x->st, h, out->who.id, out->csrf, now)) != STORE_OK) {
		staff_clear(&out->who);
		return action_abort(x, rc);
	}
	rc = action_commit(x, "staff.login", login, addr);
	if (rc != ACTION_OK)
		staff_clear(&out->who);
	return rc;
}

int
staff_session(struct store *st, const struct console_conf *cc, const char *token, int64_t now,
	      struct staff_session *out)
{
	unsigned char h[32];
	int rc;

	memset(out, 0, sizeof(*out));
	if (token == NULL || strlen(token) != STAFF_TOKEN_LEN || token_hash(token, h) != 0)
		return STORE_NOTFOUND;
	if ((rc = store_session_get(st, h, out)) != STORE_OK)
		return rc;
	if (out->who.disabled_at != 0 || now - out->last_seen > cc->idle_s ||
	    now - out->created_at > cc->max_s) {
		staff_clear(&out->who);
		(void)store_session_delete(st, h);
		return STORE_NOTFOUND;
	}
	if (now - out->last_seen >= STAFF_TOUCH_EVERY && store_session_touch(st, h, now) == STORE_OK)
		out->last_seen = now;
	return STORE_OK;
}

int
staff_logout(struct duban_ctx *x, const char *token)
{
	unsigned char h[32];
	int rc;

	if (token == NULL || token_hash(token, h) != 0)
		return action_refuse(x, ACTION_NOTFOUND, _("no session"));
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_session_delete(x->st, h)) != STORE_OK)
		return action_abort(x, rc);
	return action_commit(x, "staff.logout", x->actor, NULL);
}
