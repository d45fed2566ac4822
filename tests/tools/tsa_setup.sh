#!/bin/sh
# tsa_setup.sh DIR - a CA and a time-stamping certificate it issued
# (extendedKeyUsage critical timeStamping), and the `openssl ts` config
# tests/tools/tsa_server.py answers with. DIR/tsa-ca.pem is the trust anchor.
set -eu
d=$1
mkdir -p "$d"
cat >"$d/ext.cnf" <<EOT
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[tsa]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
extendedKeyUsage=critical,timeStamping
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EOT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$d/tsa-ca.key" -out "$d/tsa-ca.pem" -subj "/CN=Test TSA CA" -days 2 \
	-config "$d/ext.cnf" -extensions ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$d/tsa.key" -out "$d/tsa.csr" -subj "/CN=Test TSA" 2>/dev/null
openssl x509 -req -in "$d/tsa.csr" -CA "$d/tsa-ca.pem" -CAkey "$d/tsa-ca.key" \
	-CAcreateserial -days 2 -extfile "$d/ext.cnf" -extensions tsa \
	-out "$d/tsa.crt" 2>/dev/null
cat >"$d/ts.cnf" <<EOT
[tsa]
default_tsa = tsa1
[tsa1]
serial = $d/serial
signer_cert = $d/tsa.crt
certs = $d/tsa-ca.pem
signer_key = $d/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ess_cert_id_alg = sha256
ess_cert_id_chain = no
EOT
echo 01 >"$d/serial"
