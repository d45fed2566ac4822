/*
 * mail.h - email for deliveries and reminders: an RFC 5322 / MIME message
 * writer (mime.c) and an SMTP client over libcurl (smtp.c).
 *
 * The message is written to a FILE (CRLF line ends, every line within
 * RFC 5322's 78 characters) and streamed to the server from there, so an
 * attachment never sits in memory whole.
 */
#ifndef PX_MAIL_H
#define PX_MAIL_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "portex/config.h"
#include "portex/error.h"

typedef struct px_mail {
	const char *from_name;	 /* UTF-8 display name, may be NULL */
	const char *from;	 /* address */
	const char *reply_to;	 /* address, may be NULL */
	const char *to;		 /* address */
	const char *subject;	 /* UTF-8 */
	const char *message_id;	 /* "<...@...>" */
	const char *text;	 /* UTF-8 body, '\n' line ends */
	const char *attach_path; /* file to attach, may be NULL */
	const char *attach_name; /* its name in the message (UTF-8) */
	const char *attach_type; /* media type */
	time_t date;
} px_mail;

/* A new Message-ID "<random@domain>" into buf (n >= 96), domain taken from
 * the sender's address. Returns 0, or -1 when no random bytes are had. */
int px_mail_message_id(const char *from, char *buf, size_t n, px_error *err);

/* Writes the message to f: headers (non-ASCII ones as RFC 2047 encoded
 * words), a UTF-8 text part in base64, and the attachment in base64 when
 * attach_path is set (multipart/mixed). Returns 0, or -1 with err
 * (PX_EXIT_IOERR naming the file that could not be read or written). */
int px_mail_write(const px_mail *m, FILE *f, px_error *err);

/* An "smtp" section of the config, checked. Strings are owned by the
 * config (valid until px_config_free) except password, which the caller
 * wipes with px_smtp_clear(). */
typedef struct px_smtp {
	const char *url; /* smtps://host[:port] or smtp://host[:port] */
	const char *username;
	char *password; /* malloc'd copy, wiped by px_smtp_clear */
	const char *from, *from_name, *reply_to;
	const char *ca_file; /* absolute, or NULL for the system store */
	const char *officer; /* where reminders go */
	long attach_max;     /* bytes; larger packages are not attached */
	long timeout;	     /* seconds for the whole exchange */
	char *ca_file_owned;
} px_smtp;

/* Reads cfg's "smtp" section. PX_EXIT_CONFIG naming the JSON path for a
 * missing or wrong value; PX_EXIT_USAGE ("no smtp section") when there is
 * none. */
int px_smtp_from_config(const px_config *cfg, px_smtp *s, px_error *err);
void px_smtp_clear(px_smtp *s);

/* Sends the message in msg (read from its current position) to `to`.
 * STARTTLS is required on smtp://; the certificate is always verified.
 * reply (n bytes) receives the server's last answer to DATA ("250 2.0.0
 * Ok: queued as 4F2A..."). Errors carry the SMTP reply that refused:
 * PX_EXIT_UNAVAILABLE for a server that cannot be reached, TLS that fails
 * or is not offered, and authentication refused; PX_EXIT_DATA for a
 * recipient or sender refused. */
int px_smtp_send(const px_smtp *s, const char *to, FILE *msg, char *reply,
		 size_t n, px_error *err);

#endif
