#!/bin/bash
# End-to-end: an attacker with write access to the SQLite ledger edits the
# audit trail and recomputes every hash after the edit (the chain alone
# then says "intact"). The signed checkpoints written by `request export`
# and `portex worker`, and the heads recorded in their packages
# (manifest.json "audit"), name the first entry that disagrees. Checkpoints are checked with openssl too.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/serve.sh"
BACKEND=sqlite

# Two requests, each exported (add, identity, export-pending, exported):
# entries 1-4 and 5-8, checkpoints 1 and 2, packages $T/a.zip (witness of
# 2 entries) and $T/b.zip (of 6: the head before its own export's entries).
two_exports() {
	ledger_new
	demo_setup
	edit_config "c['ledger'] = '$LEDGER'"
	C="--config $T/demo.json"
	local p
	for p in a b; do
		exported_request "$T/$p.zip" "$(days_ago 3)" >/dev/null
	done
}

# rehash: what the attacker does after an edit: every hash, prev_hash and
# the head recomputed with docs/ledger.md's recipe, as if nothing happened.
rehash() {
	/usr/bin/python3 "$PX_TOP/tests/tools/audit_chain.py" rehash "$T/ledger.db" >/dev/null ||
		fail "rehash failed"
}


# checkpoint_files N: checkpoint N's statement and signature (DER) as files
checkpoint_files() {
	/usr/bin/python3 - "$T/ledger.db" "$1" "$T" <<'PY'
import base64, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
stmt, sig = db.execute("SELECT statement, signature FROM px_checkpoints"
                       " WHERE seq = ?", (int(sys.argv[2]),)).fetchone()
open(sys.argv[3] + "/stmt.txt", "wb").write(stmt.encode())
open(sys.argv[3] + "/sig.der", "wb").write(base64.b64decode(sig))
PY
}

# expect_broken N TEXT [ARGS]: audit verify exits 1 naming entry N
expect_broken() {
	local n=$1 text=$2
	shift 2
	expect_exit 1 "$PORTEX" audit verify $C --json "$@"
	[ "$(jget "$T/stdout" 'j["first_bad_entry"]')" = "$n" ] ||
		fail "first bad entry is not $n: $(cat "$T/stdout")"
	expect_exit 1 "$PORTEX" audit verify $C "$@"
	expect_out "$text"
}

hash_of() { sqlite3 "$T/ledger.db" "SELECT hash FROM px_audit WHERE seq = $1"; }

test_each_package_records_the_trail_head_before_its_export() {
	two_exports
	unpack "$T/a.zip" "$T/pa"
	unpack "$T/b.zip" "$T/pb"
	[ "$(jget "$T/pa/manifest.json" 'j["audit"]')" = "{'entries': 2, 'head': '$(hash_of 2)'}" ] ||
		fail "a.zip: $(jget "$T/pa/manifest.json" 'j.get("audit")')"
	[ "$(jget "$T/pb/manifest.json" 'j["audit"]["entries"]')" = 6 ] || fail "b.zip entries"
	[ "$(jget "$T/pb/manifest.json" 'j["audit"]["head"]')" = "$(hash_of 6)" ] || fail "b.zip head"
	expect_exit 0 "$PORTEX" verify "$T/b.zip"
	expect_exit 0 "$PORTEX" audit verify $C --witness "$T/a.zip" --witness "$T/b.zip"
	expect_out "audit trail intact: 8 entries, 2 signed checkpoints (signatures checked against the certificate given), 2 witnesses"
}

test_checkpoint_signature_verifies_with_openssl_cms() {
	two_exports
	checkpoint_files 2
	head -4 "$T/stmt.txt" | grep -qx "head $(hash_of 8)" || fail "statement: $(head -4 "$T/stmt.txt")"
	[ "$(sed -n 5,9p "$T/stmt.txt" | tr '\n' ' ')" = "$(hash_of 5) $(hash_of 6) $(hash_of 7) $(hash_of 8) " ] ||
		fail "statement does not list entries 5-8: $(cat "$T/stmt.txt")"
	openssl cms -verify -binary -inform DER -in "$T/sig.der" \
		-content "$T/stmt.txt" -CAfile "$T/out/keys/portex.crt" \
		-purpose any -out /dev/null 2>"$T/ossl.err" ||
		fail "openssl refused the checkpoint: $(cat "$T/ossl.err")"
	grep -q "Verification successful" "$T/ossl.err" || fail "$(cat "$T/ossl.err")"
	sed -i 's/^entries 8$/entries 9/' "$T/stmt.txt"
	if openssl cms -verify -binary -inform DER -in "$T/sig.der" \
		-content "$T/stmt.txt" -CAfile "$T/out/keys/portex.crt" \
		-purpose any -out /dev/null 2>/dev/null; then
		fail "openssl accepted an edited checkpoint statement"
	fi
}

