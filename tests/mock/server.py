#!/usr/bin/python3
"""Mock partner server for portex's REST driver tests (stdlib only).

Serves, on 127.0.0.1 and an ephemeral port:
  /oauth/token, /v1/...         Polylearn, as tests/mock/CONTRACT.md says
  /skillhub/api/...             Skillhub, a second, different partner
                                (API key header, cursor pagination)
  /tallis/...                   Tallis, a third partner in yet another style
                                (tallis.py: sub-resources, body next links,
                                async export, documents by URL, mTLS)
  /generic/...                  a test partner for page/offset pagination
                                and bearer / basic / query API key auth
  /_stats, /_control, /_reset   test control (never used by portex)

HTTP/1.1 with keep-alive; counts the TCP connections that carried partner
requests. Faults are injected with POST /_control {"fault": NAME, "times":
N, "path": SUBSTRING} or --fault NAME[:TIMES[:PATH]] (repeatable); NAME is
one of 429, 429-date, 429-huge, 500, slow, hold, expired-token, malformed,
truncated, loop, long-link, echo-secret (also on POST /oauth/token when its
path is named); Tallis (tallis.py) also knows delay, 404, big-file,
ratelimit-0, job-never-finishes, zip-bomb, zip-no-answers, zip-corrupt,
zip-unsafe, large-export. /_stats max_inflight is the most Tallis
requests answered at once. A request on hold waits (counted in /_stats
"held") until POST /_control {"release": true}, then is answered normally:
a test can act while an export is known to be in flight. Usage:
  server.py [--port-file F] [--fault ...] [--token-ttl S] [--slow-seconds S]
            [--tls-cert PEM --tls-key PEM [--client-ca PEM]]
The chosen port is printed on stdout (one line) and written to --port-file.
"""
import argparse
import contextlib
import base64
import email.utils
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

from tallis import TALLIS  # the second partner's own style (tallis.py)

CLIENT_ID = "portex-test-client"
CLIENT_SECRET = "pl-secret-9f8e7d6c5b4a3921"
SKILLHUB_KEY = "sk-live-4b3c2d1e0f9a8b7c"
GENERIC_USER = "gen-user"
GENERIC_PASS = "gen-pass-77aa0c1d"
GENERIC_TOKEN = "gen-token-55bb9e2f"
GENERIC_KEY = "gen-key-31cc8d4a"

T0 = 1700000000  # 2023-11-14T22:13:20Z


def cert_pdf(name):
    return b"%PDF-1.4\n% portex test certificate for " + name.encode() + b"\n%%EOF\n"


