#!/usr/bin/python3
"""export.py - what one would write without portex: the same config's
queries through psycopg2 (a server-side cursor) or sqlite3, each record
as a JSON line in data/<entity>.json of a ZIP (zipfile, deflate level 6).
No schema check, no signature, no index: a baseline for bench/run.sh.

    export.py CONFIG email=ADDRESS OUT.zip
"""
import datetime
import decimal
import json
import os
import re
import sys
import zipfile

PLACEHOLDER = re.compile(r"(?<!:):([A-Za-z_][A-Za-z0-9_]*)")


def value(v):
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.isoformat() + "Z"
    if isinstance(v, datetime.date):
        return v.isoformat()
    return v


def main():
    config_path, subject, out = sys.argv[1:4]
    config = json.load(open(config_path))
    base = os.path.dirname(os.path.abspath(config_path))
    key, _, given = subject.partition("=")
    keys = {key: given}
    src = config["sources"][0]
    if src["connector"] == "postgres":
        import psycopg2

        dsn = os.path.expandvars(src["conninfo"])
        db = psycopg2.connect(dsn)
        db.set_session(readonly=True, isolation_level="REPEATABLE READ")

        def run(sql, named):
            cur = db.cursor(name="c") if named else db.cursor()
            cur.itersize = 1000
            cur.execute(PLACEHOLDER.sub(r"%(\1)s", sql), keys)
            return cur
    else:
        import sqlite3

        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(base, src["path"]),
                             uri=True)

        def run(sql, named):
            return db.execute(sql, keys)
    for step in src.get("resolve", []):
        cur = run(step["query"], False)
        keys[step["provides"]] = str(cur.fetchone()[0])
        cur.close()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for coll in src["collections"]:
            entity, parse = coll["entity"], set(coll.get("json", []))
            with z.open("data/%s.json" % entity, "w") as f:
                f.write(('{"entity":"%s","records":[' % entity).encode())
                cur = run(coll["query"], True)
                names = None
                sep = "\n"
                for row in cur:
                    if names is None:
                        names = [d[0] for d in cur.description]
                    rec = {}
                    for n, v in zip(names, row):
                        if v is None:
                            continue
                        rec[n] = json.loads(v) if n in parse else value(v)
                    rec["source"] = src["name"]
                    rec["category"] = coll["category"]
                    f.write((sep + json.dumps(rec, ensure_ascii=False,
                                              separators=(",", ":"))).encode())
                    sep = ",\n"
                cur.close()
                f.write(b"\n]}\n")
    db.close()


main()
