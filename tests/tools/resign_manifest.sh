#!/bin/sh
# resign_manifest.sh IN.zip OUT.zip KEY CERT ALG [EXT_XML [DOR_EXT_XML]]
#
# Rewrites a package's META-INF/ASiCManifest.xml the way another ASiC-E
# producer might (EN 319 162-1 allows it): every digest with ALG (openssl
# dgst name: sha256, sha384, sha512, sha3-256, sha1...), EXT_XML inserted
# as ASiCManifestExtensions content and DOR_EXT_XML as each
# DataObjectReference's extensions; then signs it again with openssl cms
# (CAdES-BES, detached) and writes OUT.zip. No portex code is used.
set -eu
[ $# -ge 5 ] || { echo "usage: $0 IN.zip OUT.zip KEY CERT ALG [EXT [DOREXT]]" >&2; exit 64; }
in=$1 out=$2 key=$3 cert=$4 alg=$5 ext=${6:-} dorext=${7:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 -m zipfile -e "$in" "$dir/x"
/usr/bin/python3 - "$dir/x" "$alg" "$ext" "$dorext" <<'PY'
import base64, hashlib, os, re, sys, urllib.parse
root, alg, ext, dorext = sys.argv[1:5]
uris = {"sha1": "http://www.w3.org/2000/09/xmldsig#sha1",
        "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
        "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "sha512": "http://www.w3.org/2001/04/xmlenc#sha512",
        "sha3-256": "http://www.w3.org/2007/05/xmldsig-more#sha3-256",
        "sha3-512": "http://www.w3.org/2007/05/xmldsig-more#sha3-512"}
path = os.path.join(root, "META-INF", "ASiCManifest.xml")
xml = open(path, encoding="utf-8").read()
def redo(m):
    uri = m.group(1)
    name = urllib.parse.unquote(uri)
    d = hashlib.new(alg.replace("-", "_"), open(os.path.join(root, name), "rb").read()).digest()
    return ('<asic:DataObjectReference URI="%s">\n    <ds:DigestMethod Algorithm="%s"/>\n'
            '    <ds:DigestValue>%s</ds:DigestValue>%s\n  </asic:DataObjectReference>'
            % (uri, uris[alg], base64.b64encode(d).decode(),
               "\n    <asic:DataObjectReferenceExtensions>%s</asic:DataObjectReferenceExtensions>" % dorext
               if dorext else ""))
xml = re.sub(r'<asic:DataObjectReference URI="([^"]*)">.*?</asic:DataObjectReference>', redo, xml, flags=re.S)
if ext:
    xml = xml.replace("</asic:ASiCManifest>",
                      "  <asic:ASiCManifestExtensions>%s</asic:ASiCManifestExtensions>\n</asic:ASiCManifest>" % ext)
open(path, "w", encoding="utf-8").write(xml)
PY
openssl cms -sign -binary -cades -nosmimecap -md sha256 -outform DER \
	-in "$dir/x/META-INF/ASiCManifest.xml" -signer "$cert" -inkey "$key" \
	-out "$dir/x/META-INF/signature001.p7s"
/usr/bin/python3 - "$in" "$dir/x" "$out" <<'PY'
import os, sys, zipfile
src, root, out = sys.argv[1:4]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
    for i in zin.infolist():
        zout.writestr(i, open(os.path.join(root, i.filename), "rb").read(), i.compress_type)
PY