# Polylearn's learners. Emails match case-insensitively.
LEARNERS = {
    "alice@example.org": {
        "id": "pl_7f3a",
        "first_name": "Alice",
        "last_name": "Martin",
        "locale": "fr-FR",
        "created_at": T0,
        "licences": [
            {"product_code": "ORIGAMI-PRO", "product_name": "Origami Pro",
             "organisation": {"name": "Lycee Jean Moulin"},
             "valid_from": T0, "valid_until": T0 + 365 * 86400,
             "state": "active"},
            {"product_code": "ORIGAMI-TRIAL", "product_name": "Origami Trial",
             "organisation": None, "valid_from": T0 - 30 * 86400,
             "valid_until": T0, "state": "expired"},
        ],
        "progress": [
            {"course_id": "c-101", "course_title": "Les bases du pli",
             "module": "m1", "state": "COMPLETED", "percent": 100,
             "seconds_spent": 5400, "started_at_ms": T0 * 1000 + 250,
             "completed_at_ms": (T0 + 86400) * 1000,
             "updated_at_ms": (T0 + 86400) * 1000},
            {"course_id": "c-102", "course_title": "Plis avances",
             "module": None, "state": "IN_PROGRESS", "percent": 42.5,
             "seconds_spent": 1200, "started_at_ms": (T0 + 2 * 86400) * 1000,
             "completed_at_ms": None, "updated_at_ms": (T0 + 3 * 86400) * 1000},
            {"course_id": "c-103", "course_title": "Grues", "module": None,
             "state": "NOT_STARTED", "percent": 0, "seconds_spent": 0,
             "started_at_ms": None, "completed_at_ms": None,
             "updated_at_ms": (T0 + 3 * 86400) * 1000},
        ],
        "scores": [
            {"test_id": "t-1", "test_title": "Quiz 1", "score": 17.5,
             "max_score": 20, "passed": True, "attempt": 1,
             "taken_at_ms": (T0 + 3600) * 1000},
            {"test_id": "t-2", "test_title": "Examen blanc", "score": 8,
             "max_score": 20, "passed": False, "attempt": 2,
             "taken_at_ms": (T0 + 7200) * 1000 + 500},
        ],
        "answers": [
            {"question_id": "q-1", "test_id": "t-1", "prompt": "Combien de plis ?",
             "response": "3", "is_correct": True, "points": 1, "attempt": 1,
             "submitted_at_ms": (T0 + 3500) * 1000},
            {"question_id": "q-2", "test_id": "t-1", "prompt": "Lesquels ?",
             "response": ["valley", "mountain"], "is_correct": False,
             "points": 0.5, "attempt": 1, "submitted_at_ms": (T0 + 3550) * 1000},
            {"question_id": "q-3", "test_id": "t-1", "prompt": "Angle ?",
             "response": {"degrees": 22.5}, "is_correct": True, "points": 1,
             "attempt": 1, "submitted_at_ms": (T0 + 3590) * 1000},
        ],
        "certifications": [
            {"certificate_id": "cert-1", "title": "Les bases du pli",
             "file_name": "certificat-bases.pdf", "media_type": "application/pdf",
             "issued_at": T0 + 86400,
             "pdf_base64": base64.b64encode(cert_pdf("Alice Martin")).decode()},
        ],
    },
    "bob@example.org": {
        "id": "pl_b0b2", "first_name": "Bob", "last_name": "Durand",
        "locale": "fr-FR", "created_at": T0 + 10,
        "licences": [{"product_code": "BOB-ONLY-PRODUCT",
                      "product_name": "Bob's product", "organisation": None,
                      "valid_from": T0, "valid_until": None, "state": "active"}],
        "progress": [], "scores": [
            {"test_id": "t-bob", "test_title": "Bob secret quiz", "score": 3,
             "max_score": 20, "passed": False, "attempt": 1,
             "taken_at_ms": T0 * 1000}],
        "answers": [], "certifications": [],
    },
    "many@example.org": {
        "id": "pl_many", "first_name": "Many", "last_name": "Pages",
        "locale": "en-GB", "created_at": T0, "licences": [], "progress": [],
        "scores": [], "answers": None,  # generated: MANY_ANSWERS items
        "certifications": [],
    },
}
# MOCK_MANY_ANSWERS: another count, for a test comparing two lengths.
MANY_ANSWERS = int(os.environ.get("MOCK_MANY_ANSWERS", 10000))
# The SQLite demo's learner, for the three-source export test.
LEARNERS["alice.martin@example.org"] = dict(LEARNERS["alice@example.org"],
                                            id="pl_a11c")


def many_answer(i):
    return {"question_id": "q-%05d" % i, "test_id": "t-big",
            "prompt": "Question %d" % i, "response": i % 4,
            "is_correct": i % 3 == 0, "points": 1, "attempt": 1,
            "submitted_at_ms": (T0 + i) * 1000}


