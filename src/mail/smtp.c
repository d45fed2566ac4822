/*
 * smtp.c - the config's "smtp" section and sending one message through
 * libcurl's SMTP support.
 *
 * TLS is never optional: smtps:// is TLS from the first byte, smtp://
 * must offer STARTTLS (CURLUSESSL_ALL) or the send fails before any
 * credential or personal data is on the wire. The server's answers are
 * read through curl's debug callback (incoming protocol lines only: the
 * outgoing ones carry the credentials), so an error can quote the reply
 * that refused and a success can record the queue id.
 */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "interrupt.h"
#include "mail/mail.h"

#define SMTP_DEFAULT_ATTACH_MAX (10L * 1024 * 1024)
#define SMTP_DEFAULT_TIMEOUT	120L

static int cfg_fail(const px_config *cfg, px_error *err, const char *path,
		    const char *what)
{
	return px_error_set(err, PX_EXIT_CONFIG, "%s: /smtp%s: %s", cfg->path,
			    path, what);
}

static int opt_str(const px_config *cfg, const json_t *smtp, const char *key,
		   int required, const char **out, px_error *err)
{
	json_t *v = json_object_get(smtp, key);
	char path[64];

	snprintf(path, sizeof(path), "/%s", key);
	*out = NULL;
	if (!v)
		return required ? cfg_fail(cfg, err, path, "missing") : 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return cfg_fail(cfg, err, path, "expected a non-empty string");
	*out = json_string_value(v);
	return 0;
}

static int opt_long(const px_config *cfg, const json_t *smtp, const char *key,
		    long def, long max, long *out, px_error *err)
{
	json_t *v = json_object_get(smtp, key);
	char path[64];

	snprintf(path, sizeof(path), "/%s", key);
	*out = def;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > max)
		return cfg_fail(cfg, err, path, "expected a positive integer");
	*out = (long)json_integer_value(v);
	return 0;
}

static int is_address(const char *a)
{
	const char *at = strchr(a, '@');

	return at && at != a && at[1] && !strchr(at + 1, '@') &&
	       !strpbrk(a, " <>\r\n\",;");
}

int px_smtp_from_config(const px_config *cfg, px_smtp *s, px_error *err)
{
	json_t *smtp = cfg ? json_object_get(cfg->root, "smtp") : NULL;
	const char *password = NULL, *ca = NULL;

	memset(s, 0, sizeof(*s));
	if (!smtp)
		return px_error_set(
		    err, PX_EXIT_USAGE,
		    "sending email needs an \"smtp\" section in "
		    "the config (url, from, credentials)");
	if (!json_is_object(smtp))
		return cfg_fail(cfg, err, "", "expected an object");
	if (opt_str(cfg, smtp, "url", 1, &s->url, err) ||
	    opt_str(cfg, smtp, "from", 1, &s->from, err) ||
	    opt_str(cfg, smtp, "from_name", 0, &s->from_name, err) ||
	    opt_str(cfg, smtp, "reply_to", 0, &s->reply_to, err) ||
	    opt_str(cfg, smtp, "username", 0, &s->username, err) ||
	    opt_str(cfg, smtp, "password", 0, &password, err) ||
	    opt_str(cfg, smtp, "ca_file", 0, &ca, err) ||
	    opt_str(cfg, smtp, "officer", 0, &s->officer, err) ||
	    opt_long(cfg, smtp, "attach_max_bytes", SMTP_DEFAULT_ATTACH_MAX,
		     1L << 30, &s->attach_max, err) ||
	    opt_long(cfg, smtp, "timeout_seconds", SMTP_DEFAULT_TIMEOUT, 3600,
		     &s->timeout, err))
		return -1;
	if (strncmp(s->url, "smtps://", 8) && strncmp(s->url, "smtp://", 7))
		return cfg_fail(cfg, err, "/url",
				"expected smtps://HOST[:PORT] or "
				"smtp://HOST[:PORT] (STARTTLS is required)");
	if (!is_address(s->from))
		return cfg_fail(cfg, err, "/from", "expected an email address");
	if (s->reply_to && !is_address(s->reply_to))
		return cfg_fail(cfg, err, "/reply_to",
				"expected an email address");
	if (s->officer && !is_address(s->officer))
		return cfg_fail(cfg, err, "/officer",
				"expected an email address");
	if (!s->username != !password)
		return cfg_fail(cfg, err,
				s->username ? "/password" : "/username",
				"username and password go together");
	if (password && !(s->password = strdup(password)))
		return px_error_oom(err);
	if (ca) {
		s->ca_file = s->ca_file_owned = px_config_path(cfg, ca);
		if (!s->ca_file) {
			px_smtp_clear(s);
			return px_error_oom(err);
		}
	}
	return 0;
}

