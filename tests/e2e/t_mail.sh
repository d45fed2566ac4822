#!/bin/bash
# End-to-end: `request deliver --method email` and `request remind` against
# a real SMTP server (aiosmtpd, STARTTLS and AUTH required) on 127.0.0.1.
# Messages are read back with Python's email package, not with portex.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/serve.sh"
BACKEND=sqlite
SMTP_PASSWORD_VALUE=s3cret-smtp

# smtp_start [server args]: a server in $T/mail, port in $SMTP_PORT
smtp_start() {
	mkdir -p "$T/mail"
	[ -f "$T/smtp.crt" ] || openssl req -x509 -newkey rsa:2048 -nodes \
		-keyout "$T/smtp.key" -out "$T/smtp.crt" -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		2>/dev/null || fail "openssl req failed"
	rm -f "$T/smtp.port"
	/usr/bin/python3 "$PX_TOP/tests/mock/smtp_server.py" \
		--port-file "$T/smtp.port" --maildir "$T/mail" \
		--cert "$T/smtp.crt" --key "$T/smtp.key" \
		--password "$SMTP_PASSWORD_VALUE" "$@" 2>"$T/smtp.log" &
	SMTP_PID=$!
	trap 'kill $SMTP_PID 2>/dev/null || true' EXIT
	for _ in $(seq 100); do
		[ -s "$T/smtp.port" ] && break
		sleep 0.1
	done
	[ -s "$T/smtp.port" ] || fail "SMTP server did not start: $(cat "$T/smtp.log")"
	SMTP_PORT=$(cat "$T/smtp.port")
}

smtp_stop() {
	kill "$SMTP_PID" 2>/dev/null || true
	wait "$SMTP_PID" 2>/dev/null || true
}

# mail_setup: demo config with ledger and smtp section; an exported request
# $ID for Alice, package $T/alice.zip.
mail_setup() {
	demo_setup
	ledger_new
	export SMTP_PASSWORD=$SMTP_PASSWORD_VALUE
	edit_config "c['ledger'] = '$LEDGER'; c['smtp'] = {'url': 'smtp://127.0.0.1:$SMTP_PORT', 'username': 'portex', 'password': '\${SMTP_PASSWORD}', 'from': 'dpo@editions.example', 'from_name': 'Éditions Exemple — DPO', 'reply_to': 'contact-donnees@editions.example', 'ca_file': '$T/smtp.crt', 'officer': 'officer@editions.example'}"
	C="--config $T/demo.json"
	ID=$(exported_request "$T/alice.zip" "$(today)" \
		--requester alice.martin@example.org)
}

status_of() {
	"$PORTEX" request show "$1" $C --json >"$T/show.json" || fail "show failed"
	jget "$T/show.json" 'j["status"]'
}

# mail_check EML EXPR: evaluates EXPR with m = the parsed message
mail_check() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import email, email.policy, hashlib, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
atts = [p for p in m.iter_attachments()]
body = m.get_body(preferencelist=("plain",)).get_content()
lines = raw.split(b"\r\n")
longest = max(len(l) for l in lines)
bare_lf = b"\n" in raw.replace(b"\r\n", b"")
print(eval(sys.argv[2]))
PY
}