# Skillhub's users (integer ids; times as ISO strings or epoch seconds).
SKILLHUB = {
    "alice@example.org": {
        "uid": 4242,
        "activity": [{"id": 9000 + i, "ts": T0 + i * 3600,
                      "kind": "login" if i % 2 == 0 else "logout",
                      "ip": "192.0.2.%d" % (10 + i), "ua": "Firefox/120",
                      "duration": 60 * i} for i in range(7)],
        # amounts as JSON numbers whose digits must survive exactly
        "orders": [{"ref": "SO-1", "sku": "BOOK-ORIGAMI", "qty": 1,
                    "total": "19.90", "cur": "EUR", "at": T0},
                   {"ref": "SO-2", "sku": "BULK-LICENCES", "qty": 3,
                    "total": "1234567890123456789.01", "cur": "EUR",
                    "at": T0 + 60}],
    },
}

GENERIC_ITEMS = [{"n": i, "label": "item %d" % i, "at": T0 + i}
                 for i in range(1, 26)]


class State:
    def __init__(self, token_ttl, slow_seconds):
        self.lock = threading.Lock()
        self.token_ttl = token_ttl
        self.slow_seconds = slow_seconds
        self.released = threading.Event()
        self.reset()

    def reset(self):
        self.tokens = {}  # token -> expiry (monotonic)
        self.faults = []  # [name, times left, path substring]
        self.stats = {"connections": 0, "requests": 0, "tokens_issued": 0,
                      "unauthorized": 0, "faults_served": 0,
                      "ratelimited": 0, "max_inflight": 0,
                      "jwt_verified": 0, "held": 0}
        self.inflight = 0
        self.jwt_public_key = None  # PEM path: Tallis takes client JWTs
        self.jwt_kid = None  # the kid those JWTs must name, when set

    def take_fault(self, path, explicit=False):
        """The fault to serve on path; explicit: only one naming a path."""
        with self.lock:
            for f in self.faults:
                if f[1] != 0 and f[2] in path and (f[2] or not explicit):
                    if f[1] > 0:
                        f[1] -= 1
                    self.stats["faults_served"] += 1
                    return f[0]
        return None


STATE = None


