"""Tallis, the second test partner: written to a different style than
Polylearn (tests/mock/CONTRACT.md, "Tallis"). Mounted by server.py under
/tallis. Everything here is stdlib; STATE is server.py's.

Style: OAuth2 client_secret_post with audience, static version and tenant
headers, a POST search for the lookup, JSON:API / HAL / OData next links in
the body, Stripe-style starting_after + has_more, sub-resources per
enrolment, per-attempt detail fetches, order lines in cents, {value, scale}
scores, ISO 8601 durations, epoch micro/nanoseconds, Paris local times,
dd/mm/yyyy dates, documents by URL, an asynchronous export job (NDJSON,
CSV, and a ZIP holding JSON and CSV members), RateLimit-* headers, and mutual TLS when server.py is given
--client-ca.
"""
import base64
import io
import json
import os
import secrets
import subprocess
import tempfile
import threading
import time
import zipfile
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "tallis-portex"
CLIENT_SECRET = "tl-s3cret-5e6f7a8b9c0d"
AUDIENCE = "https://api.tallis.test"
VERSION = "2024-06-01"
TENANT = "sejer"
WINDOW = 10  # requests per rate-limit window
WINDOW_SECONDS = 1
DELAY_SECONDS = 0.4  # fault "delay": requests held this long overlap

T0 = 1700000000

# fault "large-export": the sessions export has this many rows (bench/
# rest_export.sh sets it), streamed, every row the same length
EXPORT_ROWS = int(os.environ.get("TALLIS_EXPORT_ROWS", 100000))

# fault "large-file": a document this big (bench/rest_download.sh sets it),
# sent 64 KiB at a time: bytes 0..255 over and over
LARGE_BYTES = int(os.environ.get("TALLIS_LARGE_BYTES", 3000000))

PDF = b"%PDF-1.4\n% Tallis certificate\n" + b"x" * 2000 + b"\n%%EOF\n"

USERS = {
    "alice@example.org": {
        "id": "tl-u-77",
        "given": "Alice", "family": "Martin", "born": "14/07/1990",
        "enrolments": [{"id": "en-%d" % i, "course_id": "crs-%d" % i,
                        "title": "Course %d" % i} for i in range(1, 6)],
        "progress": {
            "crs-%d" % i: {"percent": 20 * i,
                           "state": "completed" if i == 5 else "active",
                           "time_spent": "PT%dH%dM" % (i, 15 * (i % 4)),
                           # Paris wall-clock times; 2024-10-27 02:30 is
                           # in the autumn overlap (the first, CEST, reading)
                           "updated": "2024-10-27 02:30:00" if i == 1 else
                           "2024-07-0%d 09:00:00" % i}
            for i in range(1, 6)},
        "orders": [{"id": "ord_%d" % i, "created": T0 + i * 86400,
                    "currency": "EUR",
                    "lines": [{"sku": "SKU-%d-%d" % (i, j), "qty": j,
                               "amount_cents": 1990 * j - (i == 3) * 4000}
                              for j in range(1, 3)]}
                   for i in range(1, 8)],  # 7 orders, 14 lines
        "attempts": [{"id": "att-%d" % i,
                      "assessment": "quiz-%d" % i,
                      "score": {"value": 150 + i, "scale": 1},
                      "max": 20,
                      "submitted_us": (T0 + i * 60) * 1000000 + 250000}
                     for i in range(1, 5)],
        "certificates": [{"id": "cert-%d" % i, "file": "cert-%d.pdf" % i,
                          "type": "application/pdf",
                          "download": "/tallis/files/cert-%d.pdf" % i}
                         for i in range(1, 4)],
        "sessions": [{"at_ns": (T0 + i * 3600) * 1000000000 + 123456789,
                      "event": "login" if i % 2 else "logout",
                      "ip": "198.51.100.%d" % i, "length": "PT%dM" % i}
                     for i in range(1, 6)],
        "consents": [("newsletter", "yes", "2024-05-01 10:00:00"),
                     ("analytics, \"basic\"", "no", "2024-01-15 08:30:00")],
        # the "archive" export: a ZIP with the licences in two JSON parts
        # and the answers in a CSV
        "licences": [{"id": "lic-%d" % i, "product": "Manuel %d" % i,
                      "org": "Lycée Tallis", "from": T0 + i * 86400,
                      "to": T0 + (i + 365) * 86400,
                      "status": "expired" if i == 1 else "active"}
                     for i in range(1, 4)],
        "answers": [("q-%d" % i, "réponse %d, \"libre\"" % i,
                     "yes" if i % 2 else "no", "2024-03-0%d 14:00:00" % i)
                    for i in range(1, 4)],
    },
}
BY_ID = {u["id"]: u for u in USERS.values()}