test_email_delivery_arrives_with_the_package_attached_and_is_recorded() {
	smtp_start
	mail_setup
	expect_exit 0 "$PORTEX" request deliver "$ID" --method email $C --json
	[ "$(jget "$T/stdout" 'j["status"]')" = delivered ] || fail "not delivered"
	[ "$(jget "$T/stdout" 'j["delivery_method"]')" = email ] || fail "method"
	[ "$(jget "$T/stdout" 'j["delivery"]["state"]')" = sent ] || fail "state"
	jget "$T/stdout" 'j["delivery"]["reply"]' | grep -q 'queued as PX1' ||
		fail "server answer not recorded: $(cat "$T/stdout")"
	local mid eml=$T/mail/1.eml
	mid=$(jget "$T/stdout" 'j["delivery"]["message_id"]')
	[ -f "$eml" ] || fail "no message arrived"
	[ "$(cat "$T/mail/1.eml.rcpt")" = alice.martin@example.org ] ||
		fail "wrong recipient: $(cat "$T/mail/1.eml.rcpt")"
	[ "$(mail_check "$eml" 'hashlib.sha256(atts[0].get_content()).hexdigest()')" = \
		"$(sha256sum <"$T/alice.zip" | cut -d' ' -f1)" ] ||
		fail "attachment is not the package"
	[ "$(mail_check "$eml" 'atts[0].get_filename()')" = alice.zip ] || fail "filename"
	[ "$(mail_check "$eml" 'm["Subject"]')" = \
		"Vos données personnelles ($(jget "$T/demo.json" 'j["controller"]["name"]'), demande $ID)" ] ||
		fail "subject: $(mail_check "$eml" 'm["Subject"]')"
	[ "$(mail_check "$eml" 'm["From"].addresses[0].display_name')" = \
		"Éditions Exemple — DPO" ] || fail "From display name"
	[ "$(mail_check "$eml" 'm["Message-ID"]')" = "$mid" ] ||
		fail "Message-ID differs from the one recorded"
	[ "$(mail_check "$eml" 'm["Date"] is not None and m["Date"].datetime is not None')" = True ] ||
		fail "no valid Date"
	[ "$(mail_check "$eml" 'longest <= 78 and not bare_lf')" = True ] ||
		fail "a line is longer than 78 characters or ends in a bare LF"
	mail_check "$eml" 'body' >"$T/body.txt"
	grep -qF "$(sha256sum <"$T/alice.zip" | cut -d' ' -f1)" "$T/body.txt" ||
		fail "body lacks the package's SHA-256"
	grep -qF "$(openssl x509 -in "$T/out/keys/portex.crt" -noout -fingerprint -sha256 | cut -d= -f2)" \
		"$T/body.txt" || fail "body lacks the certificate fingerprint"
	grep -qF "You asked" "$T/body.txt" || fail "no English part"
	! grep -qF "$SMTP_PASSWORD_VALUE" "$T/stdout" "$T/stderr" "$eml" ||
		fail "the SMTP password leaked"
	grep -q "AUTH PLAIN ok tls=True" "$T/mail/auth.log" || fail "not authenticated over TLS"
	expect_exit 0 "$PORTEX" request show "$ID" $C
	expect_out "request.delivery-started"
	expect_out "request.deliver"
	expect_exit 0 "$PORTEX" audit verify $C
	smtp_stop
}

