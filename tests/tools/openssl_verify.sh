#!/bin/sh
# openssl_verify.sh PACKAGE.zip CA.pem [PASSWORD_FILE]
#
# Verifies a portex package with no portex code, the way a recipient
# would: extract it (python3 zipfile, or 7z for an AES-encrypted package),
# check the CAdES signature over META-INF/ASiCManifest.xml with
# `openssl cms -verify`, then compare every DataObjectReference's SHA-256
# with the file's, and check no file is unlisted. Exit 0 only when all of
# it holds; each problem is printed on stderr.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 PACKAGE.zip CA.pem [PASSWORD_FILE]" >&2; exit 64; }
pkg=$1
ca=$2
pwfile=${3:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

if [ -n "$pwfile" ]; then
	7z x -y -bso0 -bsp0 -o"$dir" -p"$(head -n 1 "$pwfile")" "$pkg" >/dev/null
else
	/usr/bin/python3 -m zipfile -e "$pkg" "$dir"
fi

openssl cms -verify -binary -cades -inform DER \
	-in "$dir/META-INF/signature001.p7s" \
	-content "$dir/META-INF/ASiCManifest.xml" \
	-CAfile "$ca" -purpose any -out /dev/null

/usr/bin/python3 - "$dir" <<'EOF'
import base64, hashlib, os, sys, urllib.parse
import xml.etree.ElementTree as ET

root_dir = sys.argv[1]
ASIC = "{http://uri.etsi.org/02918/v1.2.1#}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
bad = 0

def problem(msg):
    global bad
    bad += 1
    print("openssl_verify: " + msg, file=sys.stderr)

tree = ET.parse(os.path.join(root_dir, "META-INF", "ASiCManifest.xml"))
root = tree.getroot()
if root.tag != ASIC + "ASiCManifest":
    problem("root element is %s, not ASiCManifest" % root.tag)
sig = root.findall(ASIC + "SigReference")
if len(sig) != 1 or sig[0].get("URI") != "META-INF/signature001.p7s":
    problem("expected one SigReference to META-INF/signature001.p7s")

listed = set()
for ref in root.findall(ASIC + "DataObjectReference"):
    name = urllib.parse.unquote(ref.get("URI"))
    listed.add(name)
    alg = ref.find(DS + "DigestMethod").get("Algorithm")
    want = base64.b64decode(ref.find(DS + "DigestValue").text)
    if alg != SHA256:
        problem("%s: digest algorithm %s" % (name, alg))
        continue
    path = os.path.join(root_dir, name)
    if not os.path.isfile(path):
        problem("%s: listed but missing" % name)
        continue
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    if h.digest() != want:
        problem("%s: SHA-256 differs from the manifest" % name)

for d, _, files in os.walk(root_dir):
    for f in files:
        name = os.path.relpath(os.path.join(d, f), root_dir)
        if name == "mimetype" or name.startswith("META-INF" + os.sep):
            continue
        if name not in listed:
            problem("%s: not listed in the manifest" % name)

if not listed:
    problem("no DataObjectReference")
print("openssl_verify: %d files checked, %d problems" % (len(listed), bad))
sys.exit(1 if bad else 0)
EOF
