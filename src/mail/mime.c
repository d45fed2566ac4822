/*
 * mime.c - writes one email: RFC 5322 headers, RFC 2047 encoded words for
 * non-ASCII header text, RFC 2045 base64 bodies, multipart/mixed when a
 * file is attached.
 *
 * Everything that carries text is base64: it keeps every line of the
 * message within 76 characters whatever the text or the file holds, and
 * the boundary ("=_px_...") can never occur inside base64.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <string.h>

#include "mail/mail.h"

#define B64_LINE 57 /* input bytes per 76-character base64 line */
#define WORD_IN	 45 /* input bytes per encoded word: 60 base64 + 12 <= 75 */

static int is_ascii_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int px_mail_message_id(const char *from, char *buf, size_t n, px_error *err)
{
	unsigned char r[16];
	const char *at = from ? strrchr(from, '@') : NULL;
	char hex[33];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "no random bytes for a Message-ID");
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	snprintf(buf, n, "<portex.%s@%s>", hex,
		 at && at[1] && is_ascii_safe(at + 1) ? at + 1
						      : "portex.invalid");
	return 0;
}

/* Length of the longest prefix of s (at most max bytes) that does not cut
 * a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	if (n == len)
		return n;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n ? n : (len < max ? len : max);
}

/* Header text as encoded words "=?UTF-8?B?...?=", folded between words so
 * that no line passes 76 characters; `used` is what the line already
 * holds. */
static void put_encoded(FILE *f, const char *s, size_t used)
{
	size_t len = strlen(s);
	unsigned char out[WORD_IN * 4 / 3 + 8];
	int first = 1;

	while (len) {
		size_t room = used + 12 < 76 - 4 ? (76 - used - 12) / 4 * 3 : 3;
		size_t n = utf8_cut(s, len, room < WORD_IN ? room : WORD_IN);

		EVP_EncodeBlock(out, (const unsigned char *)s, (int)n);
		fprintf(f, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", out);
		first = 0;
		used = 1;
		s += n;
		len -= n;
	}
}

static void put_text_header(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s: ", name);
	if (is_ascii_safe(value) && strlen(value) + strlen(name) < 74)
		fputs(value, f);
	else
		put_encoded(f, value, strlen(name) + 2);
	fputs("\r\n", f);
}

/* "Name <addr>": a plain name quoted, any other as encoded words. */
static void put_address(FILE *f, const char *header, const char *name,
			const char *addr)
{
	fprintf(f, "%s: ", header);
	if (name && *name) {
		if (is_ascii_safe(name) && !strpbrk(name, "\"\\") &&
		    strlen(name) < 40) {
			fprintf(f, "\"%s\"", name);
		} else {
			put_encoded(f, name, strlen(header) + 2);
		}
		fprintf(f, "\r\n <%s>\r\n", addr);
	} else {
		fprintf(f, "%s\r\n", addr);
	}
}

static void put_date(FILE *f, time_t t)
{
	static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat"};
	static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr",
					 "May", "Jun", "Jul", "Aug",
					 "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	gmtime_r(&t, &tm);
	fprintf(f, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900,
		tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Base64 lines of 76 characters from a byte stream. */
struct b64 {
	unsigned char in[B64_LINE];
	size_t n;
	FILE *out;
};

static void b64_flush(struct b64 *b)
{
	unsigned char line[B64_LINE * 4 / 3 + 4];

	if (!b->n)
		return;
	EVP_EncodeBlock(line, b->in, (int)b->n);
	fprintf(b->out, "%s\r\n", line);
	b->n = 0;
}

static void b64_put(struct b64 *b, const unsigned char *p, size_t len)
{
	while (len) {
		size_t take = B64_LINE - b->n;

		if (take > len)
			take = len;
		memcpy(b->in + b->n, p, take);
		b->n += take;
		p += take;
		len -= take;
		if (b->n == B64_LINE)
			b64_flush(b);
	}
}

/* The body text with '\n' turned into CRLF, in base64. */
static void put_text_body(FILE *f, const char *text)
{
	struct b64 b = {.out = f};

	for (const char *p = text; *p; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			b64_put(&b, (const unsigned char *)"\r\n", 2);
		else
			b64_put(&b, (const unsigned char *)p, 1);
	}
	b64_flush(&b);
}

static int put_file_body(FILE *f, const char *path, px_error *err)
{
	struct b64 b = {.out = f};
	unsigned char buf[B64_LINE * 256];
	FILE *in = fopen(path, "rb");
	size_t n;

	if (!in)
		return px_error_set(err, PX_EXIT_IOERR, "cannot read %s: %s",
				    path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		b64_put(&b, buf, n);
	b64_flush(&b);
	if (ferror(in)) {
		fclose(in);
		return px_error_set(err, PX_EXIT_IOERR, "cannot read %s", path);
	}
	fclose(in);
	return 0;
}

/* filename="x.zip", or RFC 2231 filename*=UTF-8''... for other names. */
static void put_filename(FILE *f, const char *param, const char *name)
{
	if (is_ascii_safe(name) && !strpbrk(name, "\"\\")) {
		fprintf(f, ";\r\n %s=\"%s\"", param, name);
		return;
	}
	fprintf(f, ";\r\n %s*=UTF-8''", param);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

int px_mail_write(const px_mail *m, FILE *f, px_error *err)
{
	char boundary[64];
	const char *id = m->message_id;
	size_t idl = strlen(id);

	/* The boundary reuses the Message-ID's random part. */
	snprintf(boundary, sizeof(boundary), "=_px_%.*s",
		 (int)(idl > 40 ? 40 : idl), id + (idl > 40 ? idl - 40 : 0));
	for (char *p = boundary; *p; p++)
		if (*p == '<' || *p == '>' || *p == '@')
			*p = '_';

	put_date(f, m->date);
	put_address(f, "From", m->from_name, m->from);
	if (m->reply_to && *m->reply_to)
		put_address(f, "Reply-To", NULL, m->reply_to);
	put_address(f, "To", NULL, m->to);
	put_text_header(f, "Subject", m->subject);
	fprintf(f, "Message-ID: %s\r\n", id);
	fputs("MIME-Version: 1.0\r\n", f);
	fputs("Auto-Submitted: auto-generated\r\n", f);
	if (m->attach_path) {
		fprintf(f,
			"Content-Type: multipart/mixed;\r\n"
			" boundary=\"%s\"\r\n\r\n"
			"This is a MIME message.\r\n\r\n--%s\r\n",
			boundary, boundary);
	}
	fputs("Content-Type: text/plain; charset=UTF-8\r\n"
	      "Content-Transfer-Encoding: base64\r\n\r\n",
	      f);
	put_text_body(f, m->text);
	if (m->attach_path) {
		fprintf(f, "\r\n--%s\r\nContent-Type: %s", boundary,
			m->attach_type ? m->attach_type
				       : "application/octet-stream");
		put_filename(f, "name", m->attach_name);
		fputs("\r\nContent-Disposition: attachment", f);
		put_filename(f, "filename", m->attach_name);
		fputs("\r\nContent-Transfer-Encoding: base64\r\n\r\n", f);
		if (put_file_body(f, m->attach_path, err))
			return -1;
		fprintf(f, "\r\n--%s--\r\n", boundary);
	}
	if (fflush(f) || ferror(f))
		return px_error_set(err, PX_EXIT_IOERR,
				    "cannot write the message: %s",
				    strerror(errno));
	return 0;
}
