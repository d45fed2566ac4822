/*
 * request_mail.h - the email side of `portex request`: sending a package
 * to the requester (deliver --method email) and the officer's digest of
 * requests near or past their limit (remind).
 */
#ifndef PX_REQUEST_MAIL_H
#define PX_REQUEST_MAIL_H

#include "portex/config.h"
#include "portex/error.h"
#include "portex/ledger.h"

struct px_deliver_opts {
	long id;
	const char *to;		   /* NULL: the requester's or subject's email */
	const char *password_file; /* sent in a second message when given */
	const char *lang;	   /* "fr" | "en"; NULL: the config's locale */
	const char *actor;
	int resend; /* a delivery whose outcome is unknown may be sent again */
	int json;
};

/* Sends the package of request o->id, which must be `exported`, by email
 * and records the delivery. The Message-ID is recorded before the send;
 * a failed send leaves the request exported with the failure recorded. */
int px_request_deliver_email(px_ledger *l, const px_config *cfg,
			     const struct px_deliver_opts *o, px_error *err);

struct px_remind_opts {
	long within; /* days */
	const char *to;
	int dry_run; /* print, send nothing */
	int json;
};

/* Prints (and mails, when an officer address is known) the requests that
 * are overdue, due within o->within days, or awaiting identity for longer
 * than that. Returns 1 when some request is overdue, 0 when none is, -1
 * with err. */
int px_request_remind(px_ledger *l, const px_config *cfg,
		      const struct px_remind_opts *o, px_error *err);

#endif