test_a_package_over_attach_max_goes_as_a_serve_link_with_its_until_date() {
	smtp_start
	serve_setup
	export SMTP_PASSWORD=$SMTP_PASSWORD_VALUE
	edit_config "c['smtp'] = {'url': 'smtp://127.0.0.1:$SMTP_PORT', 'username': 'portex', 'password': '\${SMTP_PASSWORD}', 'from': 'dpo@editions.example', 'ca_file': '$T/smtp.crt', 'attach_max_bytes': 1000}"
	C="--config $T/demo.json"
	serve_start
	[ "$(create "$ALICE")" = 202 ] || fail "POST: $(cat "$T/body")"
	ID=$(body 'j["id"]')
	wait_status "$ID" ready
	pkg=$T/out/packages/portex-request-$ID.zip
	# No public address for links: a config error, nothing sent.
	expect_exit 78 "$PORTEX" request deliver "$ID" --method email $C
	expect_err "/serve/public_url"
	[ ! -f "$T/mail/1.eml" ] || fail "a message left"
	[ "$(status_of "$ID")" = exported ] || fail "status changed"
	edit_config "c['serve']['public_url'] = '$BASE/'"
	expect_exit 0 "$PORTEX" request deliver "$ID" --method email $C --json
	[ "$(jget "$T/stdout" 'j["delivery"]["attached"]')" = False ] || fail "recorded as attached"
	local eml=$T/mail/1.eml
	[ "$(mail_check "$eml" 'len(atts)')" = 0 ] || fail "the package was attached"
	mail_check "$eml" 'body' >"$T/body.txt"
	url=$(grep -o "$BASE/v1/exports/$ID/package?expires=[0-9]*&sig=[A-Za-z0-9_-]*" "$T/body.txt" | head -1)
	[ -n "$url" ] || fail "no download link in: $(cat "$T/body.txt")"
	[ "$(curl -s -o "$T/got.zip" -w '%{http_code}' "$url")" = 200 ] || fail "the link does not download"
	cmp -s "$T/got.zip" "$pkg" || fail "the link gives another file"
	expect_exit 0 "$PORTEX" verify "$T/got.zip"
	# The until lines are the manifest's retrievable_until, in words.
	unpack "$pkg" "$T/pkg"
	/usr/bin/python3 - "$T/pkg/manifest.json" "$T/body.txt" <<'PY' || fail "until line: $(grep -i 'jusqu\|until' "$T/body.txt")"
import json, sys
y, m, d = map(int, json.load(open(sys.argv[1]))["retrievable_until"].split("-"))
mois = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre"]
months = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
body = open(sys.argv[2]).read()
assert f"jusqu'au {d}{'er' if d == 1 else ''} {mois[m - 1]} {y}." in body
assert f"retrieved until {d} {months[m - 1]} {y}." in body
PY
	[ "$(status_of "$ID")" = delivered ] || fail "not delivered"
	serve_stop
	smtp_stop
}

test_refused_recipient_is_an_error_and_the_request_stays_exported() {
	smtp_start --refuse nobody@example.org
	mail_setup
	expect_exit 65 "$PORTEX" request deliver "$ID" --method email $C \
		--to nobody@example.org
	expect_err "refused the message: 550 5.1.1 <nobody@example.org>: Recipient address rejected"
	[ "$(status_of "$ID")" = exported ] || fail "marked delivered"
	[ "$(jget "$T/show.json" 'j["delivery"]["state"]')" = failed ] ||
		fail "failure not recorded"
	[ ! -e "$T/mail/1.eml" ] || fail "a message was stored"
	smtp_stop
}

test_wrong_smtp_password_is_a_clear_error_and_nothing_is_delivered() {
	smtp_start
	mail_setup
	export SMTP_PASSWORD=wrong-password-value
	expect_exit 78 "$PORTEX" request deliver "$ID" --method email $C
	expect_err "refused the credentials (smtp.username, smtp.password): 535"
	! grep -qF wrong-password-value "$T/stderr" || fail "password in stderr"
	[ "$(status_of "$ID")" = exported ] || fail "marked delivered"
	[ ! -e "$T/mail/1.eml" ] || fail "a message was stored"
	smtp_stop
}

test_server_down_is_unavailable_and_nothing_is_delivered() {
	smtp_start
	mail_setup
	smtp_stop
	expect_exit 69 "$PORTEX" request deliver "$ID" --method email $C
	expect_err "SMTP server smtp://127.0.0.1:$SMTP_PORT cannot be reached"
	[ "$(status_of "$ID")" = exported ] || fail "marked delivered"
}

test_server_without_starttls_is_refused_before_anything_is_sent() {
	smtp_start --no-tls
	mail_setup
	expect_exit 69 "$PORTEX" request deliver "$ID" --method email $C
	expect_err "does not offer STARTTLS, which portex requires: nothing was sent"
	[ ! -e "$T/mail/1.eml" ] || fail "a message went out in clear"
	[ ! -e "$T/mail/auth.log" ] || fail "credentials were offered in clear: $(cat "$T/mail/auth.log")"
	[ "$(status_of "$ID")" = exported ] || fail "marked delivered"
	smtp_stop
}