test_edited_and_rehashed_entry_is_named_by_the_checkpoint() {
	two_exports
	sql "UPDATE px_audit SET actor = 'mallory' WHERE seq = 2"
	rehash
	# The chain alone is fooled: without checkpoints it says intact.
	cp "$T/ledger.db" "$T/nocp.db"
	sqlite3 "$T/nocp.db" "DELETE FROM px_checkpoints"
	expect_exit 0 "$PORTEX" audit verify --ledger "sqlite:$T/nocp.db"
	expect_broken 2 "entry 2 differs from signed checkpoint 1 ("
}

test_rehashed_trail_without_checkpoints_is_caught_by_the_packages() {
	two_exports
	# A witness of 4 entries kept elsewhere (a JSON file).
	echo "{\"entries\": 4, \"head\": \"$(hash_of 4)\"}" >"$T/w4.json"
	sql "UPDATE px_audit SET details = replace(details, 'alice', 'alicia') WHERE seq = 4"
	rehash
	sql "DELETE FROM px_checkpoints"
	# a.zip (2 entries) still agrees, b.zip (6) does not: 3 to 6.
	expect_broken 3 "one of entries 3 to 6 was rewritten: the recomputed chain differs from the witness package $T/b.zip at entry 6 (entries up to 2 agree" \
		--witness "$T/a.zip" --witness "$T/b.zip"
	# With a witness of entry 3 too (the unchanged head of 3), exactly 4.
	echo "{\"entries\": 3, \"head\": \"$(hash_of 3)\"}" >"$T/w3.json"
	expect_broken 4 "entry 4 differs from the witness file $T/w4.json: its hash, recomputed from its content, is not the one recorded" \
		--witness "$T/w3.json" --witness "$T/w4.json" --witness "$T/b.zip"
}

test_truncated_trail_is_named_by_the_checkpoint() {
	two_exports
	sql "DELETE FROM px_audit WHERE seq > 4"
	rehash
	# Seen without the config too (the checkpoints are in the ledger).
	expect_exit 1 "$PORTEX" audit verify --ledger "$LEDGER"
	expect_broken 5 "entries from 5 on, the last ones, were removed: signed checkpoint 2 ("
	expect_out "covers 8 entries, the ledger holds 4"
}

test_newest_checkpoint_cut_with_its_entries_is_caught_by_a_kept_head() {
	two_exports
	# The head as a witness file, kept off the ledger's host.
	expect_exit 0 "$PORTEX" audit checkpoint $C --json
	cp "$T/stdout" "$T/head.json"
	[ "$(jget "$T/head.json" 'j')" = "{'entries': 8, 'head': '$(hash_of 8)'}" ] ||
		fail "audit checkpoint --json: $(cat "$T/head.json")"
	# The second export cut off with its checkpoint: the ledger alone
	# and the packages (heads of 2 and 6 entries) cannot tell.
	sql "DELETE FROM px_audit WHERE seq > 6; DELETE FROM px_checkpoints WHERE seq = 2;
		UPDATE px_requests SET status = 'ready', package_path = NULL, package_sha256 = NULL,
		package_pending = NULL, updated_at = (SELECT json_extract(details, '$.state.updated_at')
		FROM px_audit WHERE seq = 6) WHERE id = 2"
	rehash
	expect_exit 0 "$PORTEX" audit verify $C --witness "$T/a.zip" --witness "$T/b.zip"
	expect_out "audit trail intact: 6 entries"
	expect_broken 7 "entries from 7 on, the last ones, were removed: the witness file $T/head.json covers 8 entries, the ledger holds 6" \
		--witness "$T/head.json"
}

