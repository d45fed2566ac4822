#!/usr/bin/python3
"""A small Learning Record Store for portex transmit's tests (stdlib only).

Implements the parts of the xAPI 1.0.3 Statement API a sender meets, with
the spec's rules enforced:
  POST /xapi/statements   one statement or an array; needs
                          X-Experience-API-Version 1.0.x (else 400) and
                          HTTP Basic credentials (else 401); a batch is
                          stored whole or not at all: an id it already
                          holds with a different statement -> 409 and
                          nothing stored; every id already held with the
                          same statement -> 204; else 200 with the ids.
                          An id given twice in one batch, or a statement
                          without actor/verb/object -> 400.
  GET  /xapi/statements[?statementId=ID]   the stored statements
  GET  /xapi/about        {"version": ["1.0.3"]}
Statements are compared as JSON values, ignoring authority, stored and
version (which an LRS may set itself).
Every response carries X-Experience-API-Version: 1.0.3.

The store is a JSON file (--store), so the LRS can be stopped and
restarted between runs. --log appends one line per POST: "N FIRST_ID
STATUS". Faults: --drop-after K stores the K-th POST, then closes the
connection without answering and exits (an LRS that goes away mid-batch);
--bad-answer makes every POST answer 200 with an HTML page; --no-version
omits the version header; --new-ids-only answers 200 with the ids of
the statements it stored now only (as some LRSs do); --forget-last
drops the last statement of each batch yet answers 200 with the others'
ids; --hang never answers a POST.
--port P listens on P again after a restart (else an ephemeral port).

OAuth2 (--client-id ID --client-secret S; then the Statement API takes a
bearer token instead of Basic credentials):
  POST /oauth/token       RFC 6749 4.4: form grant_type=client_credentials
                          (else 400 unsupported_grant_type), the client
                          authenticated with HTTP Basic (else 401
                          invalid_client); --scope X: the form's scope must
                          be X (else 400 invalid_scope). Answers
                          {access_token, token_type: Bearer, expires_in}.
  --expires-in N          the expires_in announced (default 3600);
  --token-uses K          each token is accepted for K Statement API
                          requests, then 401 (a token that expired or was
                          revoked early; 0: refused from the start).
  --token-log F           one line per event: "grant N", "refused ...",
                          "401 expired".
Retry-After (--busy K --retry-after V): the first K POSTs to statements are
answered --busy-status (503) with Retry-After V; V "date+N" is an HTTP date
N seconds ahead; "V1,V2" gives V1 to the first busy answer, V2 to the next. A POST arriving before the time it was given is logged
"early" (in --log) and answered 429 again.
Usage: lrs.py --port-file F --store F --user U --password P [--log F] ...
"""
import argparse
import base64
import email.utils
import json
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

IGNORED = ("authority", "stored", "version")


def same(a, b):
    strip = lambda s: {k: v for k, v in s.items() if k not in IGNORED}
    return strip(a) == strip(b)


