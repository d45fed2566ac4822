#!/usr/bin/python3
"""A real SMTP server for the tests (aiosmtpd), on 127.0.0.1.

STARTTLS offered and required before MAIL (unless --no-tls), AUTH PLAIN/LOGIN
required after TLS, one fixed account. Every accepted message is written to
MAILDIR/N.eml, every AUTH attempt to MAILDIR/auth.log; the answer to DATA is "250 2.0.0 Ok: queued as PXN".
Recipients listed with --refuse get 550. Writes the port to --port-file once
listening, and runs until killed.
"""
import argparse
import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, maildir, refuse):
        self.maildir = maildir
        self.refuse = set(refuse)
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.maildir, "%d.eml" % self.count)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(path + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos) + "\n")
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Ok: queued as PX%d" % self.count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--user", default="portex")
    ap.add_argument("--password", default="s3cret-smtp")
    ap.add_argument("--refuse", action="append", default=[])
    ap.add_argument("--no-tls", action="store_true")
    a = ap.parse_args()

    def auth(server, session, envelope, mechanism, data):
        ok = (data.login.decode() == a.user and
              data.password.decode() == a.password)
        with open(os.path.join(a.maildir, "auth.log"), "a") as f:
            f.write("AUTH %s %s tls=%s\n" % (mechanism, "ok" if ok else "refused",
                                              session.ssl is not None))
        # handled=False: the server answers 535 itself (True means "already
        # answered", and the client would wait forever).
        return AuthResult(success=ok, handled=False)

    kwargs = dict(authenticator=auth, auth_required=True)
    if a.no_tls:
        kwargs.update(auth_require_tls=False)
    else:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kwargs.update(tls_context=ctx, require_starttls=True,
                      auth_require_tls=True)
    # aiosmtpd checks readiness by connecting to the port it was given, so
    # it needs a real one: take a free port from the kernel first.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    ctl = Controller(Handler(a.maildir, a.refuse), hostname="127.0.0.1",
                     port=port, **kwargs)
    ctl.start()
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        while True:
            time.sleep(3600)
    finally:
        ctl.stop()


if __name__ == "__main__":
    sys.exit(main())