def page_link(handler, page, per_page):
    u = urlsplit(handler.path)
    q = {k: v[-1] for k, v in parse_qs(u.query).items()}
    q["page"] = str(page)
    q["per_page"] = str(per_page)
    qs = "&".join("%s=%s" % (quote(k), quote(v)) for k, v in q.items())
    return "<%s?%s>; rel=\"next\"" % (u.path, qs)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "portex-mock/1"
    # headers and body go out in two writes: without this, Nagle plus the
    # client's delayed ACK cost 40 ms per response on a kept-alive socket
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.counted = False

    def log_message(self, fmt, *args):  # quiet unless asked
        if os.environ.get("MOCK_VERBOSE"):
            sys.stderr.write("mock: " + fmt % args + "\n")

    # -- plumbing -------------------------------------------------------
    def send_json(self, status, obj, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_raw(self, status, body, ctype, headers=None):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if status != 204:
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def count(self):
        if not self.counted:
            self.counted = True
            with STATE.lock:
                STATE.stats["connections"] += 1
        with STATE.lock:
            STATE.stats["requests"] += 1

    @contextlib.contextmanager
    def in_flight(self):
        """Counts requests being answered at once (max_inflight)."""
        with STATE.lock:
            STATE.inflight += 1
            STATE.stats["max_inflight"] = max(STATE.stats["max_inflight"],
                                              STATE.inflight)
        try:
            yield
        finally:
            with STATE.lock:
                STATE.inflight -= 1

    def query(self):
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    # -- faults ---------------------------------------------------------
    def fault(self, name):
        """Serves fault `name`; returns True when the answer was sent."""
        if name == "429":
            self.send_json(429, {"error": "rate_limited"}, {"Retry-After": "1"})
        elif name == "429-huge":
            # a partner's number far past any long: must not be UB
            self.send_json(429, {"error": "rate_limited"}, {"Retry-After": "1e300"})
        elif name == "429-date":
            when = email.utils.formatdate(time.time() + 2, usegmt=True)
            self.send_json(429, {"error": "rate_limited"}, {"Retry-After": when})
        elif name == "500":
            self.send_json(500, {"error": "internal", "detail": "try again"})
        elif name == "slow":
            time.sleep(STATE.slow_seconds)
            return False  # then answer normally, far too late
        elif name == "hold":
            with STATE.lock:
                STATE.stats["held"] += 1
            STATE.released.wait()
            with STATE.lock:
                STATE.stats["held"] -= 1
            return False  # then answer normally
        elif name == "malformed":
            self.send_json(200, None, raw=b'{"data": [{"id": 1,, "oops"')
        elif name == "truncated":
            body = b'{"data": [{"question_id": "q-1", "response": "a lo'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 500))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
        elif name == "echo-secret":
            echo = {k: v for k, v in self.headers.items()
                    if k.lower() in ("authorization", "x-api-key")}
            echo["query"] = urlsplit(self.path).query
            self.send_json(400, {"error": "bad_request", "you_sent": echo})
        else:
            return False
        return True

    # -- routes ---------------------------------------------------------
    def do_POST(self):
        u = urlsplit(self.path)
        if u.path == "/_control":
            cfg = json.loads(self.read_body() or b"{}")
            if cfg.get("release"):
                STATE.released.set()
            with STATE.lock:
                if "fault" in cfg:
                    STATE.faults.append([cfg["fault"], cfg.get("times", 1),
                                         cfg.get("path", "")])
                if "token_ttl" in cfg:
                    STATE.token_ttl = cfg["token_ttl"]
                if "jwt_public_key" in cfg:  # Tallis private_key_jwt
                    STATE.jwt_public_key = cfg["jwt_public_key"]
                if "jwt_kid" in cfg:
                    STATE.jwt_kid = cfg["jwt_kid"]
            return self.send_json(200, {"ok": True})
        if u.path == "/_reset":
            self.read_body()
            with STATE.lock:
                STATE.reset()
            TALLIS.reset()
            return self.send_json(200, {"ok": True})
        self.count()
        if u.path.startswith("/tallis/"):
            with self.in_flight():
                return TALLIS.handle(self, "POST", STATE, STATE.take_fault(u.path))
        if u.path == "/oauth/token":
            if STATE.take_fault(u.path, explicit=True) == "echo-secret":
                # a token endpoint echoing the credentials it got, early
                # in the body so that they fall in portex's snippet
                form = self.read_body().decode()
                sec = form.partition("client_secret=")[2].partition("&")[0]
                return self.send_json(400, {
                    "error": "invalid_request",
                    "auth": self.headers.get("Authorization", ""),
                    "form_secret": sec})
            return self.token()
        self.read_body()
        self.send_json(405, {"error": "method_not_allowed"})

    def token(self):
        form = {k: v[-1] for k, v in parse_qs(self.read_body().decode()).items()}
        cid, sec = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            cid, _, sec = base64.b64decode(auth[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials":
            return self.send_json(400, {"error": "unsupported_grant_type"})
        if cid != CLIENT_ID or sec != CLIENT_SECRET:
            return self.send_json(401, {"error": "invalid_client"})
        tok = "plt_" + secrets.token_hex(16)
        with STATE.lock:
            STATE.tokens[tok] = time.monotonic() + STATE.token_ttl
            STATE.stats["tokens_issued"] += 1
            ttl = STATE.token_ttl
        self.send_json(200, {"access_token": tok, "token_type": "Bearer",
                             "expires_in": ttl})

    def do_GET(self):
        u = urlsplit(self.path)
        if u.path == "/_stats":
            with STATE.lock:
                return self.send_json(200, dict(STATE.stats,
                                                exports_started=TALLIS.exports_started))
        self.count()
        name = STATE.take_fault(u.path)
        if name and self.fault(name):
            return
        if u.path.startswith("/v1/"):
            return self.polylearn(u.path, name)
        if u.path.startswith("/skillhub/api/"):
            return self.skillhub(u.path, name)
        if u.path.startswith("/generic/"):
            return self.generic(u.path)
        if u.path.startswith("/tallis/"):
            with self.in_flight():
                return TALLIS.handle(self, "GET", STATE, name)
        self.send_json(404, {"error": "not_found"})

    def polylearn_auth(self, fault):
        auth = self.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        with STATE.lock:
            exp = STATE.tokens.get(tok)
            if exp is not None and fault == "expired-token":
                del STATE.tokens[tok]
                exp = None
            ok = exp is not None and exp > time.monotonic()
            if not ok:
                STATE.stats["unauthorized"] += 1
        if not ok:
            self.send_json(401, {"error": "invalid_token",
                                 "error_description": "expired or unknown"},
                           {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return ok

    def polylearn(self, path, fault):
        if not self.polylearn_auth(fault):
            return
        parts = path.split("/")[2:]  # learners, ...
        q = self.query()
        if parts == ["learners", "lookup"]:
            email = (q.get("email") or "").lower()
            lr = LEARNERS.get(email)
            if not lr:
                return self.send_json(404, {"error": "not_found"})
            return self.send_json(200, {"learner": {"id": lr["id"],
                                                    "email": email}})
        by_id = {v["id"]: (k, v) for k, v in LEARNERS.items()}
        if len(parts) < 2 or parts[0] != "learners" or parts[1] not in by_id:
            return self.send_json(404, {"error": "not_found"})
        email, lr = by_id[parts[1]]
        if len(parts) == 2:
            return self.send_json(200, {
                "id": lr["id"], "first_name": lr["first_name"],
                "last_name": lr["last_name"], "email": email,
                "locale": lr["locale"], "created_at": lr["created_at"]})
        coll = parts[2] if len(parts) == 3 else None
        if coll not in ("licences", "progress", "scores", "answers",
                        "certifications"):
            return self.send_json(404, {"error": "not_found"})
        try:
            page = int(q.get("page", "1"))
            per_page = min(int(q.get("per_page", "50")), 100)
        except ValueError:
            return self.send_json(400, {"error": "bad page"})
        items = lr[coll]
        total = MANY_ANSWERS if items is None else len(items)
        lo = (page - 1) * per_page
        hi = min(lo + per_page, total)
        data = [many_answer(i) if items is None else items[i]
                for i in range(lo, hi)]
        headers = {}
        if fault == "loop":
            headers["Link"] = page_link(self, page, per_page)
        elif hi < total:
            headers["Link"] = page_link(self, page + 1, per_page)
        if fault == "long-link":
            # a Link header far over 2 KiB, the next link last
            first = '<%s?page=1&per_page=%d&pad=%s>; rel="first"' % (
                path, per_page, "x" * 3000)
            headers["Link"] = first + (", " + headers["Link"] if "Link" in headers else "")
        self.send_json(200, {"data": data}, headers)

    def skillhub(self, path, fault):
        if self.headers.get("X-Api-Key") != SKILLHUB_KEY:
            with STATE.lock:
                STATE.stats["unauthorized"] += 1
            return self.send_json(403, {"message": "bad api key"})
        parts = path.split("/")[3:]
        q = self.query()
        if parts == ["users"]:
            u = SKILLHUB.get((q.get("email") or "").lower())
            return self.send_json(200, {"users": [{"uid": u["uid"]}] if u else []})
        by_uid = {str(v["uid"]): v for v in SKILLHUB.values()}
        if len(parts) != 3 or parts[0] != "users" or parts[1] not in by_uid:
            return self.send_json(404, {"message": "no such user"})
        items = by_uid[parts[1]].get(parts[2])
        if items is None:
            return self.send_json(404, {"message": "no such collection"})
        limit = int(q.get("limit", "100"))
        start = int(base64.urlsafe_b64decode(q["cursor"]).decode()) if "cursor" in q else 0
        chunk = items[start:start + limit]
        nxt = start + limit
        cursor = base64.urlsafe_b64encode(str(nxt).encode()).decode()
        if fault == "loop":
            cursor = q.get("cursor") or cursor
        body = json.dumps({"results": chunk,
                           "next_cursor": cursor if nxt < len(items) or fault == "loop" else None})
        # totals are JSON numbers with every digit: the driver must keep them
        for o in chunk:
            if "total" in o:
                body = body.replace('"total": "%s"' % o["total"], '"total": %s' % o["total"])
        self.send_json(200, None, raw=body.encode())

    def generic(self, path):
        auth = self.headers.get("Authorization", "")
        q = self.query()
        ok = (auth == "Bearer " + GENERIC_TOKEN or
              auth == "Basic " + base64.b64encode(
                  (GENERIC_USER + ":" + GENERIC_PASS).encode()).decode() or
              q.get("api_key") == GENERIC_KEY)
        if not ok:
            with STATE.lock:
                STATE.stats["unauthorized"] += 1
            return self.send_json(401, {"error": "unauthorized"})
        if path == "/generic/page":
            page, size = int(q.get("page", "1")), int(q.get("size", "10"))
            chunk = GENERIC_ITEMS[(page - 1) * size:page * size]
            return self.send_json(200, {"items": chunk,
                                        "meta": {"total_pages": (len(GENERIC_ITEMS) + size - 1) // size}})
        if path == "/generic/offset":
            off, lim = int(q.get("offset", "0")), int(q.get("limit", "10"))
            return self.send_json(200, {"items": GENERIC_ITEMS[off:off + lim]})
        if path == "/generic/users" and q.get("email") == "bigid@example.org":
            return self.send_json(200, None, raw=b'{"users": [{"id": 1234567890123456789012345}]}')
        if path == "/generic/users":
            ids = {"solo@example.org": ["s1"], "dupe@example.org": ["s1", "s1"],
                   "twins@example.org": ["t1", "t2"],
                   "o'hara+tag&x=y é@example.org": ["odd"]}.get(q.get("email"), [])
            return self.send_json(200, {"users": [{"id": i} for i in ids]})
        if path == "/generic/same-body":
            # three different pages whose bodies are byte for byte equal
            page = int(q.get("page", "1"))
            h = {"Link": '</generic/same-body?page=%d>; rel="next"' % (page + 1)} if page < 3 else {}
            return self.send_json(200, {"items": GENERIC_ITEMS[:1]}, h)
        if path == "/generic/bad-link":
            return self.send_json(200, {"items": GENERIC_ITEMS[:2]},
                                  {"Link": 'page=2; rel="next"'})
        if path == "/generic/bad-total":
            return self.send_json(200, {"items": GENERIC_ITEMS[:10],
                                        "meta": {"total_pages": "many"}})
        if path == "/generic/huge":
            # numbers past double and int64: their digits must survive
            return self.send_json(200, None, raw=(
                b'{"items": [{"n": 1, "label": "big", "at": 1700000000,'
                b' "big": 1e400, "int25": 1234567890123456789012345}]}'))
        if path == "/generic/ignores-page":
            return self.send_json(200, {"items": GENERIC_ITEMS[:10]})
        if path == "/generic/foreign-link":
            return self.send_json(200, {"items": GENERIC_ITEMS[:2]},
                                  {"Link": '<http://203.0.113.9/steal>; rel="next"'})
        self.send_json(404, {"error": "not_found"})


def main():
    global STATE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file")
    ap.add_argument("--fault", action="append", default=[])
    ap.add_argument("--token-ttl", type=int, default=3600)
    ap.add_argument("--slow-seconds", type=float, default=3.0)
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca", help="mutual TLS: require a client "
                    "certificate signed by this CA")
    a = ap.parse_args()
    STATE = State(a.token_ttl, a.slow_seconds)
    for f in a.fault:
        name, times, path = (f.split(":", 2) + ["1", ""])[:3]
        STATE.faults.append([name, int(times), path])
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if a.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)
    print(port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