test_reordered_and_rehashed_entries_are_named() {
	two_exports
	sql "UPDATE px_audit SET seq = 99 WHERE seq = 4; UPDATE px_audit SET seq = 4 WHERE seq = 5; UPDATE px_audit SET seq = 5 WHERE seq = 99"
	rehash
	expect_broken 4 "entry 4 differs from signed checkpoint 1 ("
}

test_checkpoint_resigned_by_another_key_is_refused() {
	two_exports
	sql "UPDATE px_audit SET actor = 'mallory' WHERE seq = 2"
	rehash
	# The attacker re-signs every checkpoint with a key of their own.
	"$PORTEX" keygen --key "$T/evil.key" --cert "$T/evil.crt" --name evil >/dev/null
	/usr/bin/python3 - "$T/ledger.db" "$T" <<'PY'
import base64, sqlite3, subprocess, sys
db = sqlite3.connect(sys.argv[1])
hashes = [h for (h,) in db.execute("SELECT hash FROM px_audit ORDER BY seq")]
prev = 0
for seq, stmt in db.execute("SELECT seq, statement FROM px_checkpoints ORDER BY seq").fetchall():
    n = int(stmt.split("\n")[1].split()[1])
    new = "portex-checkpoint/1\nentries %d\nhead %s\nfrom %d\n" % (n, hashes[n-1], prev + 1)
    new += "".join(h + "\n" for h in hashes[prev:n])
    sig = subprocess.run(["openssl", "cms", "-sign", "-binary", "-outform", "DER",
                          "-signer", sys.argv[2] + "/evil.crt", "-inkey", sys.argv[2] + "/evil.key"],
                         input=new.encode(), capture_output=True, check=True).stdout
    db.execute("UPDATE px_checkpoints SET statement = ?, signature = ? WHERE seq = ?",
               (new, base64.b64encode(sig).decode(), seq))
    prev = n
db.commit()
PY
	expect_exit 1 "$PORTEX" audit verify $C
	expect_out "checkpoint 1 (entries 1 to 4): its signature does not verify: signed by another certificate than the one given"
	# Without the controller's certificate, only what a checkpoint carries.
	expect_exit 0 "$PORTEX" audit verify --ledger "$LEDGER"
	expect_out "signatures checked only against their own certificate"
}

test_a_broken_trail_is_not_checkpointed() {
	two_exports
	sql "UPDATE px_audit SET actor = 'mallory' WHERE seq = 6"
	expect_unchanged expect_exit 1 "$PORTEX" audit checkpoint $C
	expect_err "the audit trail is broken, no checkpoint signed: entry 6"
}

test_checkpoint_command_signs_new_entries_only() {
	two_exports
	expect_exit 0 "$PORTEX" audit checkpoint $C
	[ "$(sqlite3 "$T/ledger.db" "SELECT count(*) FROM px_checkpoints")" = 2 ] ||
		fail "a checkpoint without new entries was written"
	"$PORTEX" request add $C --subject email=bob@example.org \
		--received "$(days_ago 1)" >/dev/null || fail "add failed"
	expect_exit 0 "$PORTEX" audit checkpoint $C
	expect_out "checkpoint signed: 9 entries"
	checkpoint_files 3
	sed -n 4p "$T/stmt.txt" | grep -qx "from 9" || fail "$(cat "$T/stmt.txt")"
}

