#!/usr/bin/python3
"""The audit trail's hash chain in an SQLite ledger, by docs/ledger.md's
recipe, with Python's hashlib and sqlite3 (not portex).

  audit_chain.py check DB    checks every prev_hash, hash and the head;
                             prints the number of entries
  audit_chain.py rehash DB   what an attacker does after editing entries:
                             recomputes every hash, prev_hash and the head
"""
import hashlib
import sqlite3
import sys


def entry_hash(seq, prev, at, actor, action, req, details):
    msg = b"portex-audit-1\nseq=%d\n" % seq
    for name, v in (("prev", prev), ("at", at), ("actor", actor),
                    ("action", action),
                    ("request", "" if req is None else str(req)),
                    ("details", details)):
        b = v.encode()
        msg += name.encode() + b"=%d:" % len(b) + b + b"\n"
    return hashlib.sha256(msg).hexdigest()


def main(mode, path):
    db = sqlite3.connect(path)
    rows = db.execute("SELECT seq, at, actor, action, request_id, details,"
                      " prev_hash, hash FROM px_audit ORDER BY seq").fetchall()
    prev = "0" * 64
    for seq, at, actor, action, req, details, prev_hash, h in rows:
        mine = entry_hash(seq, prev, at, actor, action, req, details)
        if mode == "rehash":
            db.execute("UPDATE px_audit SET prev_hash = ?, hash = ?"
                       " WHERE seq = ?", (prev, mine, seq))
        elif prev_hash != prev or h != mine:
            sys.exit("entry %d: %s differs" %
                     (seq, "prev_hash" if prev_hash != prev else "hash"))
        prev = mine
    head = db.execute("SELECT seq, hash FROM px_audit_head").fetchall()
    if mode == "rehash":
        db.execute("DELETE FROM px_audit_head")
        db.execute("INSERT INTO px_audit_head VALUES (?, ?)",
                   (len(rows), prev))
        db.commit()
    elif head != [(len(rows), prev)]:
        sys.exit("px_audit_head %r is not the last entry" % head)
    print(len(rows))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "rehash"):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