void px_smtp_clear(px_smtp *s)
{
	if (s->password) {
		OPENSSL_cleanse(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->ca_file_owned);
	memset(s, 0, sizeof(*s));
}

struct exchange {
	FILE *msg;
	char last[512];	  /* the newest reply line from the server */
	char queued[512]; /* the newest 250 reply, the one to DATA at the end */
	char refused[512]; /* the newest 4xx or 5xx reply */
};

static size_t read_msg(char *buf, size_t size, size_t n, void *ctx)
{
	struct exchange *x = ctx;

	return fread(buf, size, n, x->msg);
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t n,
		    void *ctx)
{
	struct exchange *x = ctx;
	size_t len = n;

	(void)h;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len >= sizeof(x->last))
		len = sizeof(x->last) - 1;
	memcpy(x->last, data, len);
	x->last[len] = 0;
	for (char *p = x->last; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (!strncmp(x->last, "250", 3))
		memcpy(x->queued, x->last, len + 1);
	else if (x->last[0] == '4' || x->last[0] == '5')
		memcpy(x->refused, x->last, len + 1);
	return 0;
}

/* "smtp://mail.example.org:587" without any "user:pass@" part. */
static void shown_url(const char *url, char *out, size_t n)
{
	const char *auth = strstr(url, "://");
	const char *at = auth ? strchr(auth + 3, '@') : NULL;

	if (at)
		snprintf(out, n, "%.*s%s", (int)(auth + 3 - url), url, at + 1);
	else
		snprintf(out, n, "%s", url);
}

static int classify(CURLcode rc, const struct exchange *x, const char *url,
		    px_error *err)
{
	const char *reply = *x->refused ? x->refused
			    : *x->last	? x->last
					: "no answer";

	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return px_error_set(err, PX_EXIT_CONFIG,
				    "SMTP server %s refused the credentials "
				    "(smtp.username, smtp.password): %s",
				    url, reply);
	case CURLE_USE_SSL_FAILED:
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "SMTP server %s does not offer STARTTLS, "
				    "which portex requires: nothing was sent",
				    url);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "TLS with SMTP server %s failed (%s): "
				    "nothing was sent",
				    url, curl_easy_strerror(rc));
	case CURLE_ABORTED_BY_CALLBACK:
		return px_error_set(err, PX_EXIT_INTERRUPTED,
				    "interrupted: while sending through SMTP "
				    "server %s: the server did not confirm the "
				    "message",
				    url);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "SMTP server %s cannot be reached: %s", url,
				    curl_easy_strerror(rc));
	default:
		if (!strncmp(reply, "55", 2) || !strncmp(reply, "45", 2))
			return px_error_set(err, PX_EXIT_DATA,
					    "SMTP server %s refused the "
					    "message: %s",
					    url, reply);
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "sending through SMTP server %s failed "
				    "(%s): %s",
				    url, curl_easy_strerror(rc), reply);
	}
}

/* SIGINT/SIGTERM (src/interrupt.h) end the transfer: curl calls this at
 * least once a second, waiting or not. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	(void)ctx;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return px_interrupted();
}

int px_smtp_send(const px_smtp *s, const char *to, FILE *msg, char *reply,
		 size_t n, px_error *err)
{
	struct exchange x = {.msg = msg};
	struct curl_slist *rcpt = NULL;
	char from[320], rcpt_addr[320], url[512];
	CURL *h;
	CURLcode rc;
	int ret = 0;

	shown_url(s->url, url, sizeof(url));
	if (!is_address(to))
		return px_error_set(err, PX_EXIT_DATA,
				    "'%s' is not an email address", to);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "libcurl could not start");
	h = curl_easy_init();
	snprintf(from, sizeof(from), "<%s>", s->from);
	snprintf(rcpt_addr, sizeof(rcpt_addr), "<%s>", to);
	if (!h || !(rcpt = curl_slist_append(NULL, rcpt_addr))) {
		ret = px_error_oom(err);
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, s->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	if (s->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
	}
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_msg);
	curl_easy_setopt(h, CURLOPT_READDATA, &x);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &x);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		ret = classify(rc, &x, url, err);
	else
		snprintf(reply, n, "%s", *x.queued ? x.queued : x.last);
out:
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return ret;
}