class LRS(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body=None, ctype="application/json", headers=()):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if not ARGS.no_version:
            self.send_header("X-Experience-API-Version", "1.0.3")
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status != 204:
            self.wfile.write(data)

    def checks(self):
        v = self.headers.get("X-Experience-API-Version", "")
        if not v.startswith("1.0."):
            self.answer(400, {"error": "X-Experience-API-Version missing or not 1.0.x: %r" % v})
            return False
        got = self.headers.get("Authorization", "")
        if ARGS.client_id:
            with LOCK:
                uses = TOKENS.get(got[7:]) if got.startswith("Bearer ") else None
                if uses is None or uses <= 0:
                    token_log("401 %s" % ("expired" if uses is not None else "unknown token"))
                    self.answer(401, {"error": "bearer token expired or unknown"})
                    return False
                TOKENS[got[7:]] = uses - 1
            return True
        want = "Basic " + base64.b64encode(("%s:%s" % (ARGS.user, ARGS.password)).encode()).decode()
        if got != want:
            self.answer(401, {"error": "credentials refused"})
            return False
        return True

    def token(self, raw):
        form = parse_qs(raw.decode(errors="replace"))
        if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return self.answer(400, {"error": "invalid_request", "error_description": "expected a form"})
        want = "Basic " + base64.b64encode(("%s:%s" % (ARGS.client_id, ARGS.client_secret)).encode()).decode()
        if self.headers.get("Authorization", "") != want:
            token_log("refused client")
            # Echoes what it was sent, as careless servers do: portex
            # must not show it.
            return self.answer(401, {"error": "invalid_client", "got": self.headers.get("Authorization", "")},
                               headers=[("WWW-Authenticate", 'Basic realm="lrs"')])
        if form.get("grant_type") != ["client_credentials"]:
            token_log("refused grant %r" % form.get("grant_type"))
            return self.answer(400, {"error": "unsupported_grant_type"})
        if ARGS.scope and form.get("scope") != [ARGS.scope]:
            token_log("refused scope %r" % form.get("scope"))
            return self.answer(400, {"error": "invalid_scope"})
        with LOCK:
            STATE["grants"] += 1
            tok = "tok-%d-%s" % (STATE["grants"], uuid.uuid4().hex)
            TOKENS[tok] = ARGS.token_uses
            token_log("grant %d" % STATE["grants"])
        self.answer(200, {"access_token": tok, "token_type": "Bearer", "expires_in": ARGS.expires_in})

    def busy(self):
        """True when this POST was answered 'busy' (Retry-After)."""
        with LOCK:
            early = time.time() < STATE["not_before"]
            if not early and STATE["busy"] >= ARGS.busy:
                return False
            if early:
                log(0, "-", "early")
                status = 429
            else:
                STATE["busy"] += 1
                status = ARGS.busy_status
            values = ARGS.retry_after.split(",")
            v = values[(STATE["busy"] - 1) % len(values)]
            if v.startswith("date+"):
                when = int(time.time()) + int(v[5:])
                v = email.utils.formatdate(when, usegmt=True)
                STATE["not_before"] = when
            else:
                try:
                    STATE["not_before"] = time.time() + float(v)
                except ValueError:
                    STATE["not_before"] = 0
        self.answer(status, {"error": "busy, come back later"}, headers=[("Retry-After", v)])
        return True

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/xapi/about":
            return self.answer(200, {"version": ["1.0.3"]})
        if url.path != "/xapi/statements":
            return self.answer(404, {"error": "not found"})
        if not self.checks():
            return
        store = load()
        q = parse_qs(url.query)
        if "statementId" in q:
            s = store.get(q["statementId"][0])
            return self.answer(200, s) if s else self.answer(404, {"error": "no such statement"})
        self.answer(200, {"statements": list(store.values()), "more": ""})

    def do_POST(self):
        url = urlsplit(self.path)
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        if url.path == "/oauth/token" and ARGS.client_id:
            return self.token(raw)
        if url.path != "/xapi/statements":
            return self.answer(404, {"error": "not found"})
        if not self.checks():
            return
        if ARGS.busy and self.busy():
            return
        if ARGS.hang:
            time.sleep(60)  # a sender killed meanwhile never hears back
        try:
            body = json.loads(raw)
        except ValueError as e:
            return self.answer(400, {"error": "not JSON: %s" % e})
        batch = body if isinstance(body, list) else [body]
        ids = []
        for s in batch:
            if not isinstance(s, dict) or not all(k in s for k in ("actor", "verb", "object")):
                return self.answer(400, {"error": "a statement lacks actor, verb or object"})
            s.setdefault("id", str(uuid.uuid4()))
            if s["id"] in ids:
                return self.answer(400, {"error": "id %s twice in one batch" % s["id"]})
            ids.append(s["id"])
        store = load()
        for s in batch:
            if s["id"] in store and not same(store[s["id"]], s):
                log(len(batch), ids[0], 409)
                return self.answer(409, {"error": "statement %s exists with different content" % s["id"]})
        new = [s for s in batch if s["id"] not in store]
        if ARGS.forget_last and len(new) > 1:
            new = new[:-1]  # a lying LRS: says 200 but loses one
            ids = [s["id"] for s in batch[:-1]]
        if ARGS.new_ids_only:
            ids = [s["id"] for s in new]
        for s in new:
            s["stored"] = "2026-01-01T00:00:00.000Z"
            store[s["id"]] = s
        save(store)
        STATE["posts"] += 1
        if ARGS.drop_after and STATE["posts"] >= ARGS.drop_after:
            log(len(batch), ids[0], "dropped")
            self.close_connection = True
            self.connection.shutdown(2)
            os._exit(0)
        if ARGS.bad_answer:
            log(len(batch), ids[0], 200)
            return self.answer(200, b"<html>OK</html>", "text/html")
        status = 200 if new else 204
        log(len(batch), ids[0], status)
        self.answer(status, ids if status == 200 else None)


def load():
    try:
        with open(ARGS.store) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def save(store):
    tmp = ARGS.store + ".tmp"
    with open(tmp, "w") as f:
        json.dump(store, f)
    os.replace(tmp, ARGS.store)


def log(n, first, status):
    if ARGS.log:
        with open(ARGS.log, "a") as f:
            f.write("%d %s %s\n" % (n, first, status))


def token_log(line):
    if ARGS.token_log:
        with open(ARGS.token_log, "a") as f:
            f.write(line + "\n")


STATE = {"posts": 0, "grants": 0, "busy": 0, "not_before": 0}
TOKENS = {}
LOCK = threading.Lock()

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log")
    p.add_argument("--drop-after", type=int, default=0)
    p.add_argument("--bad-answer", action="store_true")
    p.add_argument("--no-version", action="store_true")
    p.add_argument("--new-ids-only", action="store_true")
    p.add_argument("--forget-last", action="store_true")
    p.add_argument("--hang", action="store_true")
    p.add_argument("--client-id")
    p.add_argument("--client-secret")
    p.add_argument("--scope")
    p.add_argument("--expires-in", type=int, default=3600)
    p.add_argument("--token-uses", type=int, default=1000000)
    p.add_argument("--token-log")
    p.add_argument("--busy", type=int, default=0)
    p.add_argument("--busy-status", type=int, default=503)
    p.add_argument("--retry-after", default="1")
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), LRS)
    srv.daemon_threads = True
    port = srv.server_address[1]
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    print(port, flush=True)
    srv.serve_forever()