test_a_send_with_unknown_outcome_is_not_repeated_without_resend() {
	smtp_start
	mail_setup
	# What a crash after recording the Message-ID leaves behind.
	sql "UPDATE px_requests SET delivery = '{\"method\":\"email\",\"state\":\"sending\",\"message_id\":\"<x@editions.example>\",\"to\":\"alice.martin@example.org\",\"started_at\":\"2026-12-01T10:00:00Z\"}' WHERE id = $ID"
	expect_exit 65 "$PORTEX" request deliver "$ID" --method email $C
	expect_err "an email (Message-ID <x@editions.example>) was being sent to alice.martin@example.org"
	[ ! -e "$T/mail/1.eml" ] || fail "a second copy was sent"
	expect_exit 0 "$PORTEX" request deliver "$ID" --method email $C --resend
	[ -e "$T/mail/1.eml" ] || fail "--resend did not send"
	[ "$(status_of "$ID")" = delivered ] || fail "not delivered"
	smtp_stop
}

# A server that accepts the connection and never says a word: SIGTERM
# ends the wait with 130, nothing is delivered.
test_sigterm_while_a_silent_smtp_server_keeps_portex_waiting_exits_130() {
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$T/silent.port" &
	SILENT=$!
	trap 'kill $SILENT 2>/dev/null || true' EXIT
	for _ in $(seq 100); do
		[ -s "$T/silent.port" ] && break
		sleep 0.1
	done
	SMTP_PORT=$(cat "$T/silent.port")
	mail_setup
	timeout -s KILL 30 "$PORTEX" request deliver "$ID" --method email $C \
		>"$T/stdout" 2>"$T/stderr" &
	local pid=$! rc=0
	for _ in $(seq 100); do
		ss -tn 2>/dev/null | grep -q ":$SMTP_PORT .*ESTAB\|ESTAB.*:$SMTP_PORT " && break
		sleep 0.05
	done
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 130 ] || fail "exit $rc, expected 130: $(cat "$T/stderr")"
	expect_err "interrupted: while sending through SMTP server smtp://127.0.0.1:$SMTP_PORT"
	[ "$(status_of "$ID")" = exported ] || fail "marked delivered"
}

test_encrypted_package_password_goes_in_a_second_message_only() {
	smtp_start
	mail_setup
	printf 'Tr0ub4dor-pkg\n' >"$T/pw"
	expect_exit 0 "$PORTEX" request deliver "$ID" --method email $C \
		--password-file "$T/pw" --json
	[ -e "$T/mail/2.eml" ] || fail "no second message"
	! grep -qF Tr0ub4dor-pkg "$T/mail/1.eml" || fail "password in the package's message"
	[ "$(mail_check "$T/mail/2.eml" '"Tr0ub4dor-pkg" in body and not atts')" = True ] ||
		fail "second message lacks the password or carries a file"
	[ "$(mail_check "$T/mail/1.eml" 'm["Message-ID"] != email.message_from_bytes(open(sys.argv[1].replace("1.eml","2.eml"),"rb").read())["Message-ID"]')" = True ] ||
		fail "both messages share a Message-ID"
	! grep -qF Tr0ub4dor-pkg "$T/stdout" "$T/stderr" || fail "password printed"
	smtp_stop
}

test_email_delivery_of_a_request_not_exported_is_refused_first() {
	demo_setup
	ledger_new
	edit_config "c['ledger'] = '$LEDGER'"
	C="--config $T/demo.json"
	id=$(add_request "$(today)")
	expect_unchanged expect_exit 65 "$PORTEX" request deliver "$id" --method email $C
	expect_err "it cannot become delivered"
}

# remind: overdue, due soon and long-suspended requests, in deadline order.
remind_setup() {
	demo_setup
	ledger_new
	edit_config "c['ledger'] = '$LEDGER'"
	C="--config $T/demo.json"
	OVERDUE=$(add_request "$(days_ago 45)")
	SOON=$(add_request "$(days_ago 27)")
	LATER=$(add_request "$(today)")
	WAITING=$(add_request "$(days_ago 20)")
	"$PORTEX" request identity "$WAITING" --ask --date "$(days_ago 12)" $C >/dev/null ||
		fail "identity --ask"
	DONE=$(add_request "$(days_ago 50)")
	"$PORTEX" request reject "$DONE" --reason "not a subject" $C >/dev/null ||
		fail "reject"
}