class Tallis:
    def __init__(self):
        self.jobs = {}
        self.window_start = 0.0
        self.window_used = 0
        self.tokens = set()
        self.jtis = set()
        self.exports_started = 0
        self.lock = threading.Lock()  # requests come in on several threads

    def reset(self):
        self.__init__()

    # ------------------------------------------------------------------
    def ratelimit(self, h, stats):
        """RateLimit-* headers; a 429 for a request the headers said to
        wait for. Returns the headers, or None when 429 was sent."""
        now = time.monotonic()
        if now - self.window_start >= WINDOW_SECONDS and self.window_used >= WINDOW:
            self.window_start, self.window_used = now, 0
        elif self.window_used == 0:
            self.window_start = now
        if self.window_used >= WINDOW:
            stats["ratelimited"] = stats.get("ratelimited", 0) + 1
            h.send_json(429, {"error": "slow down"}, {"Retry-After": "1"})
            return None
        self.window_used += 1
        left = WINDOW - self.window_used
        reset = max(0, WINDOW_SECONDS - int(now - self.window_start))
        return {"RateLimit-Limit": str(WINDOW),
                "RateLimit-Remaining": str(left),
                "RateLimit-Reset": str(reset if left == 0 else 0)}

    def handle(self, h, method, state, fault):
        u = urlsplit(h.path)
        path = u.path[len("/tallis"):]
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        body = h.read_body() if method == "POST" else b""
        if path == "/token" and method == "POST":
            return self.token(h, body, state)
        if h.headers.get("Tallis-Version") != VERSION or \
                h.headers.get("X-Tenant") != TENANT:
            return h.send_json(400, {"error": "missing Tallis-Version or X-Tenant"})
        auth = h.headers.get("Authorization", "")
        if not path.startswith("/files/") and auth[7:] not in self.tokens:
            return h.send_json(401, {"error": "invalid_token"})
        if fault == "ratelimit-0":
            return h.send_json(200, {"data": []},
                               {"RateLimit-Limit": "0", "RateLimit-Remaining": "0"})
        if fault == "delay":
            time.sleep(DELAY_SECONDS)
        with self.lock:
            rl = self.ratelimit(h, state.stats)
        if rl is None:
            return
        if fault == "404":
            return h.send_json(404, {"error": "no such attempt"}, rl)
        return self.route(h, method, path, q, body, rl, fault)

    def jwt_ok(self, h, form, state):
        """private_key_jwt (RFC 7523): the assertion's RS256 signature
        checked by openssl against the key given by /_control (and its
        kid, when /_control gave one), and its claims (iss = sub = client, aud = this endpoint, exp, one jti)."""
        if form.get("client_assertion_type") != \
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" or \
                not state.jwt_public_key:
            return False
        try:
            head, claims, sig = form["client_assertion"].split(".")
            dec = lambda p: base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))
            hdr, c = json.loads(dec(head)), json.loads(dec(claims))
            with tempfile.TemporaryDirectory() as d:
                with open(d + "/in", "wb") as f:
                    f.write((head + "." + claims).encode())
                with open(d + "/sig", "wb") as f:
                    f.write(dec(sig))
                ok = subprocess.run(
                    ["openssl", "dgst", "-sha256", "-verify", state.jwt_public_key,
                     "-signature", d + "/sig", d + "/in"],
                    capture_output=True).returncode == 0
        except (KeyError, ValueError):
            return False
        now = time.time()
        good = ok and hdr.get("alg") == "RS256" and \
            (not state.jwt_kid or hdr.get("kid") == state.jwt_kid) and \
            c.get("iss") == c.get("sub") == CLIENT_ID and \
            str(c.get("aud", "")).endswith("/tallis/token") and \
            c.get("iat", 0) <= now + 5 and now < c.get("exp", 0) <= now + 600 and \
            c.get("jti") and c["jti"] not in self.jtis
        if good:
            self.jtis.add(c["jti"])
            with state.lock:
                state.stats["jwt_verified"] += 1
        return good

    def token(self, h, body, state):
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if "client_assertion" in form:
            if "client_secret" in form or form.get("client_id") != CLIENT_ID or \
                    not self.jwt_ok(h, form, state):
                return h.send_json(401, {"error": "invalid_client"})
            form["client_secret"] = CLIENT_SECRET  # authenticated by key
        if form.get("client_id") != CLIENT_ID or \
                form.get("client_secret") != CLIENT_SECRET or \
                form.get("audience") != AUDIENCE or \
                form.get("grant_type") != "client_credentials":
            return h.send_json(401, {"error": "invalid_client"})
        tok = "tlt_" + secrets.token_hex(12)
        self.tokens.add(tok)
        with state.lock:
            state.stats["tokens_issued"] += 1
        h.send_json(200, {"access_token": tok, "token_type": "Bearer",
                          "expires_in": 3600})

    def route(self, h, method, path, q, body, rl, fault):
        parts = path.strip("/").split("/")  # v2, ...
        if parts[:3] == ["v2", "search", "users"] and method == "POST":
            email = (json.loads(body or b"{}").get("query") or {}).get("email", "")
            user = USERS.get(email.lower())
            return h.send_json(200, {"data": [{"id": user["id"]}] if user else []}, rl)
        if parts[0] == "files":
            name = parts[1]
            if fault == "large-file":
                return self.send_large(h, rl)
            if fault == "big-file":
                return h.send_raw(200, b"%PDF-1.4\n" + b"y" * 300000, "application/pdf", rl)
            return h.send_raw(200, PDF.replace(b"certificate", name.encode()),
                              "application/pdf", rl)
        if parts[:2] == ["v2", "attempts"] and len(parts) == 3:
            for u in USERS.values():
                for a in u["attempts"]:
                    if a["id"] == parts[2]:
                        return h.send_json(200, {"attempt": a}, rl)
            return h.send_json(404, {"error": "no such attempt"}, rl)
        if parts[:2] == ["v2", "courses"] and len(parts) == 4 and parts[3] == "progress":
            user = BY_ID.get(q.get("user", ""))
            p = user and user["progress"].get(parts[2])
            if not p:
                return h.send_json(404, {"error": "no progress"}, rl)
            return h.send_json(200, p, rl)
        if parts[:2] == ["v2", "exports"]:
            return self.export(h, method, parts[2:], body, rl, fault)
        if parts[:2] != ["v2", "users"] or len(parts) < 3 or parts[2] not in BY_ID:
            return h.send_json(404, {"error": "not found"}, rl)
        user = BY_ID[parts[2]]
        if len(parts) == 3:
            return h.send_json(200, {"user": {"id": user["id"], "given": user["given"],
                                              "family": user["family"],
                                              "born": user["born"]}}, rl)
        coll = parts[3]
        if coll == "annotations":
            return h.send_raw(204, b"", None, rl)
        if coll == "enrolments":  # JSON:API, links.next
            n = int(q.get("page[number]", "1"))
            items = user["enrolments"][(n - 1) * 2:n * 2]
            nxt = "/tallis/v2/users/%s/enrolments?page[number]=%d" % (user["id"], n + 1) \
                if n * 2 < len(user["enrolments"]) else None
            return h.send_json(200, {"data": items, "links": {"next": nxt}}, rl)
        if coll == "orders":  # Stripe: starting_after + has_more
            orders = user["orders"]
            start = 0
            if "starting_after" in q:
                start = [o["id"] for o in orders].index(q["starting_after"]) + 1
            chunk = orders[start:start + 3]
            return h.send_json(200, {"object": "list", "data": chunk,
                                     "has_more": start + 3 < len(orders)}, rl)
        if coll == "attempts":  # HAL, summaries only
            n = int(q.get("page", "1"))
            chunk = user["attempts"][(n - 1) * 3:n * 3]
            links = {"self": {"href": h.path}}
            if n * 3 < len(user["attempts"]):
                links["next"] = {"href": "/tallis/v2/users/%s/attempts?page=%d" % (user["id"], n + 1)}
            return h.send_json(200, {"_embedded": {"attempts": [{"id": a["id"]} for a in chunk]},
                                     "_links": links}, rl)
        if coll == "certificates":  # OData
            skip = int(q.get("$skip", "0"))
            chunk = user["certificates"][skip:skip + 2]
            out = {"value": chunk}
            if skip + 2 < len(user["certificates"]):
                out["@odata.nextLink"] = "/tallis/v2/users/%s/certificates?$skip=%d" % (user["id"], skip + 2)
            return h.send_json(200, out, rl)
        return h.send_json(404, {"error": "not found"}, rl)

    def send_large(self, h, rl):
        chunk = bytes(range(256)) * 256
        h.send_response(200)
        h.send_header("Content-Type", "application/pdf")
        h.send_header("Content-Length", str(LARGE_BYTES))
        for k, v in rl.items():
            h.send_header(k, v)
        h.end_headers()
        left = LARGE_BYTES
        while left > 0:
            h.wfile.write(chunk[:min(left, len(chunk))])
            left -= len(chunk)

    @staticmethod
    def send_large_export(h, rl):
        def row(i):
            return ('{"at_ns": %d, "event": "%s", "ip": "198.51.100.%d", '
                    '"length": "PT%04dM"}\n' % (
                        T0 * 1000000000 + i, "login" if i % 2 else "leave",
                        i % 9 + 1, i % 10000)).encode()
        size = len(row(0))
        h.send_response(200)
        h.send_header("Content-Type", "application/x-ndjson")
        h.send_header("Content-Length", str(size * EXPORT_ROWS))
        for k, v in rl.items():
            h.send_header(k, v)
        h.end_headers()
        for start in range(0, EXPORT_ROWS, 1000):
            h.wfile.write(b"".join(row(i) for i in range(start, min(start + 1000, EXPORT_ROWS))))

    def export(self, h, method, rest, body, rl, fault):
        if method == "POST" and not rest:
            req = json.loads(body or b"{}")
            user = BY_ID.get(req.get("user"))
            if not user or req.get("kind") not in ("sessions", "consents", "archive"):
                return h.send_json(400, {"error": "bad export request"}, rl)
            job = "job-" + secrets.token_hex(4)
            self.jobs[job] = {"user": user, "kind": req["kind"], "polls": 0,
                              "never": fault == "job-never-finishes",
                              "fault": fault}
            with self.lock:
                self.exports_started += 1
            rl = dict(rl, Location="/tallis/v2/exports/" + job)
            return h.send_json(202, {"id": job}, rl)
        job = self.jobs.get(rest[0]) if rest else None
        if not job:
            return h.send_json(404, {"error": "no such job"}, rl)
        if len(rest) == 1:
            job["polls"] += 1
            if job["never"] or job["polls"] < 2:
                return h.send_json(200, {"status": "running"}, dict(rl, **{"Retry-After": "1"}))
            return h.send_json(200, {"status": "complete",
                                     "file": "/tallis/v2/exports/%s/file" % rest[0]}, rl)
        user = job["user"]
        if job["kind"] == "archive":
            return h.send_raw(200, self.archive(user, job["fault"]),
                              "application/zip", rl)
        if job["kind"] == "sessions" and job["fault"] == "large-export":
            return self.send_large_export(h, rl)
        if job["kind"] == "sessions":
            data = "".join(json.dumps(s) + "\n" for s in user["sessions"]).encode()
            return h.send_raw(200, data, "application/x-ndjson", rl)
        lines = ["purpose,given,at"]
        for p, g, at in user["consents"]:
            lines.append('"%s",%s,%s' % (p.replace('"', '""'), g, at))
        return h.send_raw(200, ("\r\n".join(lines) + "\r\n").encode(), "text/csv", rl)

    @staticmethod
    def archive(user, fault):
        """The "archive" export: README.txt, licences/part-1.json,
        answers.csv, licences/part-2.json, in that order. Faults:
        zip-bomb (a part of 20 MB of zeros, 1000:1 and more), zip-no-answers
        (answers.csv left out), zip-corrupt (the archive cut short),
        zip-unsafe (a member named ../answers.csv)."""
        lic = user["licences"]
        csv = ["question,response,correct,submitted"]
        for q, r, c, at in user["answers"]:
            csv.append('%s,"%s",%s,%s' % (q, r.replace('"', '""'), c, at))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("README.txt", "Tallis export\n")
            z.writestr("licences/part-1.json", json.dumps({"licences": lic[:2]}))
            if fault != "zip-no-answers":
                z.writestr("../answers.csv" if fault == "zip-unsafe" else "answers.csv",
                           "\r\n".join(csv) + "\r\n")
            if fault == "zip-bomb":
                z.writestr("licences/part-2.json", b"\0" * (20 << 20))
            else:
                z.writestr("licences/part-2.json", json.dumps({"licences": lic[2:]}))
        data = buf.getvalue()
        return data[:len(data) * 2 // 3] if fault == "zip-corrupt" else data


TALLIS = Tallis()