# queued_exports JOBS: Alice Martin and Alice Dubois queued by `bulk
# --enqueue` in the SQLite ledger (add, identity: entries 1-4), exported
# by `portex worker --once --jobs JOBS` into $T/q; $W: --witness for each.
queued_exports() {
	ledger_new
	demo_setup
	head -c 32 /dev/urandom >"$T/bulk.salt"
	edit_config "c['ledger'] = '$LEDGER'; c['bulk'] = {'salt_file': '$T/bulk.salt'}"
	C="--config $T/demo.json"
	mkdir "$T/q"
	printf 'email\nalice.martin@example.org\nalice.dubois@example.org\n' >"$T/subjects.csv"
	"$PORTEX" bulk $C --subjects "$T/subjects.csv" --out-dir "$T/q" --enqueue \
		>/dev/null 2>"$T/bulk.err" || fail "bulk --enqueue: $(cat "$T/bulk.err")"
	"$PORTEX" worker $C --once --jobs "$1" >/dev/null 2>"$T/worker.err" ||
		fail "worker: $(cat "$T/worker.err")"
	W=""
	for f in "$T"/q/*.zip; do W="$W --witness $f"; done
}

test_worker_packages_record_the_head_and_are_checkpointed() {
	queued_exports 2
	local n=0 e f
	for f in "$T"/q/*.zip; do
		rm -rf "$T/m" && unpack "$f" "$T/m"
		e=$(jget "$T/m/manifest.json" 'j["audit"]["entries"]' 2>/dev/null) ||
			fail "$f: manifest.json has no audit: $(cat "$T/m/manifest.json")"
		# the trail before the package's own export: the 4 queueing entries on
		[ "$e" -ge 4 ] || fail "$f: witnesses $e entries"
		[ "$(jget "$T/m/manifest.json" 'j["audit"]["head"]')" = "$(hash_of "$e")" ] ||
			fail "$f: its head is not entry $e's hash"
		n=$((n + 1))
	done
	[ "$n" = 2 ] || fail "$n packages in $T/q"
	# The newest checkpoint covers every entry, the two exports' included.
	checkpoint_files "$(sqlite3 "$T/ledger.db" "SELECT max(seq) FROM px_checkpoints")"
	grep -qx "entries $(sqlite3 "$T/ledger.db" "SELECT max(seq) FROM px_audit")" "$T/stmt.txt" ||
		fail "the last checkpoint does not cover the trail: $(head -3 "$T/stmt.txt")"
	openssl cms -verify -binary -inform DER -in "$T/sig.der" -content "$T/stmt.txt" \
		-CAfile "$T/out/keys/portex.crt" -purpose any -out /dev/null 2>"$T/ossl.err" ||
		fail "openssl refused the worker's checkpoint: $(cat "$T/ossl.err")"
	# shellcheck disable=SC2086
	expect_exit 0 "$PORTEX" audit verify $C $W
	expect_out "signed checkpoints (signatures checked against the certificate given), 2 witnesses"
}

test_serve_packages_record_the_head_and_are_checkpointed() {
	serve_setup
	C="--config $T/demo.json"
	serve_start
	[ "$(create "$ALICE")" = 202 ] || fail "POST: $(cat "$T/body")"
	wait_status "$(body 'j["id"]')" ready
	curl -s -o "$T/s.zip" "$(body 'j["download_url"]')" || fail "download failed"
	serve_stop
	unpack "$T/s.zip" "$T/m"
	e=$(jget "$T/m/manifest.json" 'j["audit"]["entries"]' 2>/dev/null) ||
		fail "serve's package has no audit: $(cat "$T/m/manifest.json")"
	[ "$(jget "$T/m/manifest.json" 'j["audit"]["head"]')" = "$(hash_of "$e")" ] ||
		fail "its head is not entry $e's hash"
	# The newest checkpoint covers the package's recording (the download
	# entry after it is no package's: the next checkpoint covers it).
	checkpoint_files "$(sqlite3 "$T/ledger.db" "SELECT max(seq) FROM px_checkpoints")"
	grep -qx "entries $(sqlite3 "$T/ledger.db" "SELECT seq FROM px_audit WHERE action = 'request.exported'")" "$T/stmt.txt" ||
		fail "the last checkpoint does not cover the export: $(head -3 "$T/stmt.txt")"
	expect_exit 0 "$PORTEX" audit verify $C --witness "$T/s.zip"
	expect_out "signed checkpoints (signatures checked against the certificate given), 1 witnesses"
}

test_worker_packages_name_a_rewritten_trail() {
	queued_exports 1
	sql "UPDATE px_audit SET actor = 'mallory' WHERE seq = 2"
	rehash
	sql "DELETE FROM px_checkpoints"
	expect_exit 0 "$PORTEX" audit verify $C
	# shellcheck disable=SC2086
	expect_broken 1 "one of entries 1 to 4 was rewritten: the recomputed chain differs from the witness package" $W
}

# rewrite_audit IN OUT PYTHON: IN with manifest.json's "audit" changed by
# PYTHON (on `a`), every other entry as it was (the signature no longer
# matches: manifest.json's digest is in the signed ASiCManifest.xml)
rewrite_audit() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import json, sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w")
for i in src.infolist():
    data = src.read(i)
    if i.filename == "manifest.json":
        m = json.loads(data)
        a = m["audit"]
        exec(sys.argv[3])
        data = json.dumps(m).encode()
    dst.writestr(i, data)
dst.close()
PY
}

test_forged_witness_packages_cannot_accuse_an_honest_trail() {
	two_exports
	# A package signed by a key of the forger's own, from a ledger of
	# theirs: its head disagrees with the honest trail at entry 2.
	mkdir -p "$T/evil/keys"
	"$PORTEX" keygen --key "$T/evil/keys/portex.key" --cert "$T/evil/keys/portex.crt" \
		--name "portex test" >/dev/null
	/usr/bin/python3 - "$T/demo.json" "$T/evil.json" "$T" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["ledger"] = "sqlite:" + sys.argv[3] + "/evil/ledger.db"
c["signing"]["key"] = sys.argv[3] + "/evil/keys/portex.key"
c["signing"]["cert"] = sys.argv[3] + "/evil/keys/portex.crt"
json.dump(c, open(sys.argv[2], "w"))
PY
	C="--config $T/evil.json" exported_request "$T/evil.zip" "$(days_ago 9)" >/dev/null
	expect_exit 0 "$PORTEX" verify "$T/evil.zip"
	expect_exit 65 "$PORTEX" audit verify $C --witness "$T/a.zip" --witness "$T/evil.zip"
	expect_err "witness $T/evil.zip: the package does not verify against $T/out/keys/portex.crt: "
	# An honest package whose "audit" was edited no longer verifies.
	rewrite_audit "$T/a.zip" "$T/edited.zip" "a['head'] = '0' * 64"
	expect_exit 65 "$PORTEX" audit verify $C --witness "$T/edited.zip"
	expect_err "witness $T/edited.zip: the package does not verify against $T/out/keys/portex.crt: manifest.json: "
	# Nor does one with its signature taken out.
	/usr/bin/python3 - "$T/edited.zip" "$T/unsigned.zip" <<'PY'
import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w")
for i in src.infolist():
    if not i.filename.startswith("META-INF/"):
        dst.writestr(i, src.read(i))
dst.close()
PY
	expect_exit 65 "$PORTEX" audit verify $C --witness "$T/unsigned.zip"
	expect_err "witness $T/unsigned.zip: an unsigned package cannot witness the trail"
	# Without a certificate to check them against, packages are refused.
	expect_exit 64 "$PORTEX" audit verify --ledger "$LEDGER" --witness "$T/a.zip"
	expect_err "witness $T/a.zip: a package witnesses only once its signature is checked"
	# The honest ones still witness, with --ca naming the trust anchor too.
	expect_exit 0 "$PORTEX" audit verify --ledger "$LEDGER" --ca "$T/out/keys/portex.crt" \
		--witness "$T/a.zip" --witness "$T/b.zip"
	expect_out ", 2 witnesses"
}

test_witness_without_audit_head_is_refused() {
	demo_setup
	export_alice >/dev/null 2>&1 || fail "export failed"
	ledger_new
	expect_exit 65 "$PORTEX" audit verify --ledger "$LEDGER" \
		--cert "$T/out/keys/portex.crt" --witness "$T/alice.zip"
	expect_err "witness $T/alice.zip: its manifest.json has no \"audit\""
	echo '{"entries": 2, "head": "ABC"}' >"$T/w.json"
	expect_exit 65 "$PORTEX" audit verify --ledger "$LEDGER" --witness "$T/w.json"
	expect_err "expected {\"entries\": N, \"head\": 64 lowercase hex digits}"
}

test_verify_checks_the_manifest_audit_shape() {
	demo_setup
	export_alice --unsigned >/dev/null 2>&1 || fail "export failed"
	/usr/bin/python3 - "$T/alice.zip" "$T/bad.zip" <<'PY'
import json, sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w")
for i in src.infolist():
    data = src.read(i)
    if i.filename == "manifest.json":
        m = json.loads(data)
        m["audit"] = {"entries": -1, "head": "x"}
        data = json.dumps(m).encode()
    dst.writestr(i, data)
dst.close()
PY
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "manifest.json: \"audit\": expected {\"entries\": N, \"head\": 64 lowercase hex digits}"
}

run_tests