test_remind_lists_exactly_overdue_soon_and_waiting_in_deadline_order() {
	remind_setup
	expect_exit 1 "$PORTEX" request remind --within 7 --dry-run $C --json
	[ "$(jget "$T/stdout" '[r["id"] for r in j["requests"]]')" = \
		"[$OVERDUE, $WAITING, $SOON]" ] &&
		[ "$(jget "$T/stdout" '[r["kind"] for r in j["requests"]]')" = \
			"['overdue', 'awaiting_identity', 'due_soon']" ] ||
		[ "$(jget "$T/stdout" '[r["id"] for r in j["requests"]]')" = \
			"[$OVERDUE, $SOON, $WAITING]" ] ||
		fail "wrong requests or order: $(cat "$T/stdout")"
	[ "$(jget "$T/stdout" 'j["overdue"]')" = 1 ] || fail "overdue count"
	expect_exit 1 "$PORTEX" request remind --within 7 --dry-run $C
	expect_out "#$OVERDUE  OVERDUE"
	expect_out "missing: identity check or export"
	expect_out "#$WAITING  awaiting identity since $(days_ago 12)"
	! grep -q "#$LATER " "$T/stdout" || fail "a request far from its limit is listed"
	! grep -q "#$DONE " "$T/stdout" || fail "a closed request is listed"
}

test_remind_exits_0_when_nothing_is_overdue_and_mails_the_officer() {
	smtp_start
	remind_setup
	"$PORTEX" request reject "$OVERDUE" --reason "duplicate" $C >/dev/null ||
		fail "reject"
	export SMTP_PASSWORD=$SMTP_PASSWORD_VALUE
	edit_config "c['smtp'] = {'url': 'smtp://127.0.0.1:$SMTP_PORT', 'username': 'portex', 'password': '\${SMTP_PASSWORD}', 'from': 'portex@editions.example', 'ca_file': '$T/smtp.crt', 'officer': 'officer@editions.example'}"
	expect_exit 0 "$PORTEX" request remind --within 7 $C
	expect_err "digest sent to officer@editions.example"
	[ "$(cat "$T/mail/1.eml.rcpt")" = officer@editions.example ] || fail "recipient"
	mail_check "$T/mail/1.eml" 'body' | grep -q "#$SOON  due soon" ||
		fail "digest lacks the soon-due request"
	smtp_stop
}

test_remind_with_nothing_to_report_sends_nothing() {
	demo_setup
	ledger_new
	edit_config "c['ledger'] = '$LEDGER'"
	add_request "$(today)" >/dev/null
	expect_exit 0 "$PORTEX" request remind --config "$T/demo.json"
	expect_out "nothing overdue or due soon"
}

test_smtp_section_errors_name_the_json_path() {
	demo_setup
	ledger_new
	edit_config "c['ledger'] = '$LEDGER'; c['smtp'] = {'url': 'http://mail.example', 'from': 'x@example.org'}"
	C="--config $T/demo.json"
	remind_id=$(add_request "$(days_ago 45)")
	expect_exit 78 "$PORTEX" request remind $C
	expect_err "/smtp/url: expected smtps://HOST[:PORT] or smtp://HOST[:PORT] (STARTTLS is required)"
}

test_misspelt_smtp_key_is_refused_with_the_nearest_one() {
	demo_setup
	ledger_new
	edit_config "c['ledger'] = '$LEDGER'; c['smtp'] = {'url': 'smtps://mail.example', 'from': 'x@example.org', 'ofticer': 'dpo@example.org'}"
	expect_exit 78 "$PORTEX" request remind --config "$T/demo.json"
	expect_err "/smtp"
	expect_err "officer"
}

run_tests
