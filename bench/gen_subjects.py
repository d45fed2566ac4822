#!/usr/bin/python3
"""gen_subjects.py - N learners with about R records each, for `portex bulk`.

  gen_subjects.py --subjects N --records R --sqlite FILE   (creates FILE)
  gen_subjects.py --subjects N --records R --pg            (SQL on stdout,
                                                            pipe into psql)
  gen_subjects.py --subjects N --csv FILE                  (the subject list)
  gen_subjects.py --config FILE --db FILE|--pg-dsn DSN --salt F --key K --cert C

Tables: users(id, email, first_name, last_name, licence_end),
scores(user_id, assessment, score, max_score, taken_at) and
logins(user_id, at, ip): R-1 records per learner split between the two,
plus the profile. Every value that could leak names its learner: email
uN@example.org, assessment quiz-uN-K, so a test can grep a package for
other learners' data. Licence ends spread over 2026-06 and 2026-07.
"""
import argparse
import json
import sqlite3
import sys

SCHEMA = """
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL,
  first_name TEXT, last_name TEXT, licence_end TEXT NOT NULL);
CREATE TABLE scores (user_id INTEGER NOT NULL, assessment TEXT NOT NULL,
  score INTEGER NOT NULL, max_score INTEGER NOT NULL, taken_at TEXT NOT NULL);
CREATE TABLE logins (user_id INTEGER NOT NULL, at TEXT NOT NULL, ip TEXT);
CREATE INDEX scores_user ON scores (user_id);
CREATE INDEX logins_user ON logins (user_id);
"""


def licence_end(i):
    return "2026-%02d-%02d" % (6 + i % 2, 1 + i % 28)


def rows(n, r):
    for i in range(1, n + 1):
        yield "users", (i, "u%d@example.org" % i, "First%d" % i,
                        "Last%d" % i, licence_end(i))
        for k in range(r - 1):
            if k % 2 == 0:
                yield "scores", (i, "quiz-u%d-%d" % (i, k), k % 20, 20,
                                 "2025-%02d-%02dT10:%02d:00Z" %
                                 (1 + k % 12, 1 + k % 28, k % 60))
            else:
                yield "logins", (i, "2025-%02d-%02dT08:%02d:%02dZ" %
                                 (1 + k % 12, 1 + k % 28, k % 60, i % 60),
                                 "10.%d.%d.%d" % (i // 65536 % 256,
                                                  i // 256 % 256, i % 256))


def to_sqlite(path, n, r):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    batch = {"users": [], "scores": [], "logins": []}
    sql = {"users": "INSERT INTO users VALUES (?,?,?,?,?)",
           "scores": "INSERT INTO scores VALUES (?,?,?,?,?)",
           "logins": "INSERT INTO logins VALUES (?,?,?)"}
    for table, row in rows(n, r):
        batch[table].append(row)
        if len(batch[table]) >= 10000:
            db.executemany(sql[table], batch[table])
            batch[table] = []
    for table in batch:
        db.executemany(sql[table], batch[table])
    db.commit()
    db.close()


def to_pg(n, r, out):
    out.write(SCHEMA.replace("INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY")
              .replace("TEXT NOT NULL);\nCREATE TABLE scores",
                       "DATE NOT NULL);\nCREATE TABLE scores")
              .replace("taken_at TEXT", "taken_at TIMESTAMPTZ")
              .replace("at TEXT NOT NULL, ip", "at TIMESTAMPTZ NOT NULL, ip"))
    cols = {"users": 5, "scores": 5, "logins": 3}
    for table in ("users", "scores", "logins"):
        out.write("COPY %s FROM stdin;\n" % table)
        for t, row in rows(n, r):
            if t == table:
                out.write("\t".join(str(v) for v in row[:cols[t]]) + "\n")
        out.write("\\.\n")


def config(args):
    src = {"name": "lms", "connector": "sqlite", "path": args.db} \
        if args.db else {"name": "lms", "connector": "postgres",
                         "conninfo": args.pg_dsn}
    src["resolve"] = [{"provides": "uid",
                       "query": "SELECT id FROM users WHERE email = :email"}]
    src["collections"] = [
        {"entity": "profile", "category": "provided",
         "query": "SELECT first_name AS given_name, last_name AS family_name,"
                  " email FROM users WHERE id = :uid"},
        {"entity": "score", "category": "observed",
         "query": "SELECT assessment, score, max_score, taken_at FROM scores"
                  " WHERE user_id = :uid"},
        {"entity": "connection", "category": "observed",
         "query": "SELECT at, ip FROM logins WHERE user_id = :uid"},
    ]
    c = {"controller": {"name": "Bench"},
         "ledger": "sqlite:" + args.ledger,
         "signing": {"key": args.key, "cert": args.cert},
         "bulk": {"salt_file": args.salt},
         "sources": [src],
         "cohorts": {"ended": {
             "source": "lms",
             "query": "SELECT email, licence_end AS retain_from FROM users"
                      " WHERE licence_end >= :since AND licence_end <= :until"
                      " ORDER BY id"}}}
    json.dump(c, open(args.config, "w"), indent=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--subjects", type=int, default=1000)
    p.add_argument("--records", type=int, default=300)
    p.add_argument("--sqlite")
    p.add_argument("--pg", action="store_true")
    p.add_argument("--csv")
    p.add_argument("--config")
    p.add_argument("--db")
    p.add_argument("--pg-dsn")
    p.add_argument("--ledger", default="ledger.db")
    p.add_argument("--salt", default="bulk.salt")
    p.add_argument("--key", default="keys/portex.key")
    p.add_argument("--cert", default="keys/portex.crt")
    a = p.parse_args()
    if a.sqlite:
        to_sqlite(a.sqlite, a.subjects, a.records)
    if a.pg:
        to_pg(a.subjects, a.records, sys.stdout)
    if a.csv:
        with open(a.csv, "w") as f:
            f.write("email,retain_from\n")
            for i in range(1, a.subjects + 1):
                f.write("u%d@example.org,%s\n" % (i, licence_end(i)))
    if a.config:
        config(a)


if __name__ == "__main__":
    main()
